-- authorize(): verification and one check in one call, without a principal. true: allowed;
-- false: a live token that may not (403); NULL: not a live token (401).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
-- This suite keeps temporary tables (and statements prepared with SQL) across transactions;
-- authenticate() refuses such a session by default (tested at the end of sql/principal.sql).
SET hive_tokens.allow_session_objects = on;
DROP ROLE IF EXISTS regress_ht_ingest;
RESET client_min_messages;
CREATE ROLE regress_ht_ingest;
\set o '00000000-0000-4000-8000-0000000000f1'
\set o2 '00000000-0000-4000-8000-0000000000f2'
\set p1 '00000000-0000-4000-8000-0000000000e1'
\set p2 '00000000-0000-4000-8000-0000000000e2'
\set t1 '00000000-0000-4000-8000-0000000000c1'
\set t2 '00000000-0000-4000-8000-0000000000c2'
\set t3 '00000000-0000-4000-8000-0000000000c3'
\set u1 '00000000-0000-4000-8000-0000000000a1'
-- usage:report on project p1 except target t2; schemaVersion:publish for service products only
SELECT token AS ingest, token_id AS ingest_id FROM hive_tokens.issue(:'o', 'ingest', '{usage:report,schemaVersion:publish,project:describe}',
    format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "granular", "targets": [
        {"type": "target", "id": "%s", "services": {"mode": "granular", "services": [{"type": "service", "serviceName": "products"}]},
         "appDeployments": {"mode": "*"}}]}}]}', :'p1', :'t1')::jsonb) \gset
SELECT token AS wide FROM hive_tokens.issue(:'o', 'wide', '{usage:report}',
    format('{"mode": "*", "deny": [{"type": "target", "id": "%s"}]}', :'t2')::jsonb) \gset
SET ROLE regress_ht_ingest;
SELECT hive_tokens.authorize(:'ingest', 'usage:report', :'o', :'p1', :'t1') AS own_target,
       hive_tokens.authorize(:'ingest', 'usage:report', :'o', :'p1', :'t2') AS other_target,
       hive_tokens.authorize(:'ingest', 'usage:report', :'o', :'p2', :'t3') AS other_project,
       hive_tokens.authorize(:'ingest', 'usage:report', :'o2', :'p1', :'t1') AS other_organization,
       hive_tokens.authorize(:'ingest', 'usage:report', NULL) AS no_organization;
SELECT hive_tokens.authorize(:'ingest', 'schemaVersion:publish', :'o', :'p1', :'t1', 'products') AS products,
       hive_tokens.authorize(:'ingest', 'schemaVersion:publish', :'o', :'p1', :'t1', 'reviews') AS reviews,
       hive_tokens.authorize(:'ingest', 'project:describe', :'o', :'p1') AS describe_project;
SELECT hive_tokens.authorize(:'wide', 'usage:report', :'o', :'p2', :'t1') AS wide_elsewhere,
       hive_tokens.authorize(:'wide', 'usage:report', :'o', :'p1', :'t2') AS wide_denied_target;
-- the same answer as can() under authenticate() of the token, over a grid of requests
CREATE TEMP TABLE requests AS
SELECT a.action, p.project, t.target, s.service
  FROM unnest(ARRAY['usage:report', 'schemaVersion:publish', 'project:describe', 'organization:describe']) AS a(action),
       unnest(ARRAY[:'p1', :'p2', NULL]::uuid[]) AS p(project),
       unnest(ARRAY[:'t1', :'t2', :'t3', NULL]::uuid[]) AS t(target),
       unnest(ARRAY['products', 'reviews', NULL]) AS s(service);
CREATE TEMP TABLE answers (token text, action text, project uuid, target uuid, service text, via_can boolean);
BEGIN;
SELECT hive_tokens.authenticate(:'ingest') IS NOT NULL AS ingest;
INSERT INTO answers SELECT 'ingest', r.*, hive_tokens.can(r.action, :'o', r.project, r.target, r.service) FROM requests AS r;
COMMIT;
BEGIN;
SELECT hive_tokens.authenticate(:'wide') IS NOT NULL AS wide;
INSERT INTO answers SELECT 'wide', r.*, hive_tokens.can(r.action, :'o', r.project, r.target, r.service) FROM requests AS r;
COMMIT;
SELECT count(*) AS requests, count(*) FILTER (WHERE via_can) AS allowed,
       count(*) FILTER (WHERE hive_tokens.authorize(CASE a.token WHEN 'ingest' THEN :'ingest' ELSE :'wide' END,
                                                    a.action, :'o', a.project, a.target, a.service) IS DISTINCT FROM a.via_can) AS disagreements
  FROM answers AS a;
-- not live: NULL, never an error
SELECT hive_tokens.authorize(NULL, 'usage:report', :'o') IS NULL AS null_token,
       hive_tokens.authorize('', 'usage:report', :'o') IS NULL AS empty,
       hive_tokens.authorize('hvo2_nonsense', 'usage:report', :'o') IS NULL AS malformed,
       hive_tokens.authorize(overlay(:'ingest' placing 'x' from 30 for 1), 'usage:report', :'o', :'p1', :'t1') IS NULL AS mistyped;
-- a mistake in the code is an error, whatever the token
SELECT hive_tokens.authorize(:'ingest', 'usage:reprot', :'o');
SELECT hive_tokens.authorize(NULL, 'no:such', :'o');
SELECT hive_tokens.authorize(:'ingest', NULL, :'o');
-- it sets no principal, and one already set neither changes nor matters
BEGIN;
SELECT hive_tokens.authorize(:'ingest', 'usage:report', :'o', :'p1', :'t1') AS allowed;
SELECT hive_tokens.current_principal_kind() IS NULL AS still_no_principal;
SELECT hive_tokens.authenticate(:'wide') IS NOT NULL AS principal_set;
SELECT hive_tokens.authorize(:'ingest', 'usage:report', :'o', :'p1', :'t2') AS ingest_still_denied_t2,
       hive_tokens.current_token_id() <> :'ingest_id' AS principal_unchanged;
COMMIT;
RESET ROLE;
-- revoked and expired tokens: NULL from the next statement on
SELECT token AS short, token_id AS short_id FROM hive_tokens.issue(:'o', 'short', '{usage:report}', expires_at => clock_timestamp() + interval '50 ms') \gset
SELECT hive_tokens.authorize(:'short', 'usage:report', :'o', :'p1', :'t1') AS before_expiry;
SELECT pg_sleep(0.1);
SELECT hive_tokens.authorize(:'short', 'usage:report', :'o', :'p1', :'t1') IS NULL AS after_expiry;
SELECT hive_tokens.revoke(:'ingest_id') AS revoked;
SELECT hive_tokens.authorize(:'ingest', 'usage:report', :'o', :'p1', :'t1') IS NULL AS after_revoke;
-- a project token reaches its project only; a personal token follows its member
SELECT token AS proj FROM hive_tokens.issue(:'o', 'project', '{project:describe,usage:report}', kind => 'project', project => :'p1') \gset
SELECT hive_tokens.authorize(:'proj', 'usage:report', :'o', :'p1', :'t1') AS own_project,
       hive_tokens.authorize(:'proj', 'usage:report', :'o', :'p2', :'t1') AS other_project;
SELECT token AS personal FROM hive_tokens.issue(:'o', 'laptop', '{usage:report,project:describe}', kind => 'personal', user_id => :'u1') \gset
SELECT hive_tokens.authorize(:'personal', 'usage:report', :'o', :'p1', :'t1') IS NULL AS no_member_function;
CREATE FUNCTION regress_member(organization uuid, user_id uuid, OUT scopes hive_tokens.scopes, OUT resources jsonb)
    RETURNS SETOF record LANGUAGE sql STABLE
    AS $$SELECT '{project:describe}'::hive_tokens.scopes, NULL::jsonb WHERE $2 = '00000000-0000-4000-8000-0000000000a1'$$;
SELECT hive_tokens.set_member_function('regress_member(uuid, uuid)');
SELECT hive_tokens.authorize(:'personal', 'usage:report', :'o', :'p1', :'t1') AS beyond_member,
       hive_tokens.authorize(:'personal', 'project:describe', :'o', :'p1') AS within_member;
SELECT hive_tokens.set_member_function(NULL);
DROP FUNCTION regress_member(uuid, uuid);
DROP ROLE regress_ht_ingest;
-- authorize() keeps a token's compiled policy only while what it was compiled from is unchanged:
-- a row changed by hand (the owner switching the immutability trigger off) is compiled again
SELECT token AS kept, token_id AS kept_id FROM hive_tokens.issue(:'o', 'kept', '{usage:report}') \gset
SELECT hive_tokens.authorize(:'kept', 'usage:report', :'o', :'p1', :'t1') AS first,
       hive_tokens.authorize(:'kept', 'usage:report', :'o', :'p1', :'t1') AS again;
SELECT policies > 0 AS policy_kept FROM hive_tokens.verify_cache();
-- a cache size of 0 keeps none (and empties what there was)
SET hive_tokens.verify_cache_size = 0;
SELECT policies AS none_kept FROM hive_tokens.verify_cache();
SELECT hive_tokens.authorize(:'kept', 'usage:report', :'o', :'p1', :'t1') AS uncached;
SELECT policies AS still_none FROM hive_tokens.verify_cache();
RESET hive_tokens.verify_cache_size;
SELECT hive_tokens.authorize(:'kept', 'usage:report', :'o', :'p1', :'t1') AS cached_again;
ALTER TABLE hive_tokens.access_tokens DISABLE TRIGGER access_tokens_immutable;
UPDATE hive_tokens.access_tokens SET scopes = '{project:describe}' WHERE id = :'kept_id';
SELECT hive_tokens.authorize(:'kept', 'usage:report', :'o', :'p1', :'t1') AS after_scopes_change,
       hive_tokens.authorize(:'kept', 'project:describe', :'o', :'p1') AS new_scope;
UPDATE hive_tokens.access_tokens SET resources = '{"mode": "granular", "projects": []}' WHERE id = :'kept_id';
SELECT hive_tokens.authorize(:'kept', 'project:describe', :'o', :'p1') AS after_resources_change;
ALTER TABLE hive_tokens.access_tokens ENABLE TRIGGER access_tokens_immutable;
-- a catalog change (retiring a permission) compiles the policy again; stored grants keep a
-- retired permission, so the answer stays true
SELECT hive_tokens.register_permission('regress:cached', 'organization', 'Regress', 'Cached') IS NOT NULL AS registered;
SELECT token AS ret FROM hive_tokens.issue(:'o', 'retiring', '{regress:cached}') \gset
SELECT hive_tokens.authorize(:'ret', 'regress:cached', :'o') AS before_retire,
       hive_tokens.authorize(:'ret', 'regress:cached', :'o') AS cached;
SELECT hive_tokens.retire_permission('regress:cached');
SELECT hive_tokens.authorize(:'ret', 'regress:cached', :'o') AS after_retire;
