-- Tokens imported from Hive: a legacy token's first use (Hive's bcrypt, cost 10, checked with the
-- system's libcrypt) against its later uses (the keyed hash the usage worker stored after the
-- first use), side by side with tokens issued here. Run by bench/run.sh on its preloaded
-- cluster; prints one table. Not a test: nothing here asserts.
\set ON_ERROR_STOP 1
\pset footer off
\ir lib.sql
CREATE EXTENSION IF NOT EXISTS pgcrypto;
\set n 20
\set uses 500

-- Hive's table, :n tokens hashed as Hive hashes them
CREATE TABLE hive_oat (id uuid PRIMARY KEY, organization_id uuid NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
    title text NOT NULL, description text, permissions text[], assigned_resources jsonb, hash text,
    first_characters text, project_id uuid, user_id uuid, expires_at timestamptz);
CREATE TABLE hive_holders (id uuid PRIMARY KEY, token text NOT NULL);
WITH s AS (SELECT gen_random_uuid() AS id, encode(digest(gen_random_bytes(20), 'sha256'), 'hex') AS secret
             FROM generate_series(1, :n)),
     h AS (INSERT INTO hive_holders
           SELECT id, 'hvo1/' || translate(encode(convert_to(id::text || ':' || secret, 'UTF8'), 'base64'), E'\n', '') FROM s)
INSERT INTO hive_oat (id, organization_id, title, permissions, hash)
SELECT id, '88888888-8888-4888-8888-888888888888', 'hive ' || id, '{usage:report}', crypt(secret, gen_salt('bf', 10)) FROM s;
SELECT imported FROM hive_tokens.import_hive_tokens('hive_oat') \gset
CREATE TABLE native_holders AS
    SELECT t.token_id AS id, t.token FROM generate_series(1, :n) AS g,
           hive_tokens.issue('88888888-8888-4888-8888-888888888888', 'native ' || g, '{usage:report}') AS t;
SET hive_tokens.verify_cache_size = 0;  -- every use reads the row: what a use costs, not the cache

-- first use: one pass (a token is used for the first time once)
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FILTER (WHERE hive_tokens.verify_reason(token) = 'legacy') AS first_ok FROM hive_holders \gset
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000, 1) AS first_ms \gset
SELECT bcrypt_checks AS first_checks FROM hive_tokens.verify_cache() \gset

-- the usage worker stores the keyed hashes (within hive_tokens.usage_flush_interval)
DO $$
BEGIN
    FOR i IN 1..600 LOOP
        EXIT WHEN NOT EXISTS (SELECT 1 FROM hive_tokens.access_tokens WHERE legacy_hash IS NOT NULL);
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SELECT count(*) AS not_upgraded FROM hive_tokens.access_tokens WHERE legacy_hash IS NOT NULL \gset
\c
\ir lib.sql
SET hive_tokens.verify_cache_size = 0;
\set n 20
\set uses 500
-- later uses, in a new session (nothing remembered from the first use): best of 3
SELECT pg_temp.best_ms(format($q$SELECT count(*) FILTER (WHERE hive_tokens.verify_reason(h.token) = 'legacy')
                                  FROM hive_holders AS h, generate_series(1, %s)$q$, :uses)) AS later_ms,
       pg_temp.best_ms(format($q$SELECT count(*) FILTER (WHERE hive_tokens.verify_reason(h.token) = 'ok')
                                  FROM native_holders AS h, generate_series(1, %s)$q$, :uses)) AS native_ms \gset
SELECT bcrypt_checks AS later_checks FROM hive_tokens.verify_cache() \gset

\echo
\echo 'legacy tokens imported from Hive (' :n 'tokens, bcrypt cost 10; every use reads the row, cache off; later-use checks with bcrypt:' :later_checks ', not upgraded:' :not_upgraded ')'
SELECT 'first use (bcrypt)' AS measure, round(:first_ms / :n, 3) AS ms_per_use, :first_checks AS bcrypt_checks, NULL::numeric AS vs_first
UNION ALL
SELECT 'later uses (keyed hash)', round(:later_ms / (:n * :uses), 4), :later_checks, round((:first_ms / :n) / (:later_ms / (:n * :uses)))
UNION ALL
SELECT 'tokens issued here (reference)', round(:native_ms / (:n * :uses), 4), 0, round((:first_ms / :n) / (:native_ms / (:n * :uses)));
