-- In-backend verification of 100k distinct tokens, against baselines in the same run.
-- Run by bench/run.sh; prints one line per measure. Not a test: nothing here asserts.
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS hive_tokens;

\ir lib.sql

\echo issuing :n tokens
SELECT clock_timestamp() AS t0 \gset
CREATE TABLE bench_tokens AS
    SELECT t.token_id AS id, t.token
      FROM generate_series(1, :n) AS g,
           hive_tokens.issue('99999999-9999-4999-8999-999999999999', 'bench ' || g, '{usage:report}') AS t;
SELECT round(:n / extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)) AS issue_tokens_per_second \gset
ANALYZE bench_tokens;
ANALYZE hive_tokens.access_tokens;

-- Baseline 1: the same lookup written in SQL through SPI (plpgsql), keyed hash via hash().
CREATE FUNCTION pg_temp.spi_verify(id uuid, token text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM hive_tokens.access_tokens AS a WHERE a.id = spi_verify.id AND a.hash = hive_tokens.hash(token));
END $$;

-- Baseline 2: a do-it-yourself pgcrypto scheme: sha256 of a secret, index probe in SQL.
CREATE TABLE diy (id uuid PRIMARY KEY, hash bytea NOT NULL);
CREATE TABLE diy_tokens AS SELECT gen_random_uuid() AS id, encode(gen_random_bytes(32), 'hex') AS secret FROM generate_series(1, :n);
INSERT INTO diy SELECT id, digest(secret, 'sha256') FROM diy_tokens;
ANALYZE diy; ANALYZE diy_tokens;
CREATE FUNCTION pg_temp.diy_verify(id uuid, secret text) RETURNS boolean LANGUAGE sql STABLE AS
    $$ SELECT EXISTS (SELECT 1 FROM diy WHERE diy.id = $1 AND diy.hash = digest($2, 'sha256')) $$;

-- Baseline 3: bcrypt (cost 10) as Hive stores its tokens; 20 tokens are plenty.
CREATE TABLE hive_bcrypt AS SELECT id, secret, crypt(secret, gen_salt('bf', 10)) AS hash FROM diy_tokens LIMIT 20;

SET max_parallel_workers_per_gather = 0;
-- the verified-token cache: hits (every token kept: best of 3 runs after a first that fills it),
-- misses (a cache of one row: every lookup misses, fills and evicts), and off
SET hive_tokens.verify_cache_size = 1000000;
SELECT count(*) FROM bench_tokens WHERE hive_tokens.verify_reason(token) = 'ok' \gset warm_
SELECT pg_temp.best_ms($$SELECT count((v).id) FROM (SELECT hive_tokens.verify(token) AS v FROM bench_tokens) AS s$$) AS hit_verify_ms \gset
SELECT hits AS cache_hits, entries AS cache_entries FROM hive_tokens.verify_cache() \gset
SET hive_tokens.verify_cache_size = 1;
SELECT pg_temp.best_ms($$SELECT count((v).id) FROM (SELECT hive_tokens.verify(token) AS v FROM bench_tokens) AS s$$) AS miss_verify_ms \gset
SET hive_tokens.verify_cache_size = 0;
SELECT pg_temp.best_ms($$SELECT count(*) FILTER (WHERE hive_tokens.verify_reason(token) = 'ok') FROM bench_tokens$$) AS direct_reason_ms,
       pg_temp.best_ms($$SELECT count((v).id) FROM (SELECT hive_tokens.verify(token) AS v FROM bench_tokens) AS s$$) AS direct_verify_ms,
       pg_temp.best_ms($$SELECT count(*) FILTER (WHERE pg_temp.spi_verify(id, token)) FROM bench_tokens$$) AS spi_ms,
       pg_temp.best_ms($$SELECT count(*) FILTER (WHERE pg_temp.diy_verify(id, secret)) FROM diy_tokens$$) AS diy_ms,
       pg_temp.best_ms($$SELECT count(*) FILTER (WHERE crypt(secret, hash) = hash) FROM hive_bcrypt$$) AS bcrypt20_ms \gset
-- sanity: every measured verifier accepts every one of its tokens
SELECT (SELECT count(*) FROM (SELECT id, hive_tokens.verify(token) AS v FROM bench_tokens) AS s WHERE (v).id = id) AS direct_ok,
       (SELECT count(*) FILTER (WHERE pg_temp.spi_verify(id, token)) FROM bench_tokens) AS spi_ok \gset
SELECT count(*) FILTER (WHERE pg_temp.diy_verify(id, secret)) AS diy_ok FROM diy_tokens \gset

\echo
\echo 'in-backend verification of' :n 'distinct tokens (best of 3; all verifiers accepted all tokens:' :direct_ok :spi_ok :diy_ok ')'
SELECT 'verify(), cache hits' AS measure, :hit_verify_ms AS total_ms, round(:hit_verify_ms * 1000 / :n, 2) AS us_per_token,
       round(:diy_ms / :hit_verify_ms, 2) AS ratio
UNION ALL SELECT 'verify(), cache misses', :miss_verify_ms, round(:miss_verify_ms * 1000 / :n, 2), round(:diy_ms / :miss_verify_ms, 2)
UNION ALL SELECT 'verify() (C, direct pkey probe, cache off)', :direct_verify_ms, round(:direct_verify_ms * 1000 / :n, 2), NULL::numeric
UNION ALL SELECT 'verify_reason() (C, direct pkey probe)', :direct_reason_ms, round(:direct_reason_ms * 1000 / :n, 2), NULL
UNION ALL SELECT 'same lookup through SPI (plpgsql)', :spi_ms, round(:spi_ms * 1000 / :n, 2), round(:spi_ms / :direct_verify_ms, 2)
UNION ALL SELECT 'pgcrypto digest() + index probe in SQL', :diy_ms, round(:diy_ms * 1000 / :n, 2), round(:diy_ms / :direct_verify_ms, 2)
UNION ALL SELECT 'bcrypt cost 10 as Hive stores tokens', NULL, round(:bcrypt20_ms * 1000 / 20, 2), round((:bcrypt20_ms / 20) / (:direct_verify_ms / :n))
UNION ALL SELECT 'issue(): tokens per second', NULL, NULL, :issue_tokens_per_second;
\echo 'ratio = baseline time / verify() time (cache off), or pgcrypto time / verify() time for the cache rows:'
\echo 'above 1 means verify() is faster (targets: cache hits >= 5 and misses >= 1.5 against pgcrypto; SPI > 1, bcrypt >= 1000)'
\echo 'cache after the hit runs:' :cache_entries 'rows kept,' :cache_hits 'hits'
