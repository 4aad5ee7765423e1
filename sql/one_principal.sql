-- A transaction has at most one principal, ever, however subtransactions are made (savepoints,
-- exception blocks, cursors advanced inside savepoints, functions called per row, set-returning
-- functions, procedures that commit), and no query ever answers for two principal states.
-- Two tokens of one organization: D sees every project but p1 (a deny list), U holds only
-- usage:report. Neither alone sees p1's rows; no combination of them may.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
DROP SCHEMA IF EXISTS hive CASCADE;
DROP ROLE IF EXISTS regress_ht_app;
\set ECHO none
\o /dev/null
\i sql/include/hive_model.sql
\o
\set ECHO all
RESET client_min_messages;
CREATE ROLE regress_ht_app;
GRANT USAGE ON SCHEMA hive TO regress_ht_app;
GRANT SELECT ON ALL TABLES IN SCHEMA hive TO regress_ht_app;
\set o '00000000-0000-4000-8000-0000000000a1'
\set p1 '00000000-0000-4000-8000-0000000000b1'
SELECT token AS "D" FROM hive_tokens.issue(:'o', 'D all but p1', '{project:describe}',
    format('{"mode": "*", "deny": [{"type": "project", "id": "%s"}]}', :'p1')::jsonb) \gset
SELECT token AS "U" FROM hive_tokens.issue(:'o', 'U usage only', '{usage:report}') \gset
SELECT set_config('regress.d', :'D', false) IS NOT NULL AS d, set_config('regress.u', :'U', false) IS NOT NULL AS u;
-- functions the attacks below use (SECURITY INVOKER: they run as the caller)
CREATE FUNCTION hive.try_token(t text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        PERFORM hive_tokens.authenticate(t);
        RAISE EXCEPTION 'undo';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    RETURN coalesce(hive_tokens.current_principal_kind(), 'none');
END $$;
CREATE FUNCTION hive.rows_then_token() RETURNS SETOF uuid LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT DISTINCT project_id FROM hive.schema_versions;
    PERFORM hive_tokens.authenticate(current_setting('regress.u'));
    RETURN QUERY SELECT DISTINCT project_id FROM hive.schema_versions;
    BEGIN
        PERFORM hive_tokens.authenticate(current_setting('regress.d'));
    EXCEPTION WHEN invalid_transaction_state THEN
        RAISE NOTICE 'second principal refused: %', SQLERRM;
    END;
    RETURN QUERY SELECT DISTINCT project_id FROM hive.schema_versions;
END $$;
CREATE PROCEDURE hive.two_transactions() LANGUAGE plpgsql AS $$
BEGIN
    PERFORM hive_tokens.authenticate(current_setting('regress.u'));
    RAISE NOTICE 'first transaction: % rows', (SELECT count(*) FROM hive.schema_versions);
    COMMIT;
    RAISE NOTICE 'after COMMIT: %', coalesce(hive_tokens.current_principal_kind(), 'no principal');
    PERFORM hive_tokens.authenticate(current_setting('regress.d'));
    RAISE NOTICE 'second transaction: % rows', (SELECT count(*) FROM hive.schema_versions);
END $$;
CREATE FUNCTION hive.token_in_worker(t text) RETURNS text LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT hive_tokens.authenticate(t)::text;
$$;
-- the rows each token sees alone: D all of project b2's, U none
SET ROLE regress_ht_app;
BEGIN;
SELECT hive_tokens.authenticate(:'D') IS NOT NULL AS d;
SELECT array_agg(DISTINCT project_id) AS d_sees FROM hive.schema_versions;
ROLLBACK;
BEGIN;
SELECT hive_tokens.authenticate(:'U') IS NOT NULL AS u;
SELECT count(*) AS u_sees FROM hive.schema_versions;
ROLLBACK;

-- 1. The attack: a cursor authenticates per row; its first row, fetched inside a savepoint that
-- is rolled back, set U; the second row tries D. Refused: the transaction already had U.
BEGIN;
SET LOCAL enable_bitmapscan = off;
SET LOCAL enable_indexscan = off;
DECLARE c NO SCROLL CURSOR FOR
  SELECT g, hive_tokens.authenticate(CASE g WHEN 1 THEN :'U' ELSE :'D' END) IS NOT NULL AS auth,
         (SELECT array_agg(DISTINCT v.project_id || '/' || v.service_name) FROM hive.schema_versions AS v WHERE g > 0) AS seen
    FROM generate_series(1, 2) AS g;
SAVEPOINT s;
FETCH 1 FROM c;
ROLLBACK TO SAVEPOINT s;
FETCH 1 FROM c;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- the same with D first and U second
BEGIN;
DECLARE c NO SCROLL CURSOR FOR
  SELECT g, hive_tokens.authenticate(CASE g WHEN 1 THEN current_setting('regress.d') ELSE current_setting('regress.u') END) IS NOT NULL AS auth,
         (SELECT array_agg(DISTINCT v.project_id) FROM hive.schema_versions AS v WHERE g > 0) AS seen
    FROM generate_series(1, 2) AS g;
SAVEPOINT s;
FETCH 1 FROM c;
ROLLBACK TO SAVEPOINT s;
FETCH 1 FROM c;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- 2. The cursor's later rows authenticate nobody: its first row's policy sets were computed for
-- U, which the rollback dropped; answering for "no principal" with them is refused.
BEGIN;
DECLARE c NO SCROLL CURSOR FOR
  SELECT g, CASE WHEN g = 1 THEN hive_tokens.authenticate(current_setting('regress.d')) IS NOT NULL END AS auth,
         (SELECT array_agg(DISTINCT v.project_id) FROM hive.schema_versions AS v WHERE g > 0) AS seen
    FROM generate_series(1, 3) AS g;
SAVEPOINT s;
FETCH 1 FROM c;
ROLLBACK TO SAVEPOINT s;
FETCH 1 FROM c;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- 3. A principal arriving in the middle of a query whose first rows ran without one: what was
-- computed without a principal is NULL (it can only reject); what follows is D's. Never more than
-- D alone sees.
BEGIN;
SELECT g, CASE WHEN g = 2 THEN hive_tokens.authenticate(current_setting('regress.d')) IS NOT NULL END AS auth,
       (SELECT array_agg(DISTINCT v.project_id) FROM hive.schema_versions AS v WHERE g > 0) AS seen
  FROM generate_series(1, 3) AS g;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- the same with the per-row arm forced (no index), so the policy's own call sites meet D
BEGIN;
SET LOCAL enable_bitmapscan = off;
SET LOCAL enable_indexscan = off;
SELECT g, CASE WHEN g = 2 THEN hive_tokens.authenticate(current_setting('regress.d')) IS NOT NULL END AS auth,
       (SELECT count(*) FROM hive.schema_versions AS v WHERE v.project_id = :'p1' AND g > 0) AS p1_rows
  FROM generate_series(1, 3) AS g;
ROLLBACK;
-- 4. A function that authenticates inside an exception block that fails, called per row: the
-- second call cannot set D after U was dropped.
BEGIN;
SELECT hive.try_token(t) FROM (VALUES (current_setting('regress.u')), (current_setting('regress.d'))) AS x(t);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- 5. A set-returning function that authenticates after it has started returning rows.
BEGIN;
SELECT count(*) AS rows_returned FROM hive.rows_then_token();
ROLLBACK;
-- 6. A PL/pgSQL loop whose one call site of a policy helper answered for U inside a block that
-- rolled back: asked again in the same transaction, it refuses rather than answer with U's sets.
BEGIN;
DO $$
DECLARE
    i int;
    projects uuid[];
BEGIN
    FOR i IN 1..2 LOOP
        BEGIN
            IF i = 1 THEN
                PERFORM hive_tokens.authenticate(current_setting('regress.d'));
            END IF;
            projects := hive_tokens.denied_projects('project:describe');
            RAISE NOTICE 'round %: denied %', i, projects;
            IF i = 1 THEN
                RAISE EXCEPTION 'undo';
            END IF;
        EXCEPTION WHEN raise_exception THEN
            NULL;
        END;
    END LOOP;
END $$;
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- 7. A procedure that commits: each transaction inside it has its own principal.
CALL hive.two_transactions();
-- 8. A cursor opened, and partly fetched, before the principal: rows fetched later are computed
-- under D, and never show more than D alone sees.
BEGIN;
DECLARE early CURSOR FOR
  SELECT g, (SELECT array_agg(DISTINCT v.project_id) FROM hive.schema_versions AS v WHERE g > 0) AS seen
    FROM generate_series(1, 3) AS g;
FETCH 1 FROM early;
SELECT hive_tokens.authenticate(:'D') IS NOT NULL AS d;
FETCH 2 FROM early;
ROLLBACK;
-- 9. A parallel worker never takes a principal of its own (its state would not be the leader's).
BEGIN;
SELECT hive_tokens.authenticate(:'U') IS NOT NULL AS u;
SET LOCAL force_parallel_mode = on;
SET LOCAL parallel_setup_cost = 0;
SELECT hive.token_in_worker(:'D');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SET LOCAL force_parallel_mode = on;
SELECT hive.token_in_worker(:'D');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
-- 10. Without a principal the policy helpers are NULL, not empty: no arm computed then admits a row.
SELECT hive_tokens.organization_wide('project:describe') AS org_wide, hive_tokens.allowed_projects('project:describe') AS projects,
       hive_tokens.allowed_targets('usage:report') AS targets, hive_tokens.row_check_targets('schemaVersion:publish') AS row_check,
       hive_tokens.denied_projects('project:describe') AS denied_projects, hive_tokens.denied_targets('usage:report') AS denied_targets;
RESET ROLE;

RESET regress.d;
RESET regress.u;
DROP SCHEMA hive CASCADE;
DROP OWNED BY regress_ht_app;
DROP ROLE regress_ht_app;
