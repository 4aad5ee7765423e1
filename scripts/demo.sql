\pset footer off
\echo
\echo '== 1. Install the extension (a DBA, once per database)'
CREATE EXTENSION hive_tokens;

\echo
\echo '== 2. Issue an organization token for a CI pipeline that publishes schemas.'
\echo '      The plaintext comes back exactly once: the demo keeps it in a table, standing in for the'
\echo '      pipeline''s secret store, and every statement below reads it from there, so no'
\echo '      token ever appears in SQL text (an application passes it as a bind parameter). This log'
\echo '      shows tokens only masked.'
CREATE TABLE pipeline_secrets (name text PRIMARY KEY, token_id uuid, token text);
INSERT INTO pipeline_secrets
SELECT 'ci', token_id, token
  FROM hive_tokens.issue(organization => 'a5d0c3a2-6f1b-4d7e-9a43-3b8a1f2e9c10',
                         title        => 'CI publish products',
                         scopes       => '{schemaVersion:publish,schemaCheck:create}',
                         description  => 'GitHub Actions, products subgraph',
                         expires_at   => now() + interval '6 months');
SELECT name, token_id, token::hive_tokens.access_token AS token_masked, length(token) AS characters FROM pipeline_secrets;
\echo '      hv + o (organization) + 2 (format) + _ + 65 base62 characters (uuid and a 256-bit'
\echo '      secret) + a 6-character CRC-32 checksum.'

\echo
\echo '== 3. What the database keeps: the first characters for display and a keyed hash.'
SELECT title, kind, first_characters, scopes, expires_at::date FROM hive_tokens.tokens;
SELECT first_characters, octet_length(hash) AS hash_bytes, key_id FROM hive_tokens.access_tokens;
\echo '      The secret is nowhere in the table:'
\set ECHO none
\set ECHO queries
SELECT count(*) AS rows_holding_the_secret
  FROM hive_tokens.access_tokens AS a, pipeline_secrets AS s WHERE a::text LIKE '%' || substr(s.token, 10, 40) || '%';
\echo '      The access_token type prints masked, so a token never echoes back in full:'
SELECT token::hive_tokens.access_token AS as_access_token FROM pipeline_secrets WHERE name = 'ci';

\echo
\echo '== 4. The pipeline presents the token: verify() returns its public record.'
SELECT v.id, v.organization_id, v.title, v.scopes
  FROM pipeline_secrets AS s, hive_tokens.verify(s.token) AS v WHERE s.name = 'ci';
SELECT hive_tokens.verify_reason(token) AS reason FROM pipeline_secrets WHERE name = 'ci';

\echo
\echo '== 5. Somebody mistypes one character: the checksum rejects it without a table lookup.'
INSERT INTO pipeline_secrets
SELECT 'typo', NULL, overlay(token placing CASE WHEN substr(token, 30, 1) = 'x' THEN 'y' ELSE 'x' END from 30 for 1)
  FROM pipeline_secrets WHERE name = 'ci';
\echo '      (character 30 changed)'
SELECT NOT EXISTS (SELECT FROM hive_tokens.verify(token)) AS rejected, hive_tokens.verify_reason(token) AS reason
  FROM pipeline_secrets WHERE name = 'typo';
\echo '      EXPECTED ERROR: 22P02, the access_token type refuses it as input, naming the checksum, never the token:'
SELECT token::hive_tokens.access_token FROM pipeline_secrets WHERE name = 'typo';

\echo
\echo '== 6. Revoke it: a hard delete; the next verify no longer finds it (in every session: the test'
\echo '      suite checks other sessions and their caches).'
SELECT hive_tokens.revoke(token_id) AS revoked FROM pipeline_secrets WHERE name = 'ci';
SELECT NOT EXISTS (SELECT FROM hive_tokens.verify(token)) AS no_longer_verifies, hive_tokens.verify_reason(token) AS reason
  FROM pipeline_secrets WHERE name = 'ci';
SELECT count(*) AS tokens_left FROM hive_tokens.tokens;

\echo
\echo '== 7. Row-level security on a model of Hive''s tables (projects, targets, schema versions, usage).'
\echo '      A DBA protects each table in a migration with hive_tokens.protect(); see sql/include/hive_model.sql.'
\set ECHO none
SET client_min_messages = warning;
\o /dev/null
\i :modelpath
\o
CREATE ROLE hive_app;
GRANT USAGE ON SCHEMA hive TO hive_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA hive TO hive_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA hive TO hive_app;
GRANT EXECUTE ON FUNCTION hive_tokens.act_as_member(uuid, hive_tokens.scopes, jsonb) TO hive_app;
RESET client_min_messages;
\set ECHO queries
SELECT relname AS protected_table, relforcerowsecurity AS forced,
       (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) AS policies
  FROM pg_class AS c WHERE relnamespace = 'hive'::regnamespace AND relkind = 'r' ORDER BY 1;

\echo
\echo '      Three principals: a CI token that may publish only the products service of storefront/production,'
\echo '      a usage-reporting token for the whole organization, and a member who sees the internal project.'
\set ECHO none
INSERT INTO pipeline_secrets SELECT 'ci products', token_id, token FROM hive_tokens.issue('00000000-0000-4000-8000-0000000000a1', 'CI products',
    '{project:describe,schemaVersion:publish}',
    resources => '{"mode": "granular", "projects": [{"type": "project", "id": "00000000-0000-4000-8000-0000000000b1",
                   "targets": {"mode": "granular", "targets": [{"type": "target", "id": "00000000-0000-4000-8000-0000000000c1",
                     "services": {"mode": "granular", "services": [{"type": "service", "serviceName": "products"}]},
                     "appDeployments": {"mode": "granular", "appDeployments": []}}]}}]}');
INSERT INTO pipeline_secrets SELECT 'usage', token_id, token
  FROM hive_tokens.issue('00000000-0000-4000-8000-0000000000a1', 'usage reporting', '{usage:report}');
GRANT SELECT ON pipeline_secrets TO hive_app;
\set ECHO queries
\echo '      The application connects as an ordinary role (superusers bypass row-level security):'
SET ROLE hive_app;
\echo '      No principal: nothing is visible.'
SELECT (SELECT count(*) FROM hive.projects) AS projects, (SELECT count(*) FROM hive.schema_versions) AS schema_versions;

\echo
\echo '      The CI token (authenticate() holds for one transaction):'
BEGIN;
SELECT hive_tokens.authenticate(token) IS NOT NULL AS authenticated FROM pipeline_secrets WHERE name = 'ci products';
SELECT p.name AS project, t.name AS target, v.service_name
  FROM hive.schema_versions AS v JOIN hive.targets AS t ON t.id = v.target_id JOIN hive.projects AS p ON p.id = v.project_id
 ORDER BY 1, 2, 3;
INSERT INTO hive.schema_versions (organization_id, project_id, target_id, service_name, sdl)
VALUES ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000c1',
        'products', 'type Query { products: [Product] }') RETURNING service_name AS published;
SAVEPOINT before_reviews;
\echo '      EXPECTED ERROR: 42501, publishing the reviews service is beyond this token (Hive''s message):'
INSERT INTO hive.schema_versions (organization_id, project_id, target_id, service_name, sdl)
VALUES ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000c1',
        'reviews', 'type Query { reviews: [Review] }');
ROLLBACK TO SAVEPOINT before_reviews;
SELECT hive_tokens.can('schemaVersion:publish', '00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1',
                       '00000000-0000-4000-8000-0000000000c1', 'reviews') AS may_publish_reviews;
COMMIT;

\echo
\echo '      The usage-reporting token writes usage anywhere in its organization and reads nothing else:'
BEGIN;
SELECT hive_tokens.authenticate(token) IS NOT NULL AS authenticated FROM pipeline_secrets WHERE name = 'usage';
INSERT INTO hive.usage_records (organization_id, project_id, target_id, operation, count)
VALUES ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b2', '00000000-0000-4000-8000-0000000000c3', 'query Products', 42);
SELECT (SELECT count(*) FROM hive.usage_records) AS usage_rows_readable, (SELECT count(*) FROM hive.projects) AS projects_readable;
COMMIT;

\echo
\echo '      A member the application vouches for (act_as_member is granted to the application role only):'
BEGIN;
SELECT hive_tokens.act_as_member('00000000-0000-4000-8000-0000000000a1', '{project:describe}',
    '{"mode": "granular", "projects": [{"type": "project", "id": "00000000-0000-4000-8000-0000000000b2", "targets": {"mode": "*"}}]}');
SELECT name AS member_sees_project FROM hive.projects;
COMMIT;
\echo '      After COMMIT the principal is gone:'
SELECT hive_tokens.current_principal_kind() AS principal, (SELECT count(*) FROM hive.projects) AS projects;
RESET ROLE;

\echo
\echo '== 8. Managing tokens is decided by the database too. An issuer token holds accessToken:modify'
\echo '      and publishing rights on the storefront project; the application may call issue(), rotate()'
\echo '      and audit_events(), but what each call may do follows the transaction''s principal.'
\set ECHO none
SET client_min_messages = warning;
GRANT hive_tokens_app TO hive_app;   -- issue(), rotate(), revoke(), list_tokens(), audit_events(), ...
INSERT INTO pipeline_secrets SELECT 'issuer', token_id, token FROM hive_tokens.issue('00000000-0000-4000-8000-0000000000a1', 'release manager',
    '{accessToken:modify,project:describe,schemaVersion:publish}',
    resources => '{"mode": "granular", "projects": [{"type": "project", "id": "00000000-0000-4000-8000-0000000000b1", "targets": {"mode": "*"}}]}');
GRANT INSERT ON pipeline_secrets TO hive_app;
RESET client_min_messages;
\set ECHO queries
SET ROLE hive_app;
\echo '      The issuer mints a narrower CI token (one target, one permission, 30 days):'
BEGIN;
SELECT hive_tokens.authenticate(token) IS NOT NULL AS authenticated FROM pipeline_secrets WHERE name = 'issuer';
INSERT INTO pipeline_secrets SELECT 'ci2', token_id, token FROM hive_tokens.issue('00000000-0000-4000-8000-0000000000a1', 'CI storefront production',
    '{schemaVersion:publish}', expires_at => hive_tokens.expiry('30 days'),
    resources => '{"mode": "granular", "projects": [{"type": "project", "id": "00000000-0000-4000-8000-0000000000b1",
                   "targets": {"mode": "granular", "targets": [{"type": "target", "id": "00000000-0000-4000-8000-0000000000c1",
                     "services": {"mode": "*"}, "appDeployments": {"mode": "*"}}]}}]}');
COMMIT;
SELECT v.title, v.scopes, v.first_characters, v.expires_at - v.created_at AS lifetime
  FROM pipeline_secrets AS s, hive_tokens.verify(s.token) AS v WHERE s.name = 'ci2';
\echo '      Where it may publish: storefront/production, and no other target:'
BEGIN;
SELECT hive_tokens.authenticate(token) IS NOT NULL AS authenticated FROM pipeline_secrets WHERE name = 'ci2';
SELECT x.project, x.target,
       hive_tokens.can('schemaVersion:publish', '00000000-0000-4000-8000-0000000000a1', x.project_id, x.target_id, 'products') AS may_publish
  FROM (VALUES ('storefront', 'production', '00000000-0000-4000-8000-0000000000b1'::uuid, '00000000-0000-4000-8000-0000000000c1'::uuid),
               ('storefront', 'staging',    '00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000c2'),
               ('internal',   'production', '00000000-0000-4000-8000-0000000000b2', '00000000-0000-4000-8000-0000000000c3'))
       AS x(project, target, project_id, target_id);
COMMIT;
\echo '      Next it tries to mint a token with usage:report, which it does not hold itself.'
\echo '      EXPECTED ERROR: 42501, the token would grant more than its issuer holds (Hive would allow it):'
BEGIN;
SELECT hive_tokens.authenticate(token) IS NOT NULL AS authenticated FROM pipeline_secrets WHERE name = 'issuer';
SELECT token_id FROM hive_tokens.issue('00000000-0000-4000-8000-0000000000a1', 'too broad', '{schemaVersion:publish,usage:report}',
    resources => '{"mode": "granular", "projects": [{"type": "project", "id": "00000000-0000-4000-8000-0000000000b1", "targets": {"mode": "*"}}]}');
ROLLBACK;
\echo '      (that transaction is rolled back; the refusal still reaches the audit log, written by a background worker)'
\echo
\echo '      Rotation: a new secret with identical grants; the old one keeps working for the grace period.'
BEGIN;
SELECT hive_tokens.authenticate(token) IS NOT NULL AS authenticated FROM pipeline_secrets WHERE name = 'issuer';
INSERT INTO pipeline_secrets SELECT 'ci3', r.token_id, r.token
  FROM pipeline_secrets AS s, hive_tokens.rotate(s.token_id, grace => '1 hour') AS r WHERE s.name = 'ci2';
COMMIT;
SELECT hive_tokens.verify_reason(a.token) AS old_token, hive_tokens.verify_reason(b.token) AS new_token
  FROM pipeline_secrets AS a, pipeline_secrets AS b WHERE a.name = 'ci2' AND b.name = 'ci3';
SELECT o.scopes::text = n.scopes::text AND o.resources = n.resources AS same_grants, o.rotated_to = n.id AS old_points_to_new,
       n.expires_at - n.created_at AS lifetime
  FROM pipeline_secrets AS a, pipeline_secrets AS b, hive_tokens.verify(a.token) AS o, hive_tokens.verify(b.token) AS n
 WHERE a.name = 'ci2' AND b.name = 'ci3';
\echo
\echo '      The audit trail, as a member allowed to export it sees it (newest first; no secret in it):'
\set ECHO none
\o /dev/null
SELECT pg_sleep(0.5);
\o
\set ECHO queries
BEGIN;
SELECT hive_tokens.act_as_member('00000000-0000-4000-8000-0000000000a1', '{auditLog:export}');
SELECT event, actor_kind, actor_role, coalesce(details->>'title', details->>'action') AS what, details->>'reason' AS reason
  FROM hive_tokens.audit_events('00000000-0000-4000-8000-0000000000a1', max_rows => 6);
COMMIT;
RESET ROLE;
