-- Issuing, verifying, hashing and revoking tokens.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
RESET client_min_messages;
\set org '11111111-1111-4111-8111-111111111111'

-- issue() returns the plaintext once; the table holds only a keyed hash.
SELECT token_id AS t1_id, token AS t1 FROM hive_tokens.issue(:'org', 'CI publish', '{schemaVersion:publish, schemaCheck:create, schemaVersion:publish}', description => 'publishes the products subgraph') \gset
SELECT length(:'t1') AS length, left(:'t1', 5) AS prefix,
       :'t1'::hive_tokens.access_token IS NOT NULL AS checksum_ok;
SELECT kind, title, description, scopes, resources, first_characters = left(:'t1', 9) AS first_characters_ok,
       octet_length(hash) AS hash_bytes,
       key_id = (SELECT k.key_id FROM hive_tokens.keyring() AS k WHERE k.issuing) AS issuing_key, created_by = session_user AS by_me, expires_at, last_used_at
  FROM hive_tokens.access_tokens WHERE id = :'t1_id';
-- the plaintext is stored nowhere in the row
SELECT count(*) AS rows_containing_secret FROM hive_tokens.access_tokens AS a
 WHERE a::text LIKE '%' || substr(:'t1', 20, 30) || '%';
-- hash() is exactly what is stored
SELECT hive_tokens.hash(:'t1') = hash AS hash_matches FROM hive_tokens.access_tokens WHERE id = :'t1_id';

-- verify(): the public record, no hash
SELECT id = :'t1_id' AS id_ok, organization_id, kind, title, scopes, resources
  FROM hive_tokens.verify(:'t1');
-- one row for a live token, none for anything else: SELECT * FROM verify($1) never yields a row of
-- NULLs that a client could take for success
SELECT (SELECT v.id FROM hive_tokens.verify(:'t1'::hive_tokens.access_token) AS v) = :'t1_id' AS verifies_typed,
       (SELECT count(*) FROM hive_tokens.verify(:'t1')) AS live_rows,
       (SELECT count(*) FROM hive_tokens.verify('hvo2_not_a_token')) AS bad_rows,
       (SELECT count(*) FROM hive_tokens.verify(NULL::text)) AS null_rows;
SELECT * FROM hive_tokens.verify('hvo2_not_a_token');
SELECT hive_tokens.verify('hvo2_not_a_token') AS in_target_list;
SELECT hive_tokens.verify_reason(:'t1') AS reason, hive_tokens.verify_reason(:'t1'::hive_tokens.access_token) AS typed_reason;
-- the view shows the same, without hashes
SELECT count(*) AS in_view FROM hive_tokens.tokens WHERE id = :'t1_id';
SELECT attname FROM pg_attribute WHERE attrelid = 'hive_tokens.tokens'::regclass AND attnum > 0 ORDER BY attnum;

-- Project and personal tokens carry their own prefix.
SELECT token AS tp FROM hive_tokens.issue(:'org', 'project token', '{usage:report}', kind => 'project', project => '22222222-2222-4222-8222-222222222222') \gset
SELECT token AS tu FROM hive_tokens.issue(:'org', 'my laptop', '{project:describe}', kind => 'personal', user_id => '33333333-3333-4333-8333-333333333333') \gset
SELECT left(:'tp', 5) AS project_prefix, (SELECT v.kind FROM hive_tokens.verify(:'tp') AS v), (SELECT v.project_id FROM hive_tokens.verify(:'tp') AS v);
SELECT left(:'tu', 5) AS personal_prefix, (SELECT v.kind FROM hive_tokens.verify(:'tu') AS v), (SELECT v.user_id FROM hive_tokens.verify(:'tu') AS v);
-- 1000 tokens: all distinct, all verify
CREATE TEMP TABLE many AS
  SELECT t.* FROM generate_series(1, 1000) AS g, hive_tokens.issue(:'org', 'bulk ' || g, '{usage:report}') AS t;
SELECT count(DISTINCT token) AS distinct_tokens, count(DISTINCT token_id) AS distinct_ids,
       count(*) FILTER (WHERE (SELECT v.id FROM hive_tokens.verify(token) AS v) = token_id) AS verified
  FROM many;

-- Verification is a primary-key probe: a mistyped token never reaches the table, and verify()
-- returns no row (never an error) for everything that is not a live token.
SELECT NOT EXISTS (SELECT FROM hive_tokens.verify(NULL)) AS null_in, hive_tokens.verify_reason(NULL) IS NULL AS null_reason;
SELECT r AS input, NOT EXISTS (SELECT FROM hive_tokens.verify(t)) AS not_verified, hive_tokens.verify_reason(t) AS reason
  FROM (VALUES
    ('empty', ''),
    ('wrong prefix', 'ghp_' || substr(:'t1', 5)),
    ('legacy shape, unknown id', 'hvp1/MGYxZTJkM2MtNGI1YS00OTc4LTg3OTYtYTViNGMzZDJlMWYwOmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWI='),
    ('truncated', left(:'t1', 70)),
    ('too long', :'t1' || 'x'),
    ('bad character', overlay(:'t1' placing '/' from 50 for 1)),
    ('non-ASCII', overlay(:'t1' placing 'ü' from 50 for 1)),
    ('one character changed', overlay(:'t1' placing CASE WHEN substr(:'t1', 50, 1) = 'a' THEN 'b' ELSE 'a' END from 50 for 1)),
    ('1 MB', repeat('h', 1048576)),
    ('1 MB, right prefix', 'hvo2_' || repeat('A', 1048576)),
    ('out of range body', 'hvu2_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz1TkQuU'),
    ('unknown id, valid checksum', 'hvo2_0RvkJYM4rjNJgJRlNVHlWT1QDryPL3GCsnU3A8fCaTDFXkowZTeYR1ekL5HqNKDeh19rfeQ')
  ) AS v(r, t);

-- A forged token for a real id (right checksum, wrong secret) is "unknown", not "expired"
-- or "revoked": reasons beyond "unknown" are told only to the holder of the real secret.
-- forge() builds the token format in plain SQL (independently of the C code).
CREATE FUNCTION pg_temp.crc32(t text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE c bigint := 4294967295;
BEGIN
    FOR i IN 1..length(t) LOOP
        c := c # ascii(substr(t, i, 1));
        FOR k IN 1..8 LOOP
            c := CASE WHEN c & 1 = 1 THEN (c >> 1) # 3988292384 ELSE c >> 1 END;
        END LOOP;
    END LOOP;
    RETURN c # 4294967295;
END $$;
CREATE FUNCTION pg_temp.b62(n numeric, width int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text := '';
BEGIN
    FOR i IN 1..width LOOP
        s := substr('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', mod(n, 62)::int + 1, 1) || s;
        n := div(n, 62);
    END LOOP;
    RETURN s;
END $$;
CREATE FUNCTION pg_temp.forge(prefix text, id uuid, secret_hex text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE n numeric := 0; h text := replace(id::text, '-', '') || secret_hex; b text;
BEGIN
    FOR i IN 1..length(h) LOOP
        n := n * 16 + (position(substr(h, i, 1) IN '0123456789abcdef') - 1);
    END LOOP;
    b := prefix || pg_temp.b62(n, 65);
    RETURN b || pg_temp.b62(pg_temp.crc32(b), 6);
END $$;
-- the helper reproduces the shared test vector exactly
SELECT pg_temp.forge('hvo2_', '0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0', '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f')
       = 'hvo2_0RvkJYM4rjNJgJRlNVHlWT1QDryPL3GCsnU3A8fCaTDFXkowZTeYR1ekL5HqNKDeh19rfeQ' AS forge_ok;
SELECT pg_temp.forge('hvo2_', :'t1_id', repeat('ab', 32)) AS forged_t1 \gset
SELECT NOT EXISTS (SELECT FROM hive_tokens.verify(:'forged_t1')) AS forged_not_verified, hive_tokens.verify_reason(:'forged_t1') AS forged_reason;
-- the same id and secret under another kind letter is a different token
SELECT hive_tokens.verify_reason('hvp2_' || substr(:'t1', 6, 65) || pg_temp.b62(pg_temp.crc32('hvp2_' || substr(:'t1', 6, 65)), 6)) AS other_kind_reason;

-- Expired: fails at once, no cache window.
SELECT token_id AS te_id, token AS te FROM hive_tokens.issue(:'org', 'short lived', '{usage:report}', expires_at => clock_timestamp() + interval '300 milliseconds') \gset
SELECT hive_tokens.verify_reason(:'te') AS before_expiry;
SELECT pg_sleep(0.5);
SELECT NOT EXISTS (SELECT FROM hive_tokens.verify(:'te')) AS expired_not_verified, hive_tokens.verify_reason(:'te') AS after_expiry;
SELECT hive_tokens.verify_reason(pg_temp.forge('hvo2_', :'te_id', repeat('cd', 32))) AS forged_expired_reason;

-- revoke(): hard delete, seen by the very next verify; a second revoke is a no-op.
SELECT hive_tokens.revoke(:'t1_id') AS revoked;
SELECT NOT EXISTS (SELECT FROM hive_tokens.verify(:'t1')) AS gone, hive_tokens.verify_reason(:'t1') AS reason;
SELECT count(*) AS rows_left FROM hive_tokens.access_tokens WHERE id = :'t1_id';
SELECT hive_tokens.verify_reason(:'forged_t1') AS forged_revoked_reason;
SELECT hive_tokens.revoke(:'t1_id') AS revoked_again;
SELECT hive_tokens.revoke('00000000-0000-4000-8000-000000000000') AS unknown_id;
SELECT hive_tokens.revoke(NULL) AS null_id;

-- hash() of something that is not a token is an error, never an echo of the input.
SELECT hive_tokens.hash('not a token');
SELECT hive_tokens.hash(overlay(:'tp' placing CASE WHEN substr(:'tp', 50, 1) = 'a' THEN 'b' ELSE 'a' END from 50 for 1));

-- issue() validates everything before writing (SQLSTATE 22023 / 22004).
SELECT * FROM hive_tokens.issue(NULL, 'title', '{usage:report}');
SELECT * FROM hive_tokens.issue(:'org', NULL, '{usage:report}');
SELECT * FROM hive_tokens.issue(:'org', 'x', '{usage:report}');
SELECT * FROM hive_tokens.issue(:'org', repeat('x', 101), '{usage:report}');
SELECT * FROM hive_tokens.issue(:'org', 'semi;colon', '{usage:report}');
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{usage:report}', description => repeat('d', 249));
SELECT * FROM hive_tokens.issue(:'org', 'ok title', NULL);
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{}');
SELECT * FROM hive_tokens.issue(:'org', 'ok title', ARRAY['usage:report', NULL]::hive_tokens.scopes);
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{usage report}');
SELECT * FROM hive_tokens.issue(:'org', 'ok title', ('{' || repeat('a', 10240) || ':b}')::hive_tokens.scopes);
-- scopes are validated against the catalog (sql/scopes.sql covers the type itself):
-- retired permissions, permissions tokens may not hold, organization permissions on a project
-- token, and missing dependencies (Hive checks those only in its web UI)
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{member:assignRole}');
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{usage:report,organization:delete,billing:update}');
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{*}');
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{member:describe,usage:report}', kind => 'project', project => '22222222-2222-4222-8222-222222222222');
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{member:modify}');
-- the documented way out: grant the closure
SELECT token AS tc FROM hive_tokens.issue(:'org', 'closure', hive_tokens.depends_closure('{member:modify}')) \gset
SELECT (SELECT v.scopes FROM hive_tokens.verify(:'tc') AS v) AS closure_scopes;
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{usage:report}', resources => '[]');
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{usage:report}', resources => '{"mode": "some"}');
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{usage:report}', expires_at => now() - interval '1 day');
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{usage:report}', kind => 'team');
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{usage:report}', kind => 'project');
-- a project token's resources are within its project: its targets may be narrowed, another
-- project is refused, and so is a granular assignment without its project
SELECT token_id AS narrow_id FROM hive_tokens.issue(:'org', 'narrow project', '{usage:report}', kind => 'project',
    project => '22222222-2222-4222-8222-222222222222',
    resources => '{"mode": "granular", "projects": [{"type": "project", "id": "22222222-2222-4222-8222-222222222222", "targets": {"mode": "granular", "targets": [{"type": "target", "id": "33333333-3333-4333-8333-333333333333", "services": {"mode": "*"}, "appDeployments": {"mode": "*"}}]}}]}') \gset
SELECT resources FROM hive_tokens.tokens WHERE id = :'narrow_id';
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{usage:report}', kind => 'project', project => '22222222-2222-4222-8222-222222222222',
    resources => '{"mode": "granular", "projects": [{"type": "project", "id": "44444444-4444-4444-8444-444444444444", "targets": {"mode": "*"}}]}');
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{usage:report}', kind => 'project', project => '22222222-2222-4222-8222-222222222222',
    resources => '{"mode": "granular", "projects": []}');
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{usage:report}', kind => 'personal');
-- Hive tells a token's kind from its ids: each kind holds only its own
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{usage:report}', project => '22222222-2222-4222-8222-222222222222');
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{usage:report}', user_id => '33333333-3333-4333-8333-333333333333');
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{usage:report}', kind => 'project', project => '22222222-2222-4222-8222-222222222222',
                                user_id => '33333333-3333-4333-8333-333333333333');
-- titles and descriptions are trimmed as Hive trims them, and a description counts as Hive
-- counts it (UTF-16 code units: an emoji is two)
SELECT token_id AS trimmed_id FROM hive_tokens.issue(:'org', E'  spaced title\n', '{usage:report}', description => E' what it is for \t') \gset
SELECT title, description FROM hive_tokens.tokens WHERE id = :'trimmed_id';
SELECT * FROM hive_tokens.issue(:'org', ' a ', '{usage:report}');
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{usage:report}', description => repeat(U&'\+01F600', 125));
SELECT count(*) AS issued FROM hive_tokens.issue(:'org', 'ok title', '{usage:report}', description => repeat(U&'\+01F600', 124));
-- expiry is checked against the clock, not the start of the transaction
BEGIN;
SELECT pg_sleep(0.3);
SELECT * FROM hive_tokens.issue(:'org', 'ok title', '{usage:report}', expires_at => clock_timestamp() - interval '0.1 seconds');
ROLLBACK;
-- the table keeps the same row rules, with the same messages, for rows written without issue()
INSERT INTO hive_tokens.access_tokens (id, organization_id, kind, title, scopes, hash, key_id, first_characters)
VALUES (gen_random_uuid(), :'org', 'organization', 'x', '{usage:report}', decode(repeat('00', 32), 'hex'), 1, 'hvo2_AAAA');
INSERT INTO hive_tokens.access_tokens (id, organization_id, kind, title, scopes, hash, key_id, first_characters)
VALUES (gen_random_uuid(), :'org', 'project', 'no project', '{usage:report}', decode(repeat('00', 32), 'hex'), 1, 'hvp2_AAAA');
INSERT INTO hive_tokens.access_tokens (id, organization_id, kind, title, scopes, hash, key_id, first_characters)
VALUES (gen_random_uuid(), :'org', 'organization', 'no permissions', '{}', decode(repeat('00', 32), 'hex'), 1, 'hvo2_AAAA');
-- a NULL resources argument means all resources, as in Hive
SELECT token AS tall FROM hive_tokens.issue(:'org', 'all of it', '{usage:report,traces:report}', resources => NULL) \gset
SELECT (SELECT v.resources FROM hive_tokens.verify(:'tall') AS v);
-- verification reads the latest committed state and this transaction's own changes (the cache
-- is only ever as old as the latest invalidation): a token issued by the same statement verifies
SELECT hive_tokens.verify_reason(token) AS same_statement FROM hive_tokens.issue(:'org', 'same statement', '{usage:report,traces:report}');
