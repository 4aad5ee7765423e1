-- Errors a client tells apart without reading messages (docs/errors.md): the SQLSTATE, and the
-- schema field "hive_tokens" on every error the extension raises itself, never on PostgreSQL's
-- own (a missing GRANT). And try_authenticate(): a rejected token without an error.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
DROP SCHEMA IF EXISTS hive CASCADE;
DROP ROLE IF EXISTS regress_ht_eapp;
\set ECHO none
\o /dev/null
\i sql/include/hive_model.sql
\o
\set ECHO all
RESET client_min_messages;
CREATE ROLE regress_ht_eapp;
GRANT USAGE ON SCHEMA hive TO regress_ht_eapp;
GRANT SELECT, INSERT ON hive.projects, hive.schema_versions TO regress_ht_eapp;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA hive TO regress_ht_eapp;
GRANT EXECUTE ON FUNCTION hive_tokens.rotate(uuid, interval) TO regress_ht_eapp;
\set a1 '00000000-0000-4000-8000-0000000000a1'
SELECT token AS "R" FROM hive_tokens.issue(:'a1', 'reader', '{project:describe}') \gset
-- what a handler sees: SQLSTATE and schema field (the C code's errors carry it when raised)
CREATE FUNCTION public.regress_err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    code text;
    sch text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, sch = SCHEMA_NAME;
    RETURN code || ' ' || coalesce(nullif(sch, ''), '(not the extension)');
END $$;
GRANT EXECUTE ON FUNCTION public.regress_err(text) TO regress_ht_eapp;

SET ROLE regress_ht_eapp;
-- 401: a rejected token
SELECT public.regress_err($$SELECT hive_tokens.authenticate('hvo2_not_a_token')$$) AS rejected;
-- 400: malformed input
SELECT public.regress_err($$SELECT 'hvo2_x'::hive_tokens.access_token$$) AS malformed_token,
       public.regress_err($$SELECT '{project:describ}'::hive_tokens.scopes$$) AS bad_scopes;
-- 500: an unknown action is the calling code's bug, not the request's
SELECT public.regress_err($$SELECT hive_tokens.can('project:describ', '00000000-0000-4000-8000-0000000000a1')$$) AS unknown_action,
       public.regress_err($$SELECT hive_tokens.allowed_projects('nope:nope')$$) AS unknown_action_rls;
-- 403: refusals, inside a transaction with a principal
BEGIN;
SELECT hive_tokens.authenticate(:'R') IS NOT NULL AS authenticated;
SELECT public.regress_err($$SELECT hive_tokens.assert_can('schemaVersion:publish', '00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000c1', 'products')$$) AS assert_can;
-- a write a protect()ed table refuses: the extension's 42501, not PostgreSQL's generic one
SELECT public.regress_err($$INSERT INTO hive.schema_versions (organization_id, project_id, target_id, service_name, sdl)
    VALUES ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000c1', 'products', 'x')$$) AS refused_write;
INSERT INTO hive.schema_versions (organization_id, project_id, target_id, service_name, sdl)
    VALUES ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000c1', 'products', 'x');
ROLLBACK;
-- 500: a missing GRANT is PostgreSQL's 42501, without the mark
SELECT public.regress_err($$SELECT count(*) FROM hive.targets$$) AS missing_grant;
RESET ROLE;

-- try_authenticate(): NULL and no principal for anything authenticate() rejects; the transaction
-- can still authenticate afterwards, since nothing was set
BEGIN;
SET LOCAL ROLE regress_ht_eapp;
SELECT hive_tokens.try_authenticate('hvo2_not_a_token') AS garbage, hive_tokens.try_authenticate(NULL) AS null_token,
       hive_tokens.current_principal_kind() AS kind;
SELECT hive_tokens.try_authenticate(:'R') IS NOT NULL AS live, hive_tokens.current_principal_kind() AS kind;
SELECT count(*) AS reader_sees FROM hive.projects;
-- the one-principal rule still holds (not a token problem: an error)
SELECT hive_tokens.try_authenticate(:'R');
ROLLBACK;
-- a revoked token: NULL, as authenticate() would say 28000
SELECT token AS "X", token_id AS "X_id" FROM hive_tokens.issue(:'a1', 'revoked soon', '{project:describe}') \gset
SELECT hive_tokens.revoke(:'X_id');
BEGIN;
SELECT hive_tokens.try_authenticate(:'X') AS revoked, hive_tokens.current_principal_kind() AS kind;
ROLLBACK;
-- outside a transaction block, as authenticate()
SELECT hive_tokens.try_authenticate(:'R');

DROP FUNCTION public.regress_err(text);
DROP SCHEMA hive CASCADE;
REVOKE ALL ON FUNCTION hive_tokens.rotate(uuid, interval) FROM regress_ht_eapp;
DROP ROLE regress_ht_eapp;
