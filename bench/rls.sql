-- A protected count over 1M rows where the token may see 10 projects, against the same count
-- with the equivalent hand-written WHERE on an unprotected copy, side by side.
-- Run by bench/run.sh; prints one table and the plan. Not a test: nothing here asserts.
\set ON_ERROR_STOP 1
\pset footer off
\ir lib.sql
SELECT '99999999-9999-4999-8999-999999999999' AS org \gset

-- 1M usage rows: 100 projects of 10,000 rows, two targets each.
CREATE TABLE rls_protected AS
    SELECT :'org'::uuid AS organization_id,
           ('00000000-0000-4000-8000-' || lpad(to_hex(g % 100), 12, '0'))::uuid AS project_id,
           ('00000000-0000-4000-9000-' || lpad(to_hex(g % 200), 12, '0'))::uuid AS target_id,
           g AS n
      FROM generate_series(1, 1000000) AS g;
ALTER TABLE rls_protected ALTER organization_id SET NOT NULL, ALTER project_id SET NOT NULL, ALTER target_id SET NOT NULL;
CREATE TABLE rls_plain AS SELECT * FROM rls_protected;
CREATE INDEX ON rls_protected (organization_id);
CREATE INDEX ON rls_protected (project_id);
CREATE INDEX ON rls_protected (target_id);
CREATE INDEX ON rls_plain (organization_id);
CREATE INDEX ON rls_plain (project_id);
CREATE INDEX ON rls_plain (target_id);
VACUUM ANALYZE rls_protected;
VACUUM ANALYZE rls_plain;
SELECT hive_tokens.protect('rls_protected', 'project:describe', 'project:modifySettings',
                           project_column => 'project_id', target_column => 'target_id');
DROP ROLE IF EXISTS bench_app;
CREATE ROLE bench_app;
GRANT SELECT ON rls_protected, rls_plain TO bench_app;

-- A token for 10 of the projects.
SELECT token AS tok FROM hive_tokens.issue(:'org', 'ten projects', '{project:describe}',
    resources => (SELECT jsonb_build_object('mode', 'granular', 'projects',
                      jsonb_agg(jsonb_build_object('type', 'project', 'id', ('00000000-0000-4000-8000-' || lpad(to_hex(g * 7), 12, '0')), 'targets', '{"mode": "*"}'::jsonb)))
                    FROM generate_series(1, 10) AS g)) \gset
SELECT array_agg(('00000000-0000-4000-8000-' || lpad(to_hex(g * 7), 12, '0'))::uuid) AS ten FROM generate_series(1, 10) AS g \gset

CREATE FUNCTION pg_temp.count_as(token text, q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    PERFORM hive_tokens.authenticate(token);
    EXECUTE q INTO n;
    RETURN n;
END $$;
CREATE FUNCTION pg_temp.plan_as(token text, q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM hive_tokens.authenticate(token);
    RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q;
END $$;

SET ROLE bench_app;
SELECT pg_temp.count_as(:'tok', 'SELECT count(*) FROM rls_protected') AS protected_rows,
       (SELECT count(*) FROM rls_plain WHERE organization_id = :'org' AND project_id = ANY (:'ten'::uuid[])) AS hand_written_rows;
SELECT pg_temp.best_ms('SELECT count(*) FROM rls_protected', :'tok', 5) AS protected_ms,
       pg_temp.best_ms(format('SELECT count(*) FROM rls_plain WHERE organization_id = %L AND project_id = ANY (%L::uuid[])', :'org', :'ten'), runs => 5) AS hand_written_ms \gset
\echo
\echo 'count(*) over 1M rows, 10 of 100 projects visible (best of 5)'
SELECT :protected_ms AS protected_ms, :hand_written_ms AS hand_written_ms,
       round(:protected_ms / :hand_written_ms, 3) AS ratio;
\echo 'target: ratio <= 1.10. The protected plan:'
SELECT * FROM pg_temp.plan_as(:'tok', 'SELECT count(*) FROM rls_protected');
RESET ROLE;
