-- One authorization check: the compiled policy (hive_tokens.evaluate, statements compiled once
-- per call site) against the same statements evaluated from jsonb in SQL, side by side.
-- Run by bench/run.sh; prints one table. Not a test: nothing here asserts.
\set ON_ERROR_STOP 1
\pset footer off
\ir lib.sql

-- A CI token: five permissions on ten projects (granular), as Hive resolves it.
SELECT '99999999-9999-4999-8999-999999999999' AS org \gset
CREATE TEMP TABLE projects AS SELECT gen_random_uuid() AS id FROM generate_series(1, 10);
SELECT hive_tokens.policy_statements('{project:describe,usage:report,traces:report,schemaCheck:create,schemaVersion:publish}',
           jsonb_build_object('mode', 'granular', 'projects',
               (SELECT jsonb_agg(jsonb_build_object('type', 'project', 'id', id, 'targets', '{"mode": "*"}'::jsonb)) FROM projects)),
           :'org') AS statements \gset

-- Hive's algorithm over jsonb in plain SQL (exact and trailing-* paths, as Hive's resolution
-- writes them): the interpretive baseline.
CREATE FUNCTION pg_temp.sql_evaluate(statements jsonb, action text, org uuid, project uuid, target uuid)
RETURNS boolean LANGUAGE sql STABLE AS $$
    WITH chain(el) AS (VALUES ('organization/' || org), ('project/' || project), ('target/' || target)),
    applicable AS (
        SELECT s->>'effect' AS effect
          FROM jsonb_array_elements(statements) AS s
         WHERE EXISTS (SELECT 1
                         FROM jsonb_array_elements_text(CASE jsonb_typeof(s->'resource') WHEN 'array' THEN s->'resource'
                                                             ELSE jsonb_build_array(s->'resource') END) AS r(h),
                              chain
                        WHERE split_part(h, ':', 2) IN ('*', org::text)
                          AND (split_part(h, ':', 3) = el OR split_part(h, ':', 3) = '*'
                               OR (split_part(h, ':', 3) LIKE '%/*' AND el LIKE left(split_part(h, ':', 3), -1) || '%')))
           AND EXISTS (SELECT 1
                         FROM jsonb_array_elements_text(CASE jsonb_typeof(s->'action') WHEN 'array' THEN s->'action'
                                                             ELSE jsonb_build_array(s->'action') END) AS a(x)
                        WHERE x = '*' OR x = action
                           OR (split_part(x, ':', 2) = '*' AND split_part(x, ':', 1) = split_part(action, ':', 1))))
    SELECT NOT EXISTS (SELECT 1 FROM applicable WHERE effect = 'deny')
       AND EXISTS (SELECT 1 FROM applicable WHERE effect = 'allow')
$$;

-- 100k requests: half on granted projects, half on others.
CREATE TEMP TABLE requests AS
    SELECT g, CASE WHEN g % 2 = 0 THEN (SELECT id FROM projects ORDER BY id OFFSET (g / 2) % 10 LIMIT 1)
                   ELSE gen_random_uuid() END AS project, gen_random_uuid() AS target
      FROM generate_series(1, 100000) AS g;
ANALYZE requests;

-- both give the same answers
SELECT count(*) FILTER (WHERE hive_tokens.evaluate(:'statements', 'usage:report', :'org', project, target)) AS compiled_allowed,
       count(*) FILTER (WHERE pg_temp.sql_evaluate(:'statements', 'usage:report', :'org', project, target)) AS sql_allowed,
       count(*) FILTER (WHERE hive_tokens.evaluate(:'statements', 'usage:report', :'org', project, target)
                          IS DISTINCT FROM pg_temp.sql_evaluate(:'statements', 'usage:report', :'org', project, target)) AS disagreements
  FROM requests WHERE g <= 10000;

SELECT pg_temp.best_ms(format($$SELECT count(*) FILTER (WHERE hive_tokens.evaluate(%L, 'usage:report', %L, project, target)) FROM requests$$, :'statements', :'org')) AS compiled_ms,
       pg_temp.best_ms(format($$SELECT count(*) FILTER (WHERE pg_temp.sql_evaluate(%L, 'usage:report', %L, project, target)) FROM requests WHERE g <= 10000$$, :'statements', :'org')) AS sql_ms_10k,
       pg_temp.best_ms($$SELECT count(*) FILTER (WHERE project IS NOT NULL AND target IS NOT NULL) FROM requests$$) AS scan_ms \gset

\echo
\echo 'one check of usage:report against a token granted 10 projects (best of 3)'
SELECT 'compiled (hive_tokens.evaluate)' AS evaluator, 100000 AS checks, :compiled_ms AS total_ms,
       round((:compiled_ms - :scan_ms) * 1000000 / 100000) AS ns_per_check_net_of_scan, NULL::numeric AS "slower than compiled"
UNION ALL
SELECT 'jsonb in SQL', 10000, :sql_ms_10k, round((:sql_ms_10k - :scan_ms / 10) * 1000000 / 10000),
       round(((:sql_ms_10k - :scan_ms / 10) / 10000) / ((:compiled_ms - :scan_ms) / 100000), 1);
\echo 'scan_ms (the same scan with no check):' :scan_ms '- target: one compiled check well under 1000 ns'

-- Reading the statements: each row brings its own statements (a different project each), so
-- every call reads jsonb into the core's values and compiles them. Baseline in the same run:
-- PostgreSQL turning the same jsonb into text (what reading them through text costs before any
-- parsing at all).
CREATE TEMP TABLE varied AS
    SELECT g, jsonb_set(:'statements'::jsonb, '{1,resource,0}', to_jsonb('hrn:' || :'org' || ':project/' || gen_random_uuid())) AS s
      FROM generate_series(1, 20000) AS g;
ANALYZE varied;
SELECT pg_temp.best_ms(format($$SELECT count(*) FILTER (WHERE hive_tokens.evaluate(s, 'usage:report', %L, %L, %L)) FROM varied$$,
                              :'org', (SELECT id FROM projects LIMIT 1), gen_random_uuid())) AS read_ms,
       pg_temp.best_ms($$SELECT sum(length(s::text)) FROM varied$$) AS to_text_ms \gset
\echo
\echo 'reading and compiling statements that change on every row (20000 rows, best of 3)'
SELECT :read_ms AS read_and_compile_ms, :to_text_ms AS jsonb_to_text_ms,
       round(:read_ms / :to_text_ms, 2) AS "read+compile / to text";
