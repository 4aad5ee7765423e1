-- Fuzzing import_hive_tokens() with hostile rows: 3000 rows of Hive's column layout whose
-- columns are, at random (fixed seed), a valid value, NULL, empty, random characters (control
-- characters and non-ASCII included), oversized (up to 1 MB, in a few rows), or a hostile shape
-- (arrays of thousands of permissions or with NULLs, jsonb nested 1000 deep or with thousands of
-- projects, infinite and ancient timestamps, bcrypt-looking hashes of every cost). The import
-- must not fail: every row is imported, already present or skipped with a reason; what it
-- imports obeys issue()'s rules; a second import imports nothing. (Its NOTICEs name random ids,
-- so they are not shown here; test/t/003 checks that the server log never holds a token.)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
RESET client_min_messages;
SELECT setseed(0.4242);

CREATE SCHEMA fuzz;
CREATE TABLE fuzz.organization_access_tokens (
    id uuid, organization_id uuid, created_at timestamptz, title text, description text, permissions text[],
    assigned_resources jsonb, hash text, first_characters text, project_id uuid, user_id uuid, expires_at timestamptz);

-- random text: printable, control, non-ASCII and token-shaped pieces, of length 0..n
CREATE FUNCTION fuzz.junk(n int) RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT string_agg(CASE (random() * 6)::int
                          WHEN 0 THEN chr(1 + (random() * 30)::int)
                          WHEN 1 THEN chr(160 + (random() * 20000)::int)
                          WHEN 2 THEN 'hvo1/'
                          WHEN 3 THEN ':'
                          ELSE chr(32 + (random() * 94)::int) END, '')
    FROM generate_series(1, (random() * n)::int)
$$;
CREATE FUNCTION fuzz.pick(VARIADIC choices text[]) RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT choices[1 + (random() * (cardinality(choices) - 1))::int]
$$;
CREATE FUNCTION fuzz.some_uuid() RETURNS uuid LANGUAGE sql VOLATILE AS $$
    SELECT CASE (random() * 4)::int WHEN 0 THEN NULL WHEN 1 THEN '00000000-0000-4000-8000-0000000f0001'::uuid
                                    ELSE gen_random_uuid() END
$$;
CREATE FUNCTION fuzz.some_time() RETURNS timestamptz LANGUAGE sql VOLATILE AS $$
    SELECT fuzz.pick(NULL::text, 'infinity', '-infinity', '4713-01-01 00:00+00 BC', '294276-12-31 23:59:59+00',
                     (now() - random() * interval '3 years')::text, (now() + random() * interval '3 years')::text)::timestamptz
$$;
CREATE FUNCTION fuzz.some_permissions() RETURNS text[] LANGUAGE sql VOLATILE AS $$
    SELECT CASE (random() * 7)::int
        WHEN 0 THEN NULL
        WHEN 1 THEN '{}'::text[]
        WHEN 2 THEN ARRAY['organization:describe', 'project:describe']
        WHEN 3 THEN ARRAY['*', 'project:*', '*:describe', NULL]
        WHEN 4 THEN (SELECT array_agg(fuzz.junk(40)) FROM generate_series(1, 1 + (random() * 20)::int))
        WHEN 5 THEN (SELECT array_agg('organization:describe'::text) FROM generate_series(1, CASE WHEN random() < 0.05 THEN 5000 ELSE 50 END))
        ELSE ARRAY['member:assignRole', 'regress:launchRockets', repeat('a', 300) || ':b'] END
$$;
CREATE FUNCTION fuzz.some_resources() RETURNS jsonb LANGUAGE sql VOLATILE AS $$
    SELECT CASE (random() * 8)::int
        WHEN 0 THEN NULL
        WHEN 1 THEN '{"mode": "*"}'::jsonb
        WHEN 2 THEN '{"mode": "granular", "projects": [{"type": "project", "id": "00000000-0000-4000-8000-0000000f00b1", "targets": {"mode": "*"}}]}'::jsonb
        WHEN 3 THEN (repeat('[', 1000) || repeat(']', 1000))::jsonb
        WHEN 4 THEN jsonb_build_object('mode', fuzz.junk(30), 'projects', fuzz.junk(30))
        WHEN 5 THEN jsonb_build_object('mode', 'granular', 'projects',
                        (SELECT jsonb_agg(jsonb_build_object('type', 'project', 'id', gen_random_uuid(), 'targets', '{"mode": "*"}'::jsonb))
                         FROM generate_series(1, CASE WHEN random() < 0.05 THEN 3000 ELSE 3 END)))
        WHEN 6 THEN '[1e308, -0, "x", null, true, {"a": {"b": {}}}]'::jsonb
        ELSE to_jsonb(fuzz.junk(200)) END
$$;
CREATE FUNCTION fuzz.some_hash() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT CASE (random() * 6)::int
        WHEN 0 THEN NULL
        WHEN 1 THEN ''
        WHEN 2 THEN '$2b$' || lpad((random() * 40)::int::text, 2, '0') || '$' || repeat('A', 53)
        WHEN 3 THEN fuzz.pick('$2a$', '$2y$', '$2x$', '$1$', '$argon2id$') || '04$' || repeat('.', 53)
        WHEN 4 THEN fuzz.junk(80)
        ELSE repeat('$2b$04$', CASE WHEN random() < 0.05 THEN 150000 ELSE 10 END) END
$$;

-- each row: a valid organization token's row, each of whose columns is replaced, with
-- probability 0.3, by a hostile value
INSERT INTO fuzz.organization_access_tokens
SELECT CASE WHEN random() < 0.3 THEN CASE WHEN random() < 0.3 THEN NULL ELSE '00000000-0000-4000-8000-0000000f0001'::uuid END
            ELSE g.id END,
       CASE WHEN random() < 0.3 THEN CASE WHEN random() < 0.3 THEN NULL ELSE gen_random_uuid() END
            ELSE '00000000-0000-4000-8000-0000000f0001'::uuid END,
       CASE WHEN random() < 0.3 THEN fuzz.some_time() ELSE now() - interval '1 day' END,
       CASE WHEN random() < 0.3 THEN
           CASE (random() * 4)::int WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN '   ' WHEN 3 THEN fuzz.junk(100)
                                    ELSE CASE WHEN random() < 0.05 THEN repeat('t', 1000000) ELSE repeat('t', 600) END END
            ELSE 'a title' END,
       CASE WHEN random() < 0.3 THEN
           CASE (random() * 2)::int WHEN 0 THEN NULL WHEN 1 THEN fuzz.junk(300)
                                    ELSE CASE WHEN random() < 0.05 THEN repeat('d', 1000000) ELSE '' END END
            ELSE 'a description' END,
       CASE WHEN random() < 0.3 THEN fuzz.some_permissions() ELSE ARRAY['organization:describe', 'project:describe'] END,
       CASE WHEN random() < 0.3 THEN fuzz.some_resources() ELSE NULL END,
       CASE WHEN random() < 0.3 THEN fuzz.some_hash() ELSE '$2b$04$' || repeat('A', 53) END,
       CASE WHEN random() < 0.3 THEN
           CASE (random() * 4)::int WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN 'hvp1/abcde' WHEN 3 THEN fuzz.junk(20)
                                    ELSE repeat('f', 100000) END
            ELSE left('hvo1/' || encode(convert_to(g.id::text, 'UTF8'), 'base64'), 10) END,
       CASE WHEN random() < 0.15 THEN fuzz.some_uuid() END,
       CASE WHEN random() < 0.15 THEN fuzz.some_uuid() END,
       CASE WHEN random() < 0.3 THEN fuzz.some_time() END
FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, 3000)) AS g;
-- three more rows with an id another row has
UPDATE fuzz.organization_access_tokens SET id = (SELECT min(id::text)::uuid FROM fuzz.organization_access_tokens)
 WHERE ctid IN (SELECT ctid FROM fuzz.organization_access_tokens WHERE id IS NOT NULL LIMIT 3 OFFSET 10);

SET client_min_messages = warning;
CREATE TABLE fuzz.result AS SELECT * FROM hive_tokens.import_hive_tokens('fuzz.organization_access_tokens', 100000);
SELECT imported + already_present + skipped = 3000 AS every_row_accounted_for,
       (SELECT count(*) FROM jsonb_object_keys(skipped_by_reason)) >= 7 AS many_reasons,
       imported > 0 AS some_imported,
       skipped > 0 AS some_skipped,
       (SELECT sum(value::bigint) FROM jsonb_each_text(skipped_by_reason)) = skipped AS reasons_add_up
FROM fuzz.result;
-- what was imported obeys issue()'s rules: a live, well-formed row of the organization's tokens
SELECT count(*) FILTER (WHERE t.title IS NULL OR btrim(t.title) = '') AS blank_titles,
       count(*) FILTER (WHERE NOT (hive_tokens.assignable_scopes() OPERATOR(hive_tokens.@>) t.scopes)) AS unassignable,
       count(*) FILTER (WHERE t.expires_at <= now()) AS expired,
       count(*) FILTER (WHERE t.created_at > now()) AS created_in_future,
       count(*) FILTER (WHERE t.organization_id IS NULL) AS without_organization
FROM hive_tokens.tokens AS t WHERE t.id IN (SELECT id FROM fuzz.organization_access_tokens);
SELECT count(*) = (SELECT imported FROM fuzz.result) AS one_event_per_import
FROM hive_tokens.audit_log WHERE event = 'imported' AND token_id IN (SELECT id FROM fuzz.organization_access_tokens);
-- again: nothing new
-- (a row skipped the first time whose id another row then brought is now already present)
SELECT a.imported = 0 AS nothing_imported_again, a.already_present >= r.imported + r.already_present AS all_present,
       a.already_present + a.skipped = 3000 AS every_row_accounted_for
FROM hive_tokens.import_hive_tokens('fuzz.organization_access_tokens', 100000) AS a, fuzz.result AS r;
RESET client_min_messages;

DROP SCHEMA fuzz CASCADE;
