-- The transaction principal: authenticate(), act_as_member(), the accessors, can(), assert_can(),
-- the RLS helpers, and every principal transition.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
-- This suite keeps temporary tables (and statements prepared with SQL) across transactions;
-- authenticate() refuses such a session by default (tested at the end of sql/principal.sql).
SET hive_tokens.allow_session_objects = on;
DROP ROLE IF EXISTS regress_ht_app;
DROP ROLE IF EXISTS regress_ht_nobody;
RESET client_min_messages;
CREATE ROLE regress_ht_app;
CREATE ROLE regress_ht_nobody;
\set o '00000000-0000-4000-8000-0000000000a1'
\set p1 '00000000-0000-4000-8000-0000000000b1'
\set p2 '00000000-0000-4000-8000-0000000000b2'
\set t1 '00000000-0000-4000-8000-0000000000c1'
\set t2 '00000000-0000-4000-8000-0000000000c2'
SELECT token_id AS ci_id, token AS ci FROM hive_tokens.issue(:'o', 'CI products', '{project:describe,schemaVersion:publish}',
    resources => format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "granular", "targets": [
        {"type": "target", "id": "%s", "services": {"mode": "granular", "services": [{"type": "service", "serviceName": "products"}]},
         "appDeployments": {"mode": "granular", "appDeployments": []}}]}}]}', :'p1', :'t1')::jsonb) \gset
SELECT token_id AS usage_id, token AS usage FROM hive_tokens.issue(:'o', 'usage', '{usage:report}') \gset

-- No principal: accessors are NULL, every check is false.
SELECT hive_tokens.current_token_id(), hive_tokens.current_organization_id(), hive_tokens.current_scopes(),
       hive_tokens.current_principal_kind(), hive_tokens.can('project:describe', :'o', :'p1') AS can;
SELECT hive_tokens.assert_can('project:describe', :'o', :'p1');
\echo :LAST_ERROR_SQLSTATE

-- authenticate() sets the principal until the end of the transaction.
BEGIN;
SELECT hive_tokens.authenticate(:'ci') = :'ci_id' AS authenticated;
SELECT hive_tokens.current_token_id() = :'ci_id' AS token_id, hive_tokens.current_organization_id() AS organization,
       hive_tokens.current_scopes() AS scopes, hive_tokens.current_principal_kind() AS kind;
SELECT hive_tokens.can('project:describe', :'o', :'p1') AS describe_p1,
       hive_tokens.can('project:describe', :'o', :'p2') AS describe_p2,
       hive_tokens.can('schemaVersion:publish', :'o', :'p1', :'t1', 'products') AS publish_products,
       hive_tokens.can('schemaVersion:publish', :'o', :'p1', :'t1', 'reviews') AS publish_reviews,
       hive_tokens.can('schemaVersion:publish', :'o', :'p1', :'t2', 'products') AS publish_other_target,
       hive_tokens.can('schemaVersion:publish', :'o', :'p1', :'t1') AS publish_no_service,
       hive_tokens.can('usage:report', :'o', :'p1', :'t1') AS not_in_scopes,
       hive_tokens.can('project:describe', '00000000-0000-4000-8000-0000000000a2', :'p1') AS other_organization,
       hive_tokens.can('project:describe', :'o') AS missing_project;
SELECT hive_tokens.assert_can('schemaVersion:publish', :'o', :'p1', :'t1', 'products') AS allowed;
SELECT hive_tokens.assert_can('schemaVersion:publish', :'o', :'p1', :'t1', 'reviews');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- the RLS helpers for this grant
BEGIN;
SELECT hive_tokens.authenticate(:'ci') IS NOT NULL AS authenticated;
SELECT a AS action, hive_tokens.organization_wide(a) AS organization_wide, hive_tokens.allowed_projects(a) AS projects,
       hive_tokens.allowed_targets(a) AS targets, hive_tokens.row_check_targets(a) AS row_check,
       hive_tokens.denied_projects(a) AS denied
  FROM unnest(ARRAY['project:describe', 'schemaVersion:publish', 'usage:report']) AS a;
COMMIT;
-- after COMMIT there is no principal
SELECT hive_tokens.current_token_id() IS NULL AS cleared_by_commit;
-- Outside a transaction block the client's own statement is its transaction: authenticate()
-- there would end with it, so it is refused (25000); inside a function (a DO block here) the same
-- statement can use the principal, so it is allowed.
SELECT hive_tokens.authenticate(:'usage') IS NOT NULL AS authenticated;
\echo :LAST_ERROR_SQLSTATE
SELECT hive_tokens.act_as_member(:'o', '{project:describe}');
\echo :LAST_ERROR_SQLSTATE
SELECT set_config('regress.usage_token', :'usage', false) IS NOT NULL AS stashed;
DO $$
BEGIN
    PERFORM hive_tokens.authenticate(current_setting('regress.usage_token'));
    RAISE NOTICE 'principal inside the DO block: %', hive_tokens.current_principal_kind();
END $$;
SELECT hive_tokens.current_token_id() IS NULL AS gone_next_statement;
-- a multi-statement query string is one implicit transaction block: allowed
SELECT hive_tokens.authenticate(:'usage') IS NOT NULL AS implicit_block \; SELECT hive_tokens.current_principal_kind() AS kind;
SELECT hive_tokens.current_token_id() IS NULL AS gone_after_the_string;
-- after ROLLBACK and after an error
BEGIN;
SELECT hive_tokens.authenticate(:'usage') IS NOT NULL AS authenticated;
ROLLBACK;
SELECT hive_tokens.current_token_id() IS NULL AS cleared_by_rollback;
BEGIN;
SELECT hive_tokens.authenticate(:'usage') IS NOT NULL AS authenticated;
SELECT 1 / 0;
ROLLBACK;
SELECT hive_tokens.current_token_id() IS NULL AS cleared_by_error;

-- One principal per transaction, ever: it cannot be replaced. Rolling back the savepoint that set
-- it drops it, and the transaction can take no other (not even the same token again); one set in
-- a released savepoint stays. (sql/one_principal.sql attacks this through cursors and functions.)
BEGIN;
SELECT hive_tokens.authenticate(:'ci') IS NOT NULL AS ci;
SELECT hive_tokens.authenticate(:'usage');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SAVEPOINT s1;
SELECT hive_tokens.authenticate(:'usage') IS NOT NULL AS inner_usage;
SELECT hive_tokens.current_token_id() = :'usage_id' AS usage_now;
ROLLBACK TO SAVEPOINT s1;
SELECT hive_tokens.current_token_id() IS NULL AS dropped, hive_tokens.can('usage:report', :'o', :'p1', :'t1') AS can_report;
SELECT hive_tokens.authenticate(:'ci');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SAVEPOINT s1;
SELECT hive_tokens.authenticate(:'usage') IS NOT NULL AS inner_usage;
ROLLBACK TO SAVEPOINT s1;
SELECT hive_tokens.authenticate(:'usage');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SAVEPOINT s1;
SELECT hive_tokens.authenticate(:'usage') IS NOT NULL AS inner_usage;
ROLLBACK TO SAVEPOINT s1;
SAVEPOINT s2;
SELECT hive_tokens.act_as_member(:'o', '{project:describe}');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SAVEPOINT s2;
SELECT hive_tokens.authenticate(:'usage') IS NOT NULL AS inner_usage;
RELEASE SAVEPOINT s2;
SELECT hive_tokens.current_token_id() = :'usage_id' AS usage_kept;
SAVEPOINT s3;
SELECT 1 / 0;
ROLLBACK TO SAVEPOINT s3;
SELECT hive_tokens.current_token_id() = :'usage_id' AS kept_after_unrelated_rollback;
COMMIT;
BEGIN;
SAVEPOINT a;
SAVEPOINT b;
SELECT hive_tokens.authenticate(:'usage') IS NOT NULL AS in_b;
RELEASE SAVEPOINT b;
ROLLBACK TO SAVEPOINT a;
SELECT hive_tokens.current_token_id() IS NULL AS none_after_outer_rollback;
SELECT hive_tokens.authenticate(:'usage');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- an exception block is a subtransaction: kept when the block succeeds, dropped when it fails
BEGIN;
DO $$
BEGIN
    PERFORM hive_tokens.authenticate(current_setting('regress.usage_token'));
EXCEPTION WHEN OTHERS THEN
    NULL;
END $$;
SELECT hive_tokens.current_token_id() = :'usage_id' AS usage_after_good_block;
COMMIT;
BEGIN;
DO $$
BEGIN
    BEGIN
        PERFORM hive_tokens.authenticate(current_setting('regress.usage_token'));
        RAISE EXCEPTION 'rolled back';
    EXCEPTION WHEN OTHERS THEN
        NULL;
    END;
    RAISE NOTICE 'after the failed block: %', coalesce(hive_tokens.current_principal_kind(), 'no principal');
    PERFORM hive_tokens.authenticate(current_setting('regress.usage_token'));
END $$;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
RESET regress.usage_token;
-- A check before the principal, then the principal: a PL/pgSQL function keeps its expression
-- state for the whole transaction; what it answered without a principal is simply recomputed.
CREATE FUNCTION pg_temp.may_describe(p uuid) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RETURN hive_tokens.can('project:describe', '00000000-0000-4000-8000-0000000000a1', p)
           AND hive_tokens.allowed_projects('project:describe') IS NOT NULL;
END $$;
BEGIN;
SELECT pg_temp.may_describe(:'p1') AS before_login;
SELECT hive_tokens.authenticate(:'ci') IS NOT NULL AS ci;
SELECT pg_temp.may_describe(:'p1') AS after_login, pg_temp.may_describe(:'p2') AS other_project;
COMMIT;
-- NULL is not a token
BEGIN;
SELECT hive_tokens.authenticate(NULL);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;

-- Prepared statements read the principal of the transaction that executes them.
PREPARE whoami AS SELECT hive_tokens.current_token_id() = $1 AS is_expected, hive_tokens.current_token_id() IS NULL AS is_null;
BEGIN;
SELECT hive_tokens.authenticate(:'ci') IS NOT NULL AS ci;
EXECUTE whoami(:'ci_id');
COMMIT;
EXECUTE whoami(:'ci_id');
BEGIN;
SELECT hive_tokens.authenticate(:'usage') IS NOT NULL AS usage;
EXECUTE whoami(:'usage_id');
COMMIT;
DEALLOCATE whoami;

-- The principal cannot be forged: no setting holds it, and no hive_tokens.* setting can exist.
SET hive_tokens.principal = 'anything';
SELECT set_config('hive_tokens.token_id', :'ci_id', false);
SELECT hive_tokens.current_token_id() IS NULL AS still_none;
-- a bad token is 28000 and the message never contains the token
BEGIN;
SELECT hive_tokens.authenticate(overlay(:'ci' placing CASE WHEN substr(:'ci', 40, 1) = 'a' THEN 'b' ELSE 'a' END from 40 for 1));
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SELECT hive_tokens.authenticate('not a token');
ROLLBACK;
BEGIN;
SELECT hive_tokens.authenticate(pg_temp_token) FROM (SELECT 'hvo2_0RvkJYM4rjNJgJRlNVHlWT1QDryPL3GCsnU3A8fCaTDFXkowZTeYR1ekL5HqNKDeh19rfeQ' AS pg_temp_token) AS x;
ROLLBACK;
SELECT hive_tokens.revoke(:'usage_id') AS revoked;
BEGIN;
SELECT hive_tokens.authenticate(:'usage');
ROLLBACK;
-- unknown actions are an error, not false
SELECT hive_tokens.can('project:describ', :'o', :'p1');
\echo :LAST_ERROR_SQLSTATE

-- act_as_member: for the trusted application role only.
SET ROLE regress_ht_nobody;
SELECT hive_tokens.act_as_member(:'o', '{project:describe}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT EXECUTE ON FUNCTION hive_tokens.act_as_member(uuid, hive_tokens.scopes, jsonb) TO regress_ht_app;
SET ROLE regress_ht_app;
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{project:describe,usage:report}',
    format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "*"}}], "deny": [{"type": "target", "id": "%s"}]}', :'p2', :'t2')::jsonb);
SELECT hive_tokens.current_principal_kind() AS kind, hive_tokens.current_token_id() AS token_id,
       hive_tokens.current_organization_id() AS organization,
       hive_tokens.can('project:describe', :'o', :'p2') AS describe_p2,
       hive_tokens.can('project:describe', :'o', :'p1') AS describe_p1,
       hive_tokens.can('usage:report', :'o', :'p2', :'t1') AS usage_p2_t1,
       hive_tokens.can('usage:report', :'o', :'p2', :'t2') AS usage_denied_target;
COMMIT;
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{project:describe}', '{"mode": "some"}');
ROLLBACK;
BEGIN;
SELECT hive_tokens.act_as_member(NULL, '{project:describe}');
ROLLBACK;
RESET ROLE;

-- A pooled connection serves many clients, one transaction each. What one client leaves in the
-- session (a temporary type, domain, table or view, found before a permanent one of the same
-- name; a statement prepared with SQL under a driver's statement name) would run in a later
-- client's transaction under its principal: authenticate() and act_as_member() refuse such a
-- session (55000) until it is reset. Here the plant would copy what the principal reads.
SELECT token AS fresh FROM hive_tokens.issue(:'o', 'fresh', '{project:describe}') \gset
SET hive_tokens.allow_session_objects = off;
DEALLOCATE ALL;
DISCARD TEMP;
SET ROLE regress_ht_app;
CREATE TEMP TABLE loot (n bigint);
CREATE FUNCTION pg_temp.spy(v pg_catalog.text) RETURNS boolean LANGUAGE sql
    AS $$ INSERT INTO pg_temp.loot SELECT pg_catalog.count(*) FROM pg_catalog.pg_class; SELECT true $$;
CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (pg_temp.spy(VALUE));
\set VERBOSITY default
BEGIN;
SELECT hive_tokens.authenticate(:'fresh') IS NOT NULL AS authenticated;
ROLLBACK;
BEGIN;
SELECT hive_tokens.try_authenticate(:'fresh') IS NOT NULL AS authenticated;
ROLLBACK;
DISCARD TEMP;
BEGIN;
SELECT hive_tokens.authenticate(:'fresh') IS NOT NULL AS after_discard_temp;
COMMIT;
-- every kind of object counts: a domain over an array (whose CHECK a PL/pgSQL variable declared
-- as text would run), a text search configuration (for default_text_search_config)
CREATE DOMAIN pg_temp.text AS pg_catalog.text[] CHECK (VALUE IS NOT NULL);
CREATE TEXT SEARCH CONFIGURATION pg_temp.cfg (COPY = pg_catalog.simple);
BEGIN;
SELECT hive_tokens.try_authenticate(:'fresh') IS NOT NULL AS authenticated;
ROLLBACK;
DISCARD TEMP;
-- a rollback brings back what it dropped, also after a check inside it found nothing
CREATE TEMP VIEW projects AS SELECT 1 AS id;
BEGIN;
DROP VIEW pg_temp.projects;
SELECT hive_tokens.try_authenticate(NULL) IS NULL AS checked_while_dropped;
ROLLBACK;
BEGIN;
SELECT hive_tokens.try_authenticate(:'fresh') IS NOT NULL AS authenticated;
ROLLBACK;
BEGIN;
SAVEPOINT s;
DROP VIEW pg_temp.projects;
SELECT hive_tokens.try_authenticate(NULL) IS NULL AS checked_while_dropped;
ROLLBACK TO SAVEPOINT s;
SELECT hive_tokens.try_authenticate(:'fresh') IS NOT NULL AS authenticated;
ROLLBACK;
DISCARD TEMP;
-- a statement prepared with SQL, as one replacing a driver's named statement
PREPARE s1 AS SELECT hive_tokens.try_authenticate($1);
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{project:describe}');
ROLLBACK;
DEALLOCATE s1;
-- temporary objects dropped at the end of their own transaction leave nothing behind
BEGIN;
CREATE TEMP TABLE scratch (n int) ON COMMIT DROP;
COMMIT;
BEGIN;
SELECT hive_tokens.authenticate(:'fresh') IS NOT NULL AS after_on_commit_drop;
COMMIT;
-- only a superuser may accept such sessions
SET hive_tokens.allow_session_objects = on;
\set VERBOSITY terse
RESET ROLE;
DROP OWNED BY regress_ht_app;
DROP ROLE regress_ht_app;
DROP ROLE regress_ht_nobody;
