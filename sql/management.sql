-- Token management enforced by the database: who may issue and revoke, and no escalation.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
DROP ROLE IF EXISTS regress_ht_issuer;
RESET client_min_messages;
CREATE ROLE regress_ht_issuer;
GRANT EXECUTE ON FUNCTION hive_tokens.issue(uuid, text, hive_tokens.scopes, jsonb, text, timestamptz, text, uuid, uuid),
                          hive_tokens.revoke(uuid),
                          hive_tokens.act_as_member(uuid, hive_tokens.scopes, jsonb),
                          hive_tokens.act_as_member(uuid, hive_tokens.scopes, jsonb, uuid) TO regress_ht_issuer;
\set o '00000000-0000-4000-8000-0000000000d1'
\set other_org '00000000-0000-4000-8000-0000000000d2'
\set p1 '00000000-0000-4000-8000-0000000000e1'
\set p2 '00000000-0000-4000-8000-0000000000e2'
\set t1 '00000000-0000-4000-8000-0000000000f1'
\set u1 '00000000-0000-4000-8000-0000000000a1'
\set u2 '00000000-0000-4000-8000-0000000000a2'

-- Without a principal, only hive_tokens_admin (and superusers) may issue or revoke.
SELECT token_id AS seed_id FROM hive_tokens.issue(:'o', 'seed', '{usage:report}') \gset
SET ROLE regress_ht_issuer;
SELECT * FROM hive_tokens.issue(:'o', 'no principal', '{usage:report}');
\echo :LAST_ERROR_SQLSTATE
SELECT hive_tokens.revoke(:'seed_id');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT hive_tokens_admin TO regress_ht_issuer;
SET ROLE regress_ht_issuer;
SELECT count(*) AS issued_as_admin FROM hive_tokens.issue(:'o', 'admin bootstrap', '{usage:report}');
SELECT hive_tokens.revoke(:'seed_id') AS revoked_as_admin;
RESET ROLE;
REVOKE hive_tokens_admin FROM regress_ht_issuer;

-- An issuer token: accessToken:modify on the organization, and what it may pass on.
SELECT token AS issuer FROM hive_tokens.issue(:'o', 'issuer', '{accessToken:modify,usage:report,project:describe}',
    resources => format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "*"}}]}', :'p1')::jsonb) \gset
SET ROLE regress_ht_issuer;
BEGIN;
SELECT hive_tokens.authenticate(:'issuer') IS NOT NULL AS issuer;
-- within its own grants: allowed, even without a membership in hive_tokens_admin
SELECT token_id AS narrow_id, token AS narrow FROM hive_tokens.issue(:'o', 'narrow CI', '{usage:report}',
    resources => format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "granular", "targets": [{"type": "target", "id": "%s", "services": {"mode": "*"}, "appDeployments": {"mode": "*"}}]}}]}', :'p1', :'t1')::jsonb) \gset
SAVEPOINT s;
-- a permission it does not hold
SELECT * FROM hive_tokens.issue(:'o', 'broader', '{usage:report,traces:report}',
    resources => format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "*"}}]}', :'p1')::jsonb);
ROLLBACK TO SAVEPOINT s;
-- resources it does not hold: the whole organization, another project
SELECT * FROM hive_tokens.issue(:'o', 'everywhere', '{usage:report}');
ROLLBACK TO SAVEPOINT s;
SELECT * FROM hive_tokens.issue(:'o', 'other project', '{project:describe}',
    resources => format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "*"}}]}', :'p2')::jsonb);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT s;
-- accessToken:modify is a permission like any other: an issuer holding it (on the organization)
-- may pass it on
SELECT count(*) AS manager_issued FROM hive_tokens.issue(:'o', 'manager', '{accessToken:modify}');
ROLLBACK TO SAVEPOINT s;
-- another organization, a project token (needs projectAccessToken:modify), a personal token
SELECT * FROM hive_tokens.issue(:'other_org', 'elsewhere', '{usage:report}');
ROLLBACK TO SAVEPOINT s;
SELECT * FROM hive_tokens.issue(:'o', 'project token', '{project:describe}', kind => 'project', project => :'p1');
ROLLBACK TO SAVEPOINT s;
-- revoking: what it could issue
SELECT hive_tokens.revoke(:'narrow_id') AS revoked_by_issuer;
COMMIT;
RESET ROLE;

-- A token without accessToken:modify may neither issue nor revoke.
SELECT token AS plain FROM hive_tokens.issue(:'o', 'plain', '{usage:report}') \gset
SELECT token_id AS victim_id FROM hive_tokens.issue(:'o', 'victim', '{usage:report}') \gset
SET ROLE regress_ht_issuer;
BEGIN;
SELECT hive_tokens.authenticate(:'plain') IS NOT NULL AS plain;
SAVEPOINT s;
SELECT * FROM hive_tokens.issue(:'o', 'from plain', '{usage:report}');
ROLLBACK TO SAVEPOINT s;
SELECT hive_tokens.revoke(:'victim_id');
ROLLBACK;
-- a principal of another organization does not even see the token
BEGIN;
SELECT hive_tokens.act_as_member(:'other_org', '{accessToken:modify}') AS member_elsewhere;
SELECT hive_tokens.revoke(:'victim_id') AS revoked_elsewhere;
ROLLBACK;

-- Project tokens: projectAccessToken:modify on that project.
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{projectAccessToken:modify,project:describe}',
    format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "*"}}]}', :'p1')::jsonb) AS project_manager;
SELECT count(*) AS project_token FROM hive_tokens.issue(:'o', 'project one', '{project:describe}', kind => 'project', project => :'p1');
SAVEPOINT s;
SELECT * FROM hive_tokens.issue(:'o', 'project two', '{project:describe}', kind => 'project', project => :'p2');
ROLLBACK;

-- Personal tokens: personalAccessToken:modify, for the member's own user only.
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{personalAccessToken:modify,usage:report}', '{"mode": "*"}', :'u1') AS member_u1;
SELECT hive_tokens.current_user_id() = :'u1' AS current_user_id;
SELECT count(*) AS own_personal FROM hive_tokens.issue(:'o', 'my laptop', '{usage:report}', kind => 'personal', user_id => :'u1');
SAVEPOINT s;
SELECT * FROM hive_tokens.issue(:'o', 'someone else', '{usage:report}', kind => 'personal', user_id => :'u2');
ROLLBACK;
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{personalAccessToken:modify,usage:report}') AS member_without_user;
SELECT * FROM hive_tokens.issue(:'o', 'whose', '{usage:report}', kind => 'personal', user_id => :'u1');
ROLLBACK;
RESET ROLE;

DROP OWNED BY regress_ht_issuer;
DROP ROLE regress_ht_issuer;
