-- Migrating from Hive: import_hive_tokens() from a table with Hive's column layout, whose hashes
-- a real bcrypt library made (pgcrypto's crypt(), an implementation of its own), after which the
-- original hvo1/, hvp1/ and hvu1/ strings authenticate, verify and authorize unchanged; rows
-- Hive would not issue today are reported and skipped; a second import changes nothing; the
-- cut-over setting. Without shared_preload_libraries (this suite's server) nothing is written at a
-- use: the upgrade of the stored hash after first use is in test/t/010_legacy.pl.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
RESET client_min_messages;
\set o '00000000-0000-4000-8000-00000000d001'
\set p '00000000-0000-4000-8000-00000000d0b1'
\set u '00000000-0000-4000-8000-00000000d0c1'

-- Hive's organization_access_tokens, as Hive's migrations leave it
CREATE SCHEMA hive;
CREATE TABLE hive.organization_access_tokens (
    id uuid PRIMARY KEY, organization_id uuid NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
    title text NOT NULL, description text, permissions text[], assigned_resources jsonb, hash text,
    first_characters text, project_id uuid, user_id uuid, expires_at timestamptz);
-- what only the holders know: Hive's token strings, "hv<c>1/" + base64("<id>:<64 hex secret>")
CREATE TABLE hive_secrets (name text PRIMARY KEY, id uuid, token text);
CREATE FUNCTION hive_row(name text, n int, letter text, cost int, perms text[], project uuid DEFAULT NULL,
                         member uuid DEFAULT NULL, expires timestamptz DEFAULT NULL, resources jsonb DEFAULT NULL,
                         hash_override text DEFAULT NULL, title text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    id uuid := format('00000000-0000-4000-8000-%s', lpad(n::text, 12, '0'))::uuid;
    secret text := encode(public.digest('secret ' || n, 'sha256'), 'hex');
    token text := 'hv' || letter || '1/' || translate(encode(convert_to(id::text || ':' || secret, 'UTF8'), 'base64'), E'\n', '');
BEGIN
    INSERT INTO hive.organization_access_tokens
    VALUES (id, '00000000-0000-4000-8000-00000000d001', now() - interval '1 day' + n * interval '1 second',
            coalesce(title, name), 'imported ' || name, perms, resources,
            coalesce(hash_override, public.crypt(secret, public.gen_salt('bf', cost))), left(token, 10), project, member, expires);
    INSERT INTO hive_secrets VALUES (name, id, token);
END;
$$;
SELECT hive_row('ci', 1, 'o', 10, '{organization:describe,project:describe,target:modifySettings}',
                resources => format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "*"}}]}', :'p')::jsonb);
SELECT hive_row('project', 2, 'p', 4, '{project:describe}', project => :'p');
SELECT hive_row('personal', 3, 'u', 4, NULL, member => :'u');
SELECT hive_row('old perms', 4, 'o', 4, '{organization:describe,member:assignRole}');
SELECT hive_row('unknown perm', 5, 'o', 4, '{organization:describe,regress:launchRockets}');
SELECT hive_row('bad hash', 6, 'o', 4, '{organization:describe}', hash_override => 'sha256:0123456789abcdef');
SELECT hive_row('hostile cost', 7, 'o', 4, '{organization:describe}',
                hash_override => '$2b$31$' || repeat('A', 53));
SELECT hive_row('two kinds', 8, 'o', 4, '{organization:describe}', project => :'p', member => :'u');
SELECT hive_row('expired', 9, 'o', 4, '{organization:describe}', expires => now() - interval '1 hour');
SELECT hive_row('blank title', 10, 'o', 4, '{organization:describe}', title => '   ');
-- a row whose first characters belong to a project token, though its ids make it an organization's
SELECT hive_row('wrong prefix', 11, 'p', 4, '{organization:describe}');
-- created in the future (an organization's expiry policy counts from created_at)
SELECT hive_row('future', 12, 'o', 4, '{organization:describe}');
UPDATE hive.organization_access_tokens SET created_at = now() + interval '1 year'
 WHERE id = '00000000-0000-4000-8000-000000000012';
-- a token this database already has (imported before, or issued here): already present
SELECT token_id AS native_id, token AS native FROM hive_tokens.issue(:'o', 'native', '{organization:describe}') \gset
INSERT INTO hive.organization_access_tokens (id, organization_id, title, permissions, hash)
VALUES (:'native_id', :'o', 'native', '{organization:describe}', public.crypt('x', public.gen_salt('bf', 4)));

-- Only the extension's owner imports: a role without the grant cannot (42501)
CREATE ROLE regress_ht_importer;
GRANT USAGE ON SCHEMA hive TO regress_ht_importer;
GRANT SELECT ON hive.organization_access_tokens TO regress_ht_importer;
SET ROLE regress_ht_importer;
SELECT * FROM hive_tokens.import_hive_tokens('hive.organization_access_tokens');
RESET ROLE;
-- a source without Hive's columns (42703), bad arguments (22004, 22023)
SELECT * FROM hive_tokens.import_hive_tokens('hive_secrets');
SELECT * FROM hive_tokens.import_hive_tokens(NULL);
SELECT * FROM hive_tokens.import_hive_tokens('hive.organization_access_tokens', 0);

-- Only at READ COMMITTED (55000): a token revoked during the import must stay revoked
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM hive_tokens.import_hive_tokens('hive.organization_access_tokens');
ROLLBACK;

-- The import: a NOTICE for each skipped row with its reason, progress every 5 rows, a summary
SELECT * FROM hive_tokens.import_hive_tokens('hive.organization_access_tokens', 5);
SELECT t.title, t.kind, t.project_id IS NOT NULL AS has_project, t.user_id IS NOT NULL AS has_user,
       CASE WHEN t.kind = 'personal' THEN 'all assignable: ' || (t.scopes OPERATOR(hive_tokens.<@) hive_tokens.assignable_scopes()
                                                           AND hive_tokens.permission_count(t.scopes) > 20) ELSE t.scopes::text END AS scopes,
       t.first_characters = left(s.token, 10) AS same_first_characters, t.created_at < now() AS hive_created_at
  FROM hive_tokens.tokens AS t JOIN hive_secrets AS s ON s.id = t.id ORDER BY t.created_at;
-- stored as Hive stored them until their first use: Hive's bcrypt, no keyed hash yet
SELECT count(*) FILTER (WHERE legacy_hash IS NOT NULL AND hash IS NULL AND key_id IS NULL) AS bcrypt_only,
       count(*) FILTER (WHERE legacy_hash IS NULL) AS native
  FROM hive_tokens.access_tokens WHERE organization_id = :'o';
-- audited, once per token, never with a hash
SELECT a.event, a.actor_role = current_user AS by_me, a.details->>'title' AS title, jsonb_array_length(a.details->'permissions') AS permissions,
       a.details->'retired_permissions_dropped' AS dropped, a.details->>'source' AS source
  FROM hive_tokens.audit_log AS a WHERE a.event = 'imported' AND a.organization_id = :'o' ORDER BY a.id;
SELECT count(*) AS events_with_hashes FROM hive_tokens.audit_log AS a
 WHERE a.details::text ~ '\$2[aby]\$' OR a.details::text LIKE '%hv_1/%';

-- The tokens Hive handed out work unchanged: verify_reason says "legacy" (they verify, in the
-- form the cut-over will end), verify() returns the record, authenticate() makes the principal
SELECT bcrypt_checks AS checks_before FROM hive_tokens.verify_cache() \gset
SELECT s.name, hive_tokens.verify_reason(s.token) FROM hive_secrets AS s ORDER BY s.id;
-- each imported token was checked with bcrypt once (skipped ones have no row to check against)
SELECT bcrypt_checks - :checks_before AS bcrypt_checks FROM hive_tokens.verify_cache();
SELECT title, kind FROM hive_tokens.verify((SELECT token FROM hive_secrets WHERE name = 'ci'));
-- this backend remembers them (no secret: the bcrypt it checked and the keyed hash): no bcrypt again
SELECT bcrypt_checks - :checks_before AS still_four FROM hive_tokens.verify_cache();
BEGIN;
SELECT hive_tokens.authenticate((SELECT token FROM hive_secrets WHERE name = 'ci')) = (SELECT id FROM hive_secrets WHERE name = 'ci') AS authenticated;
SELECT hive_tokens.can('organization:describe', :'o') AS describe_org,
       hive_tokens.can('project:describe', :'o', :'p') AS describe_its_project,
       hive_tokens.can('project:describe', :'o', '00000000-0000-4000-8000-00000000ffff') AS describe_other_project,
       hive_tokens.can('member:describe', :'o') AS not_granted;
COMMIT;
SELECT hive_tokens.authorize((SELECT token FROM hive_secrets WHERE name = 'project'), 'project:describe', :'o', :'p') AS project_token,
       hive_tokens.authorize((SELECT token FROM hive_secrets WHERE name = 'old perms'), 'organization:describe', :'o') AS retired_dropped_rest_kept;
-- in a read-only transaction too (nothing is written at a use)
BEGIN READ ONLY;
SELECT hive_tokens.verify_reason(token) AS read_only FROM hive_secrets WHERE name = 'project';
COMMIT;
-- a wrong secret, another kind's prefix, a token that was skipped: unknown
SELECT hive_tokens.verify_reason('hvo1/' || translate(encode(convert_to(id::text || ':' || repeat('0', 64), 'UTF8'), 'base64'), E'\n', '')) AS wrong_secret,
       hive_tokens.verify_reason(overlay(token placing 'p' from 3 for 1)) AS other_kind
  FROM hive_secrets WHERE name = 'ci';
SELECT hive_tokens.verify_reason(token) AS skipped FROM hive_secrets WHERE name = 'unknown perm';
-- one string per token: the same id and secret spelled otherwise (an upper-case secret,
-- non-canonical base64 padding bits) is not a token (bcrypt covers only the secret)
SELECT hive_tokens.verify_reason('hvo1/' || translate(encode(convert_to(id::text || ':' || upper(encode(digest('secret 1', 'sha256'), 'hex')), 'UTF8'), 'base64'), E'\n', '')) AS upper_secret,
       hive_tokens.verify_reason(left(token, -2) || chr(ascii(substr(token, length(token) - 1, 1)) + 1) || '=') AS padding_bits
  FROM hive_secrets WHERE name = 'ci';

-- A second import changes nothing: everything is already present or skipped again
SELECT count(*) AS events_before FROM hive_tokens.audit_log \gset
SELECT * FROM hive_tokens.import_hive_tokens('hive.organization_access_tokens', 100);
SELECT count(*) - :events_before AS new_events FROM hive_tokens.audit_log;
-- After registering the unknown permission, importing again brings that token in
SELECT hive_tokens.register_permission('regress:launchRockets', 'organization', 'Regress', 'Launch rockets') > 0 AS registered;
SELECT imported, already_present, skipped FROM hive_tokens.import_hive_tokens('hive.organization_access_tokens', 100);
SELECT hive_tokens.verify_reason(token) AS now_imported FROM hive_secrets WHERE name = 'unknown perm';

-- Revoked before its first use: its holder is told "revoked" (checked against Hive's bcrypt),
-- and importing again does not bring it back
SELECT hive_tokens.revoke((SELECT id FROM hive_secrets WHERE name = 'project')) AS revoked;
SELECT hash IS NULL AND legacy_hash IS NOT NULL AS bcrypt_tombstone FROM hive_tokens.revoked_tokens
 WHERE id = (SELECT id FROM hive_secrets WHERE name = 'project');
SELECT hive_tokens.verify_reason(token) AS after_revoke FROM hive_secrets WHERE name = 'project';
SELECT skipped_by_reason->'revoked' AS revoked_rows FROM hive_tokens.import_hive_tokens('hive.organization_access_tokens', 100);
SELECT hive_tokens.verify_reason(token) AS still_revoked FROM hive_secrets WHERE name = 'project';

-- Rotating a legacy token hands out a token in this extension's format
SELECT left(r.token, 5) AS new_prefix, hive_tokens.verify_reason(r.token) AS new_token
  FROM hive_tokens.rotate((SELECT id FROM hive_secrets WHERE name = 'personal'), '1 hour') AS r;

-- Nobody but the usage worker replaces the bcrypt: the owner's UPDATE is refused (23000)
UPDATE hive_tokens.access_tokens SET hash = hive_tokens.hash((SELECT token FROM hive_secrets WHERE name = 'ci')),
       key_id = 1, legacy_hash = NULL
 WHERE id = (SELECT id FROM hive_secrets WHERE name = 'ci');
-- and a row cannot hold both credentials, or neither, or a bcrypt of a hostile cost (23514)
\set VERBOSITY terse
UPDATE hive_tokens.access_tokens SET legacy_hash = NULL WHERE id = (SELECT id FROM hive_secrets WHERE name = 'ci');
INSERT INTO hive_tokens.access_tokens (id, organization_id, kind, title, scopes, first_characters, legacy_hash)
VALUES (gen_random_uuid(), :'o', 'organization', 'hostile', '{organization:describe}', 'hvo1/AAAAA', '$2b$31$' || repeat('A', 53));
\set VERBOSITY default

-- The cut-over: after hive_tokens.legacy_tokens_until, legacy tokens are refused, before any
-- lookup; tokens in this extension's format are not affected
SET hive_tokens.legacy_tokens_until = '2000-01-01 00:00+00';
SELECT hive_tokens.verify_reason(token) AS after_cut_over FROM hive_secrets WHERE name = 'ci';
SELECT hive_tokens.verify_reason(:'native') AS native_after_cut_over;
SELECT count(*) AS rows FROM hive_tokens.verify((SELECT token FROM hive_secrets WHERE name = 'ci'));
BEGIN;
SELECT hive_tokens.authenticate((SELECT token FROM hive_secrets WHERE name = 'ci'));
ROLLBACK;
SET hive_tokens.legacy_tokens_until = '2999-01-01 00:00+00';
SELECT hive_tokens.verify_reason(token) AS before_cut_over FROM hive_secrets WHERE name = 'ci';
-- without a zone: UTC, whatever the session's time zone
SET timezone = 'Etc/GMT+12';
SET hive_tokens.legacy_tokens_until = '2000-01-01 00:00';
SELECT hive_tokens.verify_reason(token) AS zone_less_is_utc FROM hive_secrets WHERE name = 'ci';
RESET timezone;
-- a fixed time with a numeric offset (or Z, UTC), or empty; nothing else (22023): a zone name
-- would be read under each session's timezone_abbreviations
SET hive_tokens.legacy_tokens_until = '2999-01-01 00:00 EST';
SET hive_tokens.legacy_tokens_until = '2999-01-01 00:00Z';
-- ISO 8601's year first only: '12-01-2026' would be read by each session's DateStyle
SET hive_tokens.legacy_tokens_until = '12-01-2026 00:00+00';
SET hive_tokens.legacy_tokens_until = 'next tuesday';
SET hive_tokens.legacy_tokens_until = 'now';
SET hive_tokens.legacy_tokens_until = 'infinity';
RESET hive_tokens.legacy_tokens_until;
-- only a superuser moves the cut-over (42501)
SET ROLE regress_ht_importer;
SET hive_tokens.legacy_tokens_until = '';
RESET ROLE;

-- A source owned by another role is read as that role, in a security-restricted operation: its
-- code never runs with the importer's rights
CREATE ROLE regress_ht_mallory;
CREATE SCHEMA mal AUTHORIZATION regress_ht_mallory;
CREATE TABLE mal.src (LIKE hive.organization_access_tokens);
ALTER TABLE mal.src OWNER TO regress_ht_mallory;
SET ROLE regress_ht_mallory;
CREATE FUNCTION mal.spy(id uuid) RETURNS uuid LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'the source''s code runs as %', current_user;
    BEGIN
        EXECUTE 'SET ROLE postgres';
        RAISE NOTICE 'and became postgres';
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'and cannot change its role';
    END;
    RETURN id;
END $$;
CREATE VIEW mal.export AS SELECT mal.spy(id) AS id, organization_id, created_at, title, description, permissions,
    assigned_resources, hash, first_characters, project_id, user_id, expires_at FROM mal.src;
RESET ROLE;
INSERT INTO mal.src SELECT * FROM hive.organization_access_tokens WHERE title = 'ci';
SELECT imported, already_present, skipped FROM hive_tokens.import_hive_tokens('mal.export');
-- and the source's code cannot choose the principal of the importer's transaction (42501)
SET ROLE regress_ht_mallory;
CREATE OR REPLACE FUNCTION mal.spy(id uuid) RETURNS uuid LANGUAGE sql AS 'SELECT hive_tokens.authenticate(NULL::text)';
RESET ROLE;
\set VERBOSITY terse
SELECT imported FROM hive_tokens.import_hive_tokens('mal.export');
\set VERBOSITY default
-- a column of a type that is not built in is refused (42804): turning its values into text or
-- jsonb would run that type's own code (a cast to json, an output function)
SET ROLE regress_ht_mallory;
CREATE TYPE mal.title AS ENUM ('ci');
CREATE VIEW mal.typed AS SELECT id, organization_id, created_at, 'ci'::mal.title AS title, description, permissions,
    assigned_resources, hash, first_characters, project_id, user_id, expires_at FROM mal.src;
RESET ROLE;
SELECT imported FROM hive_tokens.import_hive_tokens('mal.typed');
DROP SCHEMA mal CASCADE;
DROP ROLE regress_ht_mallory;

-- An import under a principal is refused (42501): it is a DBA's step
BEGIN;
SELECT hive_tokens.authenticate(:'native') IS NOT NULL AS authenticated;
SELECT * FROM hive_tokens.import_hive_tokens('hive.organization_access_tokens');
ROLLBACK;

-- An organization deleted here keeps no tokens: importing Hive's rows of it again skips them
CREATE TABLE regress_orgs (id uuid PRIMARY KEY);
INSERT INTO regress_orgs VALUES (:'o');
SELECT hive_tokens.link_organizations('regress_orgs');
DELETE FROM regress_orgs WHERE id = :'o';
SELECT count(*) AS tokens_left FROM hive_tokens.access_tokens WHERE organization_id = :'o';
SET client_min_messages = warning;
SELECT imported, skipped_by_reason->'organization_deleted' AS organization_deleted
  FROM hive_tokens.import_hive_tokens('hive.organization_access_tokens', 100);
RESET client_min_messages;
SELECT count(*) AS still_none FROM hive_tokens.access_tokens WHERE organization_id = :'o';
SELECT hive_tokens.verify_reason(token) AS ci_after_deletion FROM hive_secrets WHERE name = 'ci';

DROP OWNED BY regress_ht_importer;
DROP ROLE regress_ht_importer;
