-- scopes ? text and scopes @> scopes over 10M evaluations (1M rows, 10 passes), against the same
-- tests on text[] (@>) and on an int8 bitmask (&), side by side in one run.
-- Run by bench/run.sh; prints one table. Not a test: nothing here asserts.
\set ON_ERROR_STOP 1
\pset footer off
\ir lib.sql

-- 1M grants of 1 to 6 random assignable permissions, in three representations.
CREATE TEMP TABLE perms AS
    SELECT row_number() OVER (ORDER BY bit_number) - 1 AS i, bit_number, name
      FROM hive_tokens.permissions WHERE assignable;
CREATE TEMP TABLE grants AS
    SELECT g, hive_tokens.scopes(array_agg(p.name)) AS s, array_agg(p.name ORDER BY p.name) AS arr,
           bit_or(1::int8 << p.bit_number) AS bits
      FROM generate_series(1, 1000000) AS g
      CROSS JOIN LATERAL (SELECT DISTINCT ON (k) (SELECT name FROM perms WHERE i = (hashint4(g * 7 + k) & 2147483647) % 22) AS name
                            FROM generate_series(1, 1 + g % 6) AS k) AS pick
      JOIN perms AS p USING (name)
     GROUP BY g;
VACUUM ANALYZE grants;
SELECT (1::int8 << bit_number) AS usage_bit FROM hive_tokens.permissions WHERE name = 'usage:report' \gset
SELECT (1::int8 << bit_number) | :usage_bit AS both_bits FROM hive_tokens.permissions WHERE name = 'traces:report' \gset

CREATE FUNCTION pg_temp.agree(a text, b text, c text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE x bigint; y bigint; z bigint;
BEGIN
    EXECUTE a INTO x; EXECUTE b INTO y; EXECUTE c INTO z;
    RETURN x = y AND y = z;
END $$;


-- Each query evaluates its test for 10 different permissions on every one of the 1M rows
-- (10M evaluations), summing the results so that nothing short-circuits; the scan and the
-- sum are the same for the three forms, and "baseline" measures them alone.
CREATE TEMP TABLE probes AS
    SELECT name, (1::int8 << bit_number) AS bit FROM perms ORDER BY i LIMIT 10;
CREATE TEMP TABLE pairs AS
    SELECT a.name AS n1, b.name AS n2, a.bit | b.bit AS bits
      FROM (SELECT name, bit, row_number() OVER (ORDER BY name) AS r FROM probes) AS a
      JOIN (SELECT name, bit, row_number() OVER (ORDER BY name) AS r FROM probes) AS b ON b.r = a.r % 10 + 1;
SELECT 'SELECT sum(' || string_agg(format('(s OPERATOR(hive_tokens.?) %L)::int', name), ' + ') || ') FROM grants' AS q_has_scopes,
       'SELECT sum(' || string_agg(format('(arr @> ARRAY[%L])::int', name), ' + ') || ') FROM grants' AS q_has_array,
       'SELECT sum(' || string_agg(format('(bits & %s <> 0)::int', bit), ' + ') || ') FROM grants' AS q_has_int8,
       'SELECT sum(' || string_agg(format('(g <> %s)::int', bit % 1000), ' + ') || ') FROM grants' AS q_baseline
  FROM probes \gset
SELECT 'SELECT sum(' || string_agg(format('(s OPERATOR(hive_tokens.@>) %L::hive_tokens.scopes)::int', '{' || n1 || ',' || n2 || '}'), ' + ') || ') FROM grants' AS q_contains_scopes,
       'SELECT sum(' || string_agg(format('(arr @> ARRAY[%L, %L])::int', n1, n2), ' + ') || ') FROM grants' AS q_contains_array,
       'SELECT sum(' || string_agg(format('(bits & %s = %s)::int', bits, bits), ' + ') || ') FROM grants' AS q_contains_int8
  FROM pairs \gset

-- the three forms agree on these queries too
SELECT pg_temp.agree(:'q_has_scopes', :'q_has_array', :'q_has_int8') AS has_forms_agree,
       pg_temp.agree(:'q_contains_scopes', :'q_contains_array', :'q_contains_int8') AS contains_forms_agree;

SELECT pg_temp.best_ms(:'q_has_scopes') AS has_scopes, pg_temp.best_ms(:'q_has_array') AS has_array,
       pg_temp.best_ms(:'q_has_int8') AS has_int8,
       pg_temp.best_ms(:'q_contains_scopes') AS contains_scopes, pg_temp.best_ms(:'q_contains_array') AS contains_array,
       pg_temp.best_ms(:'q_contains_int8') AS contains_int8,
       pg_temp.best_ms(:'q_baseline') AS baseline \gset

\echo
\echo '10M evaluations each (1M rows x 10 different permissions, best of 3), milliseconds.'
\echo 'baseline = the same scan and sum with a trivial int4 test; net = time - baseline.'
SELECT measure, scopes_ms, text_array_ms, int8_ms,
       round(text_array_ms / scopes_ms, 2) AS "text[]/scopes",
       round(scopes_ms / int8_ms, 2) AS "scopes/int8",
       round((text_array_ms - b) / nullif(scopes_ms - b, 0), 2) AS "net text[]/scopes",
       round((scopes_ms - b) / nullif(int8_ms - b, 0), 2) AS "net scopes/int8"
  FROM (VALUES ('scopes ? text', :has_scopes::numeric, :has_array::numeric, :has_int8::numeric, :baseline::numeric),
               ('scopes @> scopes', :contains_scopes, :contains_array, :contains_int8, :baseline))
       AS v(measure, scopes_ms, text_array_ms, int8_ms, b);
\echo 'baseline:' :baseline 'ms. Targets (docs/architecture.md): text[]/scopes >= 5, scopes/int8 <= 2.'
