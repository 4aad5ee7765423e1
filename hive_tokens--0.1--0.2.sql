-- hive_tokens 0.1 -> 0.2. The result equals a fresh install of 0.2 (test/t/005_upgrade.pl).
--  * access_tokens.scopes becomes stored_scopes (dumped as name@bit), so a restore needs no
--    catalog in place and a catalog that disagrees is an error; register_permission() never
--    reuses a bit a stored token holds. The view tokens is replaced in place.
--  * verify() returns a set: one row for a live token, none otherwise (recreated, grants kept).
--  * Retired built-in permissions are dumped (and merged on restore).
--  * protect()/unprotect() cover every table that inherits from the protected one (partitions),
--    an event trigger protects later ones; unprotect(NULL) is an error.
--  * Comments describing the transaction principal's rules.
\echo Use "ALTER EXTENSION hive_tokens UPDATE TO '0.2'" to load this file. \quit

-- Schema hive_tokens must belong to the extension's owner, hold only the extension's objects (of
-- any kind: anything in a schema depends on it) and be writable by nobody else: this script runs
-- with it first on the search path, and applications resolve the API in it. Nothing in it takes
-- part in this check, not even an operator.
DO $$
DECLARE
    nsp oid;
    ext oid;
    stray text;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    nsp := pg_catalog.to_regnamespace('hive_tokens');
    ext := (SELECT e.oid FROM pg_catalog.pg_extension AS e WHERE e.extname OPERATOR(pg_catalog.=) 'hive_tokens'::name);
    SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) INTO stray
      FROM pg_catalog.pg_depend AS d
     WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::regclass::oid AND d.refobjid OPERATOR(pg_catalog.=) nsp
       AND NOT (d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::regclass::oid AND d.objid OPERATOR(pg_catalog.=) ext)
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS m
                        WHERE m.classid OPERATOR(pg_catalog.=) d.classid AND m.objid OPERATOR(pg_catalog.=) d.objid
                          AND m.refobjid OPERATOR(pg_catalog.=) ext AND m.deptype OPERATOR(pg_catalog.=) 'e')
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS o, pg_catalog.pg_depend AS m
                        WHERE o.classid OPERATOR(pg_catalog.=) d.classid AND o.objid OPERATOR(pg_catalog.=) d.objid
                          AND o.deptype IN ('i', 'a')
                          AND m.classid OPERATOR(pg_catalog.=) o.refclassid AND m.objid OPERATOR(pg_catalog.=) o.refobjid
                          AND m.refobjid OPERATOR(pg_catalog.=) ext AND m.deptype OPERATOR(pg_catalog.=) 'e')
     LIMIT 1;
    IF stray IS NOT NULL
       OR (SELECT n.nspowner FROM pg_catalog.pg_namespace AS n WHERE n.oid OPERATOR(pg_catalog.=) nsp)
           IS DISTINCT FROM (SELECT e.extowner FROM pg_catalog.pg_extension AS e WHERE e.oid OPERATOR(pg_catalog.=) ext)
       OR EXISTS (SELECT FROM pg_catalog.pg_namespace AS n, pg_catalog.aclexplode(n.nspacl) AS a
                   WHERE n.oid OPERATOR(pg_catalog.=) nsp AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
                     AND a.grantee OPERATOR(pg_catalog.<>) n.nspowner) THEN
        RAISE EXCEPTION 'schema hive_tokens holds objects of others, is owned by another role or is writable by others'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = coalesce('For one: ' || stray || '.', 'Its owner or its CREATE privileges.'),
                  HINT = 'Move other objects out of it, make the extension''s owner its owner and revoke CREATE from others, then update again.';
    END IF;
    PERFORM pg_catalog.set_config('search_path', 'hive_tokens, pg_temp', true);
END $$;

-- Managing tokens without a principal (bootstrap, migrations) needs membership in this role.
-- Roles belong to the cluster: it is made once, by the first database that installs the
-- extension, and left in place.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r WHERE r.rolname = 'hive_tokens_admin') THEN
        CREATE ROLE hive_tokens_admin NOLOGIN;
        COMMENT ON ROLE hive_tokens_admin IS 'hive_tokens: may issue, rotate and revoke tokens without a principal (bootstrap, migrations); grant it explicitly';
    END IF;
END $$;

-- What an application needs to manage tokens under its principals, in one role: GRANT
-- hive_tokens_app TO the application's role (docs/reference.md, "Who may call what").
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r WHERE r.rolname = 'hive_tokens_app') THEN
        CREATE ROLE hive_tokens_app NOLOGIN;
        COMMENT ON ROLE hive_tokens_app IS 'hive_tokens: EXECUTE on the token management functions (issue, rotate, revoke, list_tokens, unused_tokens, revoke_unused_tokens, set_expiry_policy, audit_events), which decide by the transaction''s principal; grant it to application roles';
    END IF;
END $$;



-- Internals move to schema hive_tokens_internal (the public schema is the API), and lose the
-- leading "_" they had to stand apart; 0.1's boundary self-test leaves the product.
CREATE SCHEMA hive_tokens_internal;
COMMENT ON SCHEMA hive_tokens_internal IS 'internals of extension hive_tokens (type I/O, operator and index support, triggers, helpers): not an API';
GRANT USAGE ON SCHEMA hive_tokens_internal TO PUBLIC;
ALTER FUNCTION hive_tokens.access_token_in(cstring) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.access_token_out(hive_tokens.access_token) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.access_token_recv(internal) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.access_token_send(hive_tokens.access_token) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_in(cstring) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_out(hive_tokens.scopes) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_recv(internal) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_send(hive_tokens.scopes) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens._valid_permission_name(text) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens_internal._valid_permission_name(text) RENAME TO valid_permission_name;
ALTER FUNCTION hive_tokens._builtin_permissions(
    OUT bit_number int2, OUT name text, OUT level text, OUT "group" text, OUT label text,
    OUT assignable boolean, OUT retired boolean, OUT depends_on text[]) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens_internal._builtin_permissions(
    OUT bit_number int2, OUT name text, OUT level text, OUT "group" text, OUT label text,
    OUT assignable boolean, OUT retired boolean, OUT depends_on text[]) RENAME TO builtin_permissions;
ALTER FUNCTION hive_tokens._permissions_guard() SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens_internal._permissions_guard() RENAME TO permissions_guard;
ALTER FUNCTION hive_tokens._permissions_changed() SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens_internal._permissions_changed() RENAME TO permissions_changed;
ALTER FUNCTION hive_tokens.scopes_contains(hive_tokens.scopes, hive_tokens.scopes) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_contained(hive_tokens.scopes, hive_tokens.scopes) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_overlap(hive_tokens.scopes, hive_tokens.scopes) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_union(hive_tokens.scopes, hive_tokens.scopes) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_intersect(hive_tokens.scopes, hive_tokens.scopes) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_minus(hive_tokens.scopes, hive_tokens.scopes) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_eq(hive_tokens.scopes, hive_tokens.scopes) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_ne(hive_tokens.scopes, hive_tokens.scopes) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_lt(hive_tokens.scopes, hive_tokens.scopes) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_le(hive_tokens.scopes, hive_tokens.scopes) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_gt(hive_tokens.scopes, hive_tokens.scopes) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_ge(hive_tokens.scopes, hive_tokens.scopes) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_cmp(hive_tokens.scopes, hive_tokens.scopes) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_hash(hive_tokens.scopes) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_hash_extended(hive_tokens.scopes, int8) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_gin_extract_value(hive_tokens.scopes, internal, internal) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_gin_extract_query(hive_tokens.scopes, internal, int2, internal, internal, internal, internal) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.scopes_gin_consistent(internal, int2, hive_tokens.scopes, int4, internal, internal, internal, internal) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.hrn_in(cstring) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.hrn_out(hive_tokens.hrn) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.hrn_recv(internal) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.hrn_send(hive_tokens.hrn) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.hrn_eq(hive_tokens.hrn, hive_tokens.hrn) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.hrn_ne(hive_tokens.hrn, hive_tokens.hrn) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.hrn_lt(hive_tokens.hrn, hive_tokens.hrn) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.hrn_le(hive_tokens.hrn, hive_tokens.hrn) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.hrn_gt(hive_tokens.hrn, hive_tokens.hrn) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.hrn_ge(hive_tokens.hrn, hive_tokens.hrn) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.hrn_cmp(hive_tokens.hrn, hive_tokens.hrn) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.hrn_hash(hive_tokens.hrn) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens.hrn_hash_extended(hive_tokens.hrn, int8) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens._mint(kind text,
    OUT id uuid, OUT token text, OUT hash bytea, OUT key_id int2, OUT first_characters text) SET SCHEMA hive_tokens_internal;
ALTER FUNCTION hive_tokens_internal._mint(kind text,
    OUT id uuid, OUT token text, OUT hash bytea, OUT key_id int2, OUT first_characters text) RENAME TO mint;
DROP FUNCTION hive_tokens._guard_selftest(what text);

-- Every C entry point is named after its SQL function (0.1 used other symbols for most; the
-- library still answers to them while a database is at 0.1: src/pg/compat_0_1.cpp).
CREATE OR REPLACE FUNCTION hive_tokens.act_as_member(organization uuid, scopes hive_tokens.scopes,
    resources jsonb DEFAULT '{"mode": "*"}') RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
CREATE OR REPLACE FUNCTION hive_tokens.allowed_projects(action text) RETURNS uuid[]
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
CREATE OR REPLACE FUNCTION hive_tokens.allowed_targets(action text) RETURNS uuid[]
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
CREATE OR REPLACE FUNCTION hive_tokens.assert_can(action text, organization uuid, project uuid DEFAULT NULL, target uuid DEFAULT NULL,
    service text DEFAULT NULL, app_deployment text DEFAULT NULL) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL RESTRICTED;
CREATE OR REPLACE FUNCTION hive_tokens.assignable_scopes() RETURNS hive_tokens.scopes
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION hive_tokens.authenticate(token text) RETURNS uuid
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
CREATE OR REPLACE FUNCTION hive_tokens.can(action text, organization uuid, project uuid DEFAULT NULL, target uuid DEFAULT NULL,
    service text DEFAULT NULL, app_deployment text DEFAULT NULL) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL RESTRICTED;
CREATE OR REPLACE FUNCTION hive_tokens.current_organization_id() RETURNS uuid
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL RESTRICTED;
CREATE OR REPLACE FUNCTION hive_tokens.current_principal_kind() RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL RESTRICTED;
CREATE OR REPLACE FUNCTION hive_tokens.current_scopes() RETURNS hive_tokens.scopes
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL RESTRICTED;
CREATE OR REPLACE FUNCTION hive_tokens.current_token_id() RETURNS uuid
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL RESTRICTED;
CREATE OR REPLACE FUNCTION hive_tokens.denied_projects(action text) RETURNS uuid[]
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
CREATE OR REPLACE FUNCTION hive_tokens.denied_targets(action text) RETURNS uuid[]
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
CREATE OR REPLACE FUNCTION hive_tokens.depends_closure(hive_tokens.scopes) RETURNS hive_tokens.scopes
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION hive_tokens.evaluate(statements jsonb, action text, organization uuid,
    project uuid DEFAULT NULL, target uuid DEFAULT NULL, service text DEFAULT NULL,
    app_deployment text DEFAULT NULL, resource_organization uuid DEFAULT NULL) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION hive_tokens.has_all_permissions(hive_tokens.scopes, text[]) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION hive_tokens.has_any_permission(hive_tokens.scopes, text[]) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION hive_tokens.has_permission(hive_tokens.scopes, text) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION hive_tokens.hash(token text) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
CREATE OR REPLACE FUNCTION hive_tokens.hrn_matched_by(resource hive_tokens.hrn, pattern hive_tokens.hrn) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION hive_tokens.hrn_matches(pattern hive_tokens.hrn, resource hive_tokens.hrn) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION hive_tokens.intersect_resources(a jsonb, b jsonb) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION hive_tokens.keyring() RETURNS TABLE (key_id int2, issuing boolean)
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL SAFE ROWS 2;
CREATE OR REPLACE FUNCTION hive_tokens.labels(hive_tokens.scopes,
    OUT permission text, OUT level text, OUT "group" text, OUT label text)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 10;
CREATE OR REPLACE FUNCTION hive_tokens.missing_dependencies(hive_tokens.scopes) RETURNS hive_tokens.scopes
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION hive_tokens.normalize_resources(resources jsonb) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION hive_tokens.organization_wide(action text) RETURNS uuid
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
CREATE OR REPLACE FUNCTION hive_tokens.permission_count(hive_tokens.scopes) RETURNS int4
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE OR REPLACE FUNCTION hive_tokens.permission_names(hive_tokens.scopes) RETURNS text[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION hive_tokens.policy_statements(scopes hive_tokens.scopes, resources jsonb, organization uuid) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION hive_tokens.retired_scopes() RETURNS hive_tokens.scopes
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION hive_tokens.row_check_targets(action text) RETURNS uuid[]
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
CREATE OR REPLACE FUNCTION hive_tokens.scopes(text[]) RETURNS hive_tokens.scopes
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION hive_tokens.verify_reason(token text) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL UNSAFE;
CREATE OR REPLACE FUNCTION hive_tokens.verify_reason(token hive_tokens.access_token) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL UNSAFE;
CREATE OR REPLACE FUNCTION hive_tokens_internal.builtin_permissions(
    OUT bit_number int2, OUT name text, OUT level text, OUT "group" text, OUT label text,
    OUT assignable boolean, OUT retired boolean, OUT depends_on text[])
    RETURNS SETOF record
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE OR REPLACE FUNCTION hive_tokens_internal.mint(kind text,
    OUT id uuid, OUT token text, OUT hash bytea, OUT key_id int2, OUT first_characters text)
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
CREATE OR REPLACE FUNCTION hive_tokens_internal.permissions_changed() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
CREATE OR REPLACE FUNCTION hive_tokens_internal.valid_permission_name(text) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

------------------------------------------------------------------------------------------
-- Functions that receive a token never run in a parallel worker (a worker's error reaches the
-- leader without errhidestmt, and the leader would log the statement holding the token).
------------------------------------------------------------------------------------------
ALTER FUNCTION hive_tokens_internal.access_token_in(cstring) PARALLEL RESTRICTED;
ALTER FUNCTION hive_tokens_internal.access_token_recv(internal) PARALLEL RESTRICTED;
ALTER FUNCTION hive_tokens.hash(text) PARALLEL RESTRICTED;

------------------------------------------------------------------------------------------
-- Permissions: retired built-ins travel with a dump.
------------------------------------------------------------------------------------------
CREATE FUNCTION hive_tokens_internal.shown(text) RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION hive_tokens_internal.shown(text) IS 'internal: input as messages show it: at most 64 characters, control, invisible and invalid characters escaped';
CREATE OR REPLACE FUNCTION hive_tokens.retire_permission(permission text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM hive_tokens.permissions AS p WHERE p.name = permission) THEN
        RAISE EXCEPTION 'unknown permission "%"', hive_tokens_internal.shown(permission) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE hive_tokens.permissions AS p SET retired = true WHERE p.name = permission AND NOT p.retired;
    RETURN FOUND;
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens.retire_permission(text) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.retire_permission(text) IS 'marks a permission retired: stored scopes keep it, wildcards and new grants do not; true if it was active';


-- Hive's catalog as 0.2 knows it: project:delete and project:modifySettings depend on
-- project:describe, and the retired appDeployment:describe was checked on the target. Built-in
-- rows take the extension's definition (the guard keeps levels fixed for everyone else).
ALTER TABLE hive_tokens.permissions DISABLE TRIGGER permissions_guard;
UPDATE hive_tokens.permissions AS p SET level = b.level, depends_on = b.depends_on
  FROM hive_tokens_internal.builtin_permissions() AS b
 WHERE p.builtin AND p.bit_number = b.bit_number AND p.name = b.name
   AND (p.level, p.depends_on) IS DISTINCT FROM (b.level, b.depends_on);
ALTER TABLE hive_tokens.permissions ENABLE TRIGGER permissions_guard;

-- pg_dump copies the registered permissions and the built-in ones this database retired (a
-- retirement is its own decision; those Hive itself retired are left out). On restore a row that
-- is already there, the same bit and name, merges into it, carrying its retirement.
SELECT pg_catalog.pg_extension_config_dump('hive_tokens.permissions',
           pg_catalog.format('WHERE NOT builtin OR (retired AND bit_number <> ALL (%L::int2[]))',
                  (SELECT pg_catalog.array_agg(b.bit_number ORDER BY b.bit_number) FROM hive_tokens_internal.builtin_permissions() AS b
                    WHERE b.retired)));

CREATE FUNCTION hive_tokens_internal.permissions_restore() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM hive_tokens.permissions AS p
                WHERE p.bit_number = NEW.bit_number AND p.name = NEW.name AND p.level = NEW.level AND p.builtin = NEW.builtin) THEN
        IF NEW.retired THEN
            UPDATE hive_tokens.permissions AS p SET retired = true
             WHERE p.bit_number = NEW.bit_number AND NOT p.retired;
        END IF;
        RETURN NULL;
    END IF;
    RETURN NEW;
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens_internal.permissions_restore() FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.permissions_restore() IS 'internal trigger: a permission row arriving from a dump that is already there (same bit, name, level) merges into it, carrying its retirement, instead of colliding';
CREATE TRIGGER permissions_restore BEFORE INSERT ON hive_tokens.permissions
    FOR EACH ROW EXECUTE FUNCTION hive_tokens_internal.permissions_restore();

------------------------------------------------------------------------------------------
-- Tokens store their permissions as stored_scopes (name@bit), so a restore loads them in any
-- order. The view is replaced in place (same object, grants and dependants kept).
------------------------------------------------------------------------------------------
-- Type stored_scopes: the same 32-byte set, whose text form names each permission with its bit
-- ({usage:report@24,invoice:read@49}), so a dump of a table holding it restores before or
-- without the permission catalog, and a catalog that disagrees is an error, never another grant.
CREATE TYPE hive_tokens.stored_scopes;
CREATE FUNCTION hive_tokens_internal.stored_scopes_in(cstring) RETURNS hive_tokens.stored_scopes
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION hive_tokens_internal.stored_scopes_in(cstring) IS 'input function of stored_scopes: {name@bit,...} (a name this catalog knows takes its bit here; an unknown one keeps a free bit; a taken bit is an error), or plain names';
CREATE FUNCTION hive_tokens_internal.stored_scopes_out(hive_tokens.stored_scopes) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION hive_tokens_internal.stored_scopes_out(hive_tokens.stored_scopes) IS 'output function of stored_scopes: {name@bit,...} in bit order (@bit alone for a bit the catalog does not define)';
CREATE FUNCTION hive_tokens_internal.stored_scopes_recv(internal) RETURNS hive_tokens.stored_scopes
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION hive_tokens_internal.stored_scopes_recv(internal) IS 'binary input of stored_scopes: its text form, read the same way';
CREATE FUNCTION hive_tokens_internal.stored_scopes_send(hive_tokens.stored_scopes) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION hive_tokens_internal.stored_scopes_send(hive_tokens.stored_scopes) IS 'binary output of stored_scopes: its text form';
CREATE TYPE hive_tokens.stored_scopes (
    INPUT = hive_tokens_internal.stored_scopes_in,
    OUTPUT = hive_tokens_internal.stored_scopes_out,
    RECEIVE = hive_tokens_internal.stored_scopes_recv,
    SEND = hive_tokens_internal.stored_scopes_send,
    INTERNALLENGTH = 32,
    ALIGNMENT = double,
    STORAGE = plain
);
COMMENT ON TYPE hive_tokens.stored_scopes IS 'a scopes value for table columns that must restore in any order: dumps as {name@bit,...}; implicitly a scopes';
CREATE CAST (hive_tokens.stored_scopes AS hive_tokens.scopes) WITHOUT FUNCTION AS IMPLICIT;
COMMENT ON CAST (hive_tokens.stored_scopes AS hive_tokens.scopes) IS 'the same set: every scopes operator and function applies';
CREATE CAST (hive_tokens.scopes AS hive_tokens.stored_scopes) WITHOUT FUNCTION AS ASSIGNMENT;
COMMENT ON CAST (hive_tokens.scopes AS hive_tokens.stored_scopes) IS 'the same set, for storing';
CREATE FUNCTION hive_tokens_internal.held_bits() RETURNS int2[]
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION hive_tokens_internal.held_bits() FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.held_bits() IS 'internal: every bit any stored permission set holds, defined or not: every column stored_scopes_columns() names, read in C with one snapshot after locking the tables (no planner, no row security, no code of their owners), containers walked structurally; for register_permission()';
-- Every column that can hold a permission set: of type stored_scopes or scopes, or of a domain,
-- array, composite, range or multirange over one, at any depth; in tables and populated
-- materialized views this session can read (other sessions' temporary tables are theirs alone).
CREATE FUNCTION hive_tokens_internal.stored_scopes_columns()
    RETURNS TABLE (tbl regclass, att name)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    -- which type contains which: a domain its base type, an array its element, a composite (a
    -- table's row type too) its columns' types, a range or multirange its subtype; only types
    -- created after initdb can contain ours
    WITH RECURSIVE contains(container, member) AS MATERIALIZED (
        SELECT t.oid, t.typbasetype FROM pg_type AS t WHERE t.typtype = 'd' AND t.typbasetype >= 16384
        UNION ALL
        SELECT t.oid, t.typelem FROM pg_type AS t
         WHERE t.typelem >= 16384 AND t.typsubscript = 'array_subscript_handler'::regproc
        UNION ALL
        SELECT c.reltype, a.atttypid FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid
         WHERE a.atttypid >= 16384 AND a.attnum > 0 AND NOT a.attisdropped AND c.reltype <> 0
        UNION ALL
        SELECT r.rngtypid, r.rngsubtype FROM pg_range AS r WHERE r.rngsubtype >= 16384
        UNION ALL
        SELECT r.rngmultitypid, r.rngsubtype FROM pg_range AS r WHERE r.rngsubtype >= 16384),
    holding(oid) AS (
        SELECT t.oid FROM pg_type AS t
         WHERE t.oid IN ('hive_tokens.stored_scopes'::regtype, 'hive_tokens.scopes'::regtype)
        UNION
        SELECT k.container FROM contains AS k JOIN holding AS h ON k.member = h.oid)
    -- Every table holding rows itself (partitions and inheritance children each in their own
    -- right, read with ONLY): never a foreign table, whose reads run a wrapper's code.
    SELECT DISTINCT c.oid::regclass, a.attname
      FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid JOIN holding AS h ON h.oid = a.atttypid
     WHERE a.attnum > 0 AND NOT a.attisdropped
       AND (c.relkind = 'r' OR (c.relkind = 'm' AND c.relispopulated))
       AND (c.relpersistence <> 't' OR c.relnamespace = pg_my_temp_schema());
END;
REVOKE ALL ON FUNCTION hive_tokens_internal.stored_scopes_columns() FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.stored_scopes_columns() IS 'internal: the columns register_permission() reads for bits stored values hold: of type stored_scopes or scopes, or of a domain, array, composite or range over one';

CREATE OR REPLACE FUNCTION hive_tokens.register_permission(
    permission text, level text, "group" text, label text,
    depends_on text[] DEFAULT '{}', assignable boolean DEFAULT true)
    RETURNS int2
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    saved_lock_timeout text := pg_catalog.current_setting('lock_timeout');
    next_bit int;
    held int2[];
    missing text;
BEGIN
    IF permission IS NULL OR NOT hive_tokens_internal.valid_permission_name(permission) THEN
        RAISE EXCEPTION 'invalid permission name "%"', hive_tokens_internal.shown(permission)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A permission is "<resource>:<action>" of letters, digits and "_", such as "invoice:read".';
    END IF;
    IF level IS NULL OR level NOT IN ('organization', 'project', 'target', 'service', 'appDeployment') THEN
        RAISE EXCEPTION 'invalid level "%"', hive_tokens_internal.shown(level)
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The levels are organization, project, target, service and appDeployment.';
    END IF;
    IF "group" IS NULL OR label IS NULL OR assignable IS NULL THEN
        RAISE EXCEPTION 'group, label and assignable must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- The scan below must see what other transactions committed while it waited for them.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'register_permission() must run in a READ COMMITTED transaction'
            USING ERRCODE = 'invalid_transaction_state',
                  DETAIL = 'It reads stored permission sets after waiting for their writers; a transaction snapshot would miss what they wrote.';
    END IF;
    -- A transaction that read a stored value holding a bit the catalog does not define (a restore
    -- loading grants before the catalog) holds this lock in share mode until it ends: wait for
    -- all of them, and keep new ones out until this registration commits.
    -- Waiting is bounded: anyone can hold the lock by reading such a value and staying idle.
    IF pg_catalog.current_setting('lock_timeout') = '0' THEN
        PERFORM pg_catalog.set_config('lock_timeout', '30s', true);
    END IF;
    BEGIN
        PERFORM pg_catalog.pg_advisory_xact_lock(1751742053, 1651078259);
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION 'register_permission() waited too long for transactions that read undefined permission bits'
            USING ERRCODE = 'lock_not_available',
                  DETAIL = 'They hold advisory lock (1751742053, 1651078259) in share mode; pg_locks names them.',
                  HINT = 'Retry when they end, or end them; SET lock_timeout to wait longer.';
    END;
    PERFORM pg_catalog.set_config('lock_timeout', saved_lock_timeout, true);
    -- one registration at a time: bits are handed out in order and never reused
    LOCK TABLE hive_tokens.permissions IN SHARE ROW EXCLUSIVE MODE;
    IF EXISTS (SELECT FROM hive_tokens.permissions AS p WHERE p.name = permission) THEN
        RAISE EXCEPTION 'permission % already exists', quote_literal(permission) USING ERRCODE = 'duplicate_object';
    END IF;
    SELECT d INTO missing FROM unnest(coalesce(depends_on, '{}')) AS d
     WHERE d IS NULL OR NOT EXISTS (SELECT FROM hive_tokens.permissions AS p WHERE p.name = d AND NOT p.retired)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'permission % depends on unknown or retired permission %', quote_literal(permission),
            coalesce('"' || hive_tokens_internal.shown(missing) || '"', 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- A bit any stored value holds is taken even when the catalog does not define it (a restore
    -- that loaded tokens or grants but not, or not yet, the permissions): it means that
    -- permission there. held_bits() reads every column that can hold a permission set, in C
    -- (no planner, no row security, no code of the tables' owners), with one snapshot, after
    -- locking the tables; a table another transaction holds exclusively (TRUNCATE, ALTER) is not
    -- waited for, so a registration never deadlocks with a restore: it fails and can be retried.
    held := hive_tokens_internal.held_bits();
    SELECT min(b) INTO next_bit FROM generate_series(0, 255) AS b
     WHERE b NOT IN (SELECT p.bit_number FROM hive_tokens.permissions AS p) AND b <> ALL (held);
    IF next_bit IS NULL THEN
        IF NOT EXISTS (SELECT FROM unnest(held) AS b WHERE b NOT IN (SELECT p.bit_number FROM hive_tokens.permissions AS p)) THEN
            RAISE EXCEPTION 'the permission catalog is full (256 permissions)' USING ERRCODE = 'program_limit_exceeded';
        END IF;
        RAISE EXCEPTION 'the permission catalog is full (256 permissions)' USING ERRCODE = 'program_limit_exceeded',
            DETAIL = 'Stored values hold bits no permission defines.',
            HINT = 'Restore the permissions they stand for, or remove the values that hold them.';
    END IF;
    INSERT INTO hive_tokens.permissions (bit_number, name, level, "group", label, assignable, retired, depends_on, builtin)
    VALUES (next_bit, permission, level, "group", label, assignable, false, coalesce(depends_on, '{}'), false);
    RETURN next_bit;
END;
$$;

CREATE FUNCTION hive_tokens_internal.project_token_resources(resources jsonb, project uuid) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
REVOKE ALL ON FUNCTION hive_tokens_internal.project_token_resources(jsonb, uuid) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.project_token_resources(jsonb, uuid) IS 'internal: what issue() stores as a project token''s resources (Hive''s rule): the one project in granular form, its targets as given (all by default); 22023 for another project';

-- Project tokens follow Hive: issue() stores the one project in granular form, and a stored '*'
-- grants nothing below the organization. 0.1 stored '*' and read it as the whole project: those
-- tokens keep that meaning, written out.
CREATE FUNCTION hive_tokens_internal.caller_ticket() RETURNS uuid
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION hive_tokens_internal.caller_ticket() IS 'internal: a one-use ticket naming the current role, which a public management function passes to its body (so the body knows its real caller); never made in a security-restricted operation (PUBLIC)';

CREATE FUNCTION hive_tokens_internal.redeem(ticket uuid, entry regprocedure) RETURNS oid
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION hive_tokens_internal.redeem(uuid, regprocedure) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.redeem(uuid, regprocedure) IS 'internal: the role a ticket names, once, in the transaction that made it, if it may EXECUTE the public function entry; 42501 otherwise';

CREATE FUNCTION hive_tokens_internal.authorize_management(caller oid, action text, kind text, organization uuid, project uuid,
    user_id uuid, scopes hive_tokens.scopes, resources jsonb) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION hive_tokens_internal.authorize_management(oid, text, text, uuid, uuid, uuid, hive_tokens.scopes, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.authorize_management(oid, text, text, uuid, uuid, uuid, hive_tokens.scopes, jsonb) IS 'internal: whether the transaction''s principal (or, without one, the caller as a member of hive_tokens_admin) may issue, rotate or revoke a token of this kind, organization, project and user, with grants within its own; 42501 naming what is missing or beyond';

CREATE FUNCTION hive_tokens_internal.validate_grant(organization uuid, title text, scopes hive_tokens.scopes,
    resources jsonb, description text, expires_at timestamptz, kind text, project uuid, user_id uuid,
    OUT stored_resources jsonb, OUT stored_title text, OUT stored_description text)
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
REVOKE ALL ON FUNCTION hive_tokens_internal.validate_grant(uuid, text, hive_tokens.scopes, jsonb, text, timestamptz, text, uuid, uuid) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.validate_grant(uuid, text, hive_tokens.scopes, jsonb, text, timestamptz, text, uuid, uuid) IS 'internal: every rule of issue() in its order (22004 for a NULL organization, 22023 otherwise); returns what to store: the resources normalized (a project token''s in Hive''s granular form), the title and description trimmed as Hive trims them';

CREATE FUNCTION hive_tokens_internal.issue_body(ticket uuid, organization uuid, title text, scopes hive_tokens.scopes,
    resources jsonb, description text, expires_at timestamptz, kind text, project uuid, user_id uuid)
    RETURNS TABLE (token_id uuid, token text)
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller oid := hive_tokens_internal.redeem(ticket, 'hive_tokens.issue(uuid,text,hive_tokens.scopes,jsonb,text,timestamptz,text,uuid,uuid)');
    m record;
    g record;
BEGIN
    g := hive_tokens_internal.validate_grant(organization, title, scopes, coalesce(resources, '{"mode": "*"}'),
                                             description, expires_at, kind, project, user_id);
    resources := g.stored_resources;
    title := g.stored_title;
    description := g.stored_description;
    PERFORM hive_tokens_internal.authorize_management(caller, 'issue', kind, organization, project, user_id, scopes, resources);
    expires_at := hive_tokens_internal.check_expiry(organization, expires_at, false);
    m := hive_tokens_internal.mint(kind);
    INSERT INTO hive_tokens.access_tokens
        (id, organization_id, kind, project_id, user_id, title, description, scopes, resources,
         hash, key_id, first_characters, expires_at, created_by_token, created_by_user)
    VALUES (m.id, organization, kind, project, user_id, title, description, scopes, resources,
            m.hash, m.key_id, m.first_characters, expires_at, hive_tokens.current_token_id(), hive_tokens.current_user_id());
    PERFORM hive_tokens_internal.audit(pg_get_userbyid(caller), 'issued', organization, m.id,
        jsonb_build_object('kind', kind, 'title', title, 'permissions', to_jsonb(hive_tokens.permission_names(scopes)),
                           'resources', resources, 'project', project, 'user', user_id, 'expires_at', expires_at));
    token_id := m.id;
    token := m.token;
    RETURN NEXT;
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens_internal.issue_body(uuid, uuid, text, hive_tokens.scopes, jsonb, text, timestamptz, text, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hive_tokens_internal.issue_body(uuid, uuid, text, hive_tokens.scopes, jsonb, text, timestamptz, text, uuid, uuid) TO PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.issue_body(uuid, uuid, text, hive_tokens.scopes, jsonb, text, timestamptz, text, uuid, uuid) IS 'internal: the body of issue(), for the caller its ticket names (PUBLIC: without a ticket from issue() it refuses)';

CREATE OR REPLACE FUNCTION hive_tokens.issue(
    organization uuid,
    title text,
    scopes hive_tokens.scopes,
    resources jsonb DEFAULT '{"mode": "*"}',
    description text DEFAULT NULL,
    expires_at timestamptz DEFAULT NULL,
    kind text DEFAULT 'organization',
    project uuid DEFAULT NULL,
    user_id uuid DEFAULT NULL)
    RETURNS TABLE (token_id uuid, token text)
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT t.token_id, t.token FROM hive_tokens_internal.issue_body(hive_tokens_internal.caller_ticket(), $1, $2, $3, $4, $5, $6, $7, $8, $9) AS t';

UPDATE hive_tokens.access_tokens AS t
   SET resources = hive_tokens_internal.project_token_resources(coalesce(t.resources, '{"mode": "*"}'), t.project_id)
 WHERE t.kind = 'project' AND t.project_id IS NOT NULL AND (t.resources IS NULL OR t.resources->>'mode' = '*');

CREATE FUNCTION hive_tokens_internal.grant_row_ok(kind text, title text, description text, project_id uuid,
    user_id uuid, scopes hive_tokens.scopes) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION hive_tokens_internal.grant_row_ok(text, text, text, uuid, uuid, hive_tokens.scopes) IS 'internal: the rules a stored token row follows whatever the permission catalog says (kind, title, description, project or user, at least one permission): true, or the error issue() gives; the CHECK of access_tokens';
-- However a row arrives (a dump of an earlier release restored, or written by hand), it is stored
-- as this release stores tokens: a project token's resources "*" become its project in Hive's
-- granular form (0.1 stored "*" and meant the whole project), and ids of another kind go (0.1
-- let an organization token hold a project_id its kind ignored; Hive tells a kind from its ids).
CREATE FUNCTION hive_tokens_internal.normalize_token_row() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.kind <> 'project' THEN
        NEW.project_id := NULL;
    END IF;
    IF NEW.kind <> 'personal' THEN
        NEW.user_id := NULL;
    END IF;
    IF NEW.kind = 'project' AND NEW.project_id IS NOT NULL AND NEW.resources->>'mode' = '*' THEN
        BEGIN
            NEW.resources := hive_tokens_internal.project_token_resources(NEW.resources, NEW.project_id);
        EXCEPTION WHEN invalid_parameter_value THEN
            NULL;  -- not a valid assignment (a row written by hand): kept as it is, it grants nothing
        END;
    END IF;
    RETURN NEW;
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens_internal.normalize_token_row() FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.normalize_token_row() IS 'internal trigger: a token row is stored as this release stores tokens (a project token''s "*" as its project in granular form; no id of another kind)';
CREATE TRIGGER access_tokens_normalize BEFORE INSERT OR UPDATE OF kind, project_id, user_id, resources ON hive_tokens.access_tokens
    FOR EACH ROW EXECUTE FUNCTION hive_tokens_internal.normalize_token_row();
COMMENT ON TRIGGER access_tokens_normalize ON hive_tokens.access_tokens IS 'stores a token row as this release stores tokens, however it arrives (a restored dump of an earlier release, a hand-written row)';

-- 0.1 let a token hold ids of other kinds (an organization token with a project_id, ...), which
-- its kind ignores: the trigger above clears them.
UPDATE hive_tokens.access_tokens SET kind = kind
 WHERE (kind <> 'project' AND project_id IS NOT NULL) OR (kind <> 'personal' AND user_id IS NOT NULL);

-- The row rules of access_tokens, one constraint calling the code issue() runs (0.1 spelled them
-- out as six constraints).
ALTER TABLE hive_tokens.access_tokens
    DROP CONSTRAINT access_tokens_kind_check, DROP CONSTRAINT access_tokens_title_check,
    DROP CONSTRAINT access_tokens_description_check, DROP CONSTRAINT access_tokens_scopes_check,
    DROP CONSTRAINT access_tokens_check, DROP CONSTRAINT access_tokens_check1,
    ADD CONSTRAINT access_tokens_grant CHECK (hive_tokens_internal.grant_row_ok(kind, title, description, project_id, user_id, scopes));

-- revoke() needs the same right as issuing the token (under a principal), or hive_tokens_admin.
-- Revoking one token for a caller (revoke() and revoke_unused_tokens()); with unused_before, only
-- if, under the row lock, the token is still unused since then: its latest written use is in the
-- locked row (a flush cannot write it while it is locked) and its unwritten uses in shared memory.
CREATE FUNCTION hive_tokens_internal.revoke_token(caller oid, token_id uuid, unused_before timestamptz)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
    gone record;
BEGIN
    SELECT a.kind, a.organization_id, a.project_id, a.user_id, a.title, a.created_at, a.last_used_at INTO t
      FROM hive_tokens.access_tokens AS a WHERE a.id = token_id FOR UPDATE;
    -- a principal sees no token of another organization
    IF NOT FOUND OR t.organization_id IS DISTINCT FROM coalesce(hive_tokens.current_organization_id(), t.organization_id) THEN
        RETURN false;
    END IF;
    IF unused_before IS NOT NULL
       AND (greatest(t.created_at, t.last_used_at) >= unused_before OR hive_tokens_internal.usage_pending(token_id)) THEN
        RETURN false;
    END IF;
    PERFORM hive_tokens_internal.authorize_management(caller, 'revoke', t.kind, t.organization_id, t.project_id, t.user_id, NULL, NULL);
    DELETE FROM hive_tokens.access_tokens AS a WHERE a.id = token_id
        RETURNING a.id, a.organization_id, a.hash, a.key_id, a.legacy_hash INTO gone;
    INSERT INTO hive_tokens.revoked_tokens (id, organization_id, hash, key_id, legacy_hash)
    VALUES (gone.id, gone.organization_id, gone.hash, gone.key_id, gone.legacy_hash);
    PERFORM hive_tokens_internal.audit(pg_get_userbyid(caller), 'revoked', gone.organization_id, gone.id,
        jsonb_build_object('kind', t.kind, 'title', t.title)
        || CASE WHEN unused_before IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('unused_since', unused_before) END);
    RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens_internal.revoke_token(oid, uuid, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.revoke_token(oid, uuid, timestamptz) IS 'internal: revokes a token for the caller (rights, tombstone, audit); with unused_before, only a token still unused since then under its row lock; owner-only';

CREATE FUNCTION hive_tokens_internal.revoke_body(ticket uuid, token_id uuid) RETURNS boolean
    LANGUAGE sql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT hive_tokens_internal.revoke_token(hive_tokens_internal.redeem($1, ''hive_tokens.revoke(uuid)''), $2, NULL)';
REVOKE ALL ON FUNCTION hive_tokens_internal.revoke_body(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hive_tokens_internal.revoke_body(uuid, uuid) TO PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.revoke_body(uuid, uuid) IS 'internal: the body of revoke(), for the caller its ticket names (PUBLIC: without a ticket from revoke() it refuses)';

CREATE OR REPLACE FUNCTION hive_tokens.revoke(token_id uuid) RETURNS boolean
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT hive_tokens_internal.revoke_body(hive_tokens_internal.caller_ticket(), $1)';
COMMENT ON FUNCTION hive_tokens.revoke(uuid) IS 'deletes a token at once (hard delete, seen by the next verify in every session); true if it existed (for a principal: in its organization); needs the same right as issuing it (42501); EXECUTE must be granted';

CREATE FUNCTION hive_tokens.act_as_member(organization uuid, scopes hive_tokens.scopes, resources jsonb, user_id uuid)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION hive_tokens.act_as_member(uuid, hive_tokens.scopes, jsonb, uuid) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.act_as_member(uuid, hive_tokens.scopes, jsonb, uuid) IS 'act_as_member() for a member whose user id is known: the personal tokens it manages are that user''s';

CREATE FUNCTION hive_tokens.verify_cache(OUT entries bigint, OUT hits bigint, OUT misses bigint, OUT emptied bigint,
    OUT policies bigint, OUT bcrypt_checks bigint)
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
REVOKE ALL ON FUNCTION hive_tokens.verify_cache() FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.verify_cache() IS 'this backend''s verified-token cache: rows kept, hits, misses, how many times an invalidation emptied it, the compiled token policies authorize() keeps with it (setting hive_tokens.verify_cache_size bounds both), and how many times it checked a token imported from Hive with bcrypt (a legacy token whose keyed hash is stored, or that this backend checked before, costs none); owner-only (through a pooler it would show other clients'' activity)';

CREATE FUNCTION hive_tokens.authorize(token text, action text, organization uuid, project uuid DEFAULT NULL,
    target uuid DEFAULT NULL, service text DEFAULT NULL, app_deployment text DEFAULT NULL) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION hive_tokens.authorize(text, text, uuid, uuid, uuid, text, text) IS 'verifies a token and checks one action in one call, without a principal: true when allowed, false when the token is live but not allowed (403), NULL when it is not a live token (401); 22023 for an unknown action';

CREATE FUNCTION hive_tokens.current_user_id() RETURNS uuid
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION hive_tokens.current_user_id() IS 'the principal''s user: a personal token''s, or the member''s named by act_as_member(); NULL otherwise';

CREATE OR REPLACE VIEW hive_tokens.tokens AS
    SELECT id, organization_id, kind, project_id, user_id, title, description, NULL::hive_tokens.scopes AS scopes, resources,
           first_characters, created_at, created_by, expires_at, last_used_at
      FROM hive_tokens.access_tokens;
ALTER TABLE hive_tokens.access_tokens ALTER COLUMN scopes TYPE hive_tokens.stored_scopes;
COMMENT ON COLUMN hive_tokens.access_tokens.scopes IS 'the token''s permissions, stored as name@bit so a dump restores whatever order it loads the catalog in (implicitly a scopes value)';
ALTER TABLE hive_tokens.access_tokens ADD COLUMN rotated_to uuid, ADD COLUMN created_by_token uuid,
    ADD COLUMN created_by_user uuid;
COMMENT ON COLUMN hive_tokens.access_tokens.rotated_to IS 'the token that replaced this one (rotate()); set once';
COMMENT ON COLUMN hive_tokens.access_tokens.created_by_token IS 'the token that was the principal when this one was issued or rotated in';
COMMENT ON COLUMN hive_tokens.access_tokens.created_by_user IS 'the principal''s user when this one was issued (a member''s, or a personal token''s)';
-- use_count: added without a default, filled, then given its default and NOT NULL, so that the
-- table is stored as a fresh install stores it (no "missing value" in the catalog)
ALTER TABLE hive_tokens.access_tokens ADD COLUMN use_count bigint;
UPDATE hive_tokens.access_tokens SET use_count = 0;
ALTER TABLE hive_tokens.access_tokens ALTER COLUMN use_count SET DEFAULT 0, ALTER COLUMN use_count SET NOT NULL;
COMMENT ON COLUMN hive_tokens.access_tokens.last_used_at IS 'when a verification last found this token live, as the usage worker last wrote it (needs hive_tokens in shared_preload_libraries; uses on hot standbys are not counted)';
COMMENT ON COLUMN hive_tokens.access_tokens.use_count IS 'how many verifications found this token live, as the usage worker last wrote it (uses dropped when shared memory was full, or lost in a crash, are missing)';

-- Tokens imported from Hive (import_hive_tokens()) keep Hive's bcrypt until their first use.
ALTER TABLE hive_tokens.access_tokens ALTER COLUMN hash DROP NOT NULL, ALTER COLUMN key_id DROP NOT NULL,
    ADD COLUMN legacy_hash text CHECK (legacy_hash ~ '^\$2[aby]\$(0[4-9]|1[0-2])\$[./A-Za-z0-9]{53}$'),
    ADD CONSTRAINT access_tokens_credential CHECK ((hash IS NOT NULL AND key_id IS NOT NULL AND legacy_hash IS NULL)
                                                   OR (hash IS NULL AND key_id IS NULL AND legacy_hash IS NOT NULL));
COMMENT ON COLUMN hive_tokens.access_tokens.hash IS 'keyed BLAKE2b-256 of the whole token under server key key_id; NULL only for a token imported from Hive that has not been used yet (legacy_hash)';
COMMENT ON COLUMN hive_tokens.access_tokens.key_id IS 'id of the keyring entry that produced hash (NULL with hash)';
COMMENT ON COLUMN hive_tokens.access_tokens.legacy_hash IS 'Hive''s bcrypt of a legacy token''s secret (import_hive_tokens()), until its first use replaces it with the keyed hash; NULL otherwise';
ALTER TABLE hive_tokens.revoked_tokens ALTER COLUMN hash DROP NOT NULL, ALTER COLUMN key_id DROP NOT NULL,
    ADD COLUMN legacy_hash text CHECK (legacy_hash ~ '^\$2[aby]\$(0[4-9]|1[0-2])\$[./A-Za-z0-9]{53}$'),
    ADD CONSTRAINT revoked_tokens_credential CHECK ((hash IS NOT NULL AND key_id IS NOT NULL AND legacy_hash IS NULL)
                                                    OR (hash IS NULL AND key_id IS NULL AND legacy_hash IS NOT NULL));
COMMENT ON COLUMN hive_tokens.revoked_tokens.hash IS 'the revoked token''s keyed hash (NULL for a token imported from Hive and revoked before its first use)';
COMMENT ON COLUMN hive_tokens.revoked_tokens.key_id IS 'id of the keyring entry that produced hash (NULL with hash)';
COMMENT ON COLUMN hive_tokens.revoked_tokens.legacy_hash IS 'Hive''s bcrypt of the secret, for a token imported from Hive and revoked before its first use; NULL otherwise';
CREATE OR REPLACE VIEW hive_tokens.tokens AS
    SELECT id, organization_id, kind, project_id, user_id, title, description, scopes::hive_tokens.scopes AS scopes, resources,
           first_characters, created_at, created_by, expires_at, last_used_at, rotated_to, created_by_token, created_by_user,
           use_count
      FROM hive_tokens.access_tokens;

------------------------------------------------------------------------------------------
-- verify() returns a set: recreated, with the grants it had.
------------------------------------------------------------------------------------------
SELECT pg_catalog.set_config('hive_tokens_upgrade.verify_text_acl',
           coalesce((SELECT p.proacl::text FROM pg_catalog.pg_proc AS p WHERE p.oid = 'hive_tokens.verify(text)'::regprocedure), ''), true),
       pg_catalog.set_config('hive_tokens_upgrade.verify_token_acl',
           coalesce((SELECT p.proacl::text FROM pg_catalog.pg_proc AS p
                      WHERE p.oid = 'hive_tokens.verify(hive_tokens.access_token)'::regprocedure), ''), true);

DROP FUNCTION hive_tokens.verify(text);
DROP FUNCTION hive_tokens.verify(hive_tokens.access_token);

CREATE FUNCTION hive_tokens.verify(token text) RETURNS SETOF hive_tokens.tokens
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION hive_tokens.verify(text) IS 'the public record of a live token as one row; no row for anything that is not one';

CREATE FUNCTION hive_tokens.verify(token hive_tokens.access_token) RETURNS SETOF hive_tokens.tokens
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION hive_tokens.verify(hive_tokens.access_token) IS 'verify() for a value already typed access_token';

-- The grants the functions had, exactly: the new functions may have received the updating role's
-- default privileges, which are taken back. GRANT runs as the updating superuser, so the grantor
-- becomes the owner (a chain of grantors is not kept). Inside an extension script PostgreSQL
-- records every GRANT as an initial privilege of the extension, which pg_dump then leaves out:
-- those records are removed again, so the catalog equals a fresh install's (where verify() has
-- none) and dumps carry the grants.
DO $$
DECLARE
    obj record;
    a record;
    fn regprocedure;
    owner oid;
    current aclitem[];
    wanted aclitem[];
BEGIN
    FOR obj IN VALUES ('hive_tokens.verify(text)', pg_catalog.current_setting('hive_tokens_upgrade.verify_text_acl')),
                      ('hive_tokens.verify(hive_tokens.access_token)', pg_catalog.current_setting('hive_tokens_upgrade.verify_token_acl')) LOOP
        fn := obj.column1::regprocedure;
        SELECT p.proowner, p.proacl INTO owner, current FROM pg_catalog.pg_proc AS p WHERE p.oid = fn;
        CONTINUE WHEN obj.column2 = '' AND current IS NULL;  -- default privileges before and now
        wanted := coalesce(nullif(obj.column2, '')::aclitem[], pg_catalog.acldefault('f', owner));
        current := coalesce(current, pg_catalog.acldefault('f', owner));
        FOR a IN SELECT DISTINCT x.grantee FROM pg_catalog.aclexplode(current) AS x WHERE x.grantee <> owner LOOP
            EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM %s', fn,
                           CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END);
        END LOOP;
        FOR a IN SELECT * FROM pg_catalog.aclexplode(wanted) AS x WHERE x.grantee <> owner LOOP
            EXECUTE pg_catalog.format('GRANT %s ON FUNCTION %s TO %s%s', a.privilege_type, fn,
                           CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                           CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
        END LOOP;
        DELETE FROM pg_catalog.pg_init_privs AS ip
         WHERE ip.classoid = 'pg_catalog.pg_proc'::regclass AND ip.objoid = fn;
    END LOOP;
END $$;

------------------------------------------------------------------------------------------
-- The transaction principal: one per transaction, ever; helpers are NULL without one.
------------------------------------------------------------------------------------------
COMMENT ON FUNCTION hive_tokens.authenticate(text) IS 'verifies a token and makes it the principal of this transaction until COMMIT or ROLLBACK (at most one principal per transaction, ever; inside a transaction block or a function); returns its id; 28000 if it is not a live token (NULL included)';
COMMENT ON FUNCTION hive_tokens.act_as_member(uuid, hive_tokens.scopes, jsonb) IS 'makes a logged-in member (permissions on assigned resources) the principal of this transaction (same rules as authenticate()); for the application''s trusted role only (GRANT EXECUTE explicitly)';
COMMENT ON FUNCTION hive_tokens.allowed_projects(text) IS 'RLS helper: the projects on which the principal may perform action as a whole (empty when organization-wide or none; NULL without a principal)';
COMMENT ON FUNCTION hive_tokens.allowed_targets(text) IS 'RLS helper: the targets granted individually for action (target level and below; NULL without a principal)';
COMMENT ON FUNCTION hive_tokens.row_check_targets(text) IS 'RLS helper: targets where access depends on the service or app name, so each row needs can() (NULL without a principal)';
COMMENT ON FUNCTION hive_tokens.denied_projects(text) IS 'RLS helper: projects the principal''s grant denies (for actions on a project or below; NULL without a principal)';
COMMENT ON FUNCTION hive_tokens.denied_targets(text) IS 'RLS helper: targets the principal''s grant denies (for actions on a target or below; NULL without a principal)';

------------------------------------------------------------------------------------------
-- protect() and unprotect() cover inheriting tables and partitions, now and later.
------------------------------------------------------------------------------------------
CREATE FUNCTION hive_tokens_internal.policy_expression(action text, organization_column name,
    project_column name, target_column name, name_column name, distributed boolean)
    RETURNS text
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    lvl text;
    o text := quote_ident(organization_column);
    p text := quote_ident(project_column);
    t text := quote_ident(target_column);
    a text := quote_literal(action);
    e text;
    -- (SELECT f(...)), an initPlan evaluated once per query; a plain call on a table Citus
    -- distributes (it rejects a SubLink in a policy)
    sub text := CASE WHEN distributed THEN '%s' ELSE '(SELECT %s)' END;
    arr text := CASE WHEN distributed THEN '%s' ELSE '((SELECT %s))::uuid[]' END;
BEGIN
    SELECT pm.level INTO lvl FROM hive_tokens.permissions AS pm WHERE pm.name = action;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown action "%"', hive_tokens_internal.shown(action) USING ERRCODE = 'undefined_object';
    END IF;
    IF organization_column IS NULL THEN
        RAISE EXCEPTION 'an organization column is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF lvl = 'organization' THEN
        RETURN format('%s = %s', o, format(sub, format('hive_tokens.organization_wide(%s)', a)));
    END IF;
    IF project_column IS NULL THEN
        RAISE EXCEPTION 'the action % is checked on a project: give the project column', quote_literal(action)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF lvl <> 'project' AND target_column IS NULL THEN
        RAISE EXCEPTION 'the action % is checked on a target: give the target column', quote_literal(action)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The arms of this OR are plain STABLE calls, not initPlans: the planner evaluates them while
    -- planning to estimate selectivity, so a principal with a few projects gets a BitmapOr over
    -- the id indexes and an organization-wide one a sequential scan. Only the arms the action's
    -- level can use are written (the helpers return empty sets for the others).
    -- The organization check is wrapped in IS TRUE so the planner does not fold it into the
    -- organization arm's index scan; the OR then stays intact and is not re-checked per row.
    -- A row whose project (or, below the project level, target) is NULL names no resource the
    -- action could be allowed on: can() says false, and so does the policy. The checks share the
    -- organization's IS TRUE, so the planner neither splits them into the OR's arms nor re-checks
    -- the OR per row.
    IF distributed THEN
        -- Citus re-reads a policy's expression after PostgreSQL has analyzed it in place, and
        -- fails on IS TRUE and IS NOT NULL there: the same checks, written as plain calls (a row
        -- is admitted only when every conjunct is true, so IS TRUE changes nothing at the top).
        e := format('%1$s = %3$s AND pg_catalog.num_nulls(%2$s) = 0', o,
                    p || CASE WHEN lvl <> 'project' THEN ', ' || t ELSE '' END,
                    format(sub, 'hive_tokens.current_organization_id()'));
    ELSE
        e := format('(%1$s = %4$s AND %2$s IS NOT NULL%3$s) IS TRUE',
                    o, p, CASE WHEN lvl <> 'project' THEN format(' AND %s IS NOT NULL', t) ELSE '' END,
                    format(sub, 'hive_tokens.current_organization_id()'));
    END IF;
    e := e || format(' AND (%1$s = ANY (hive_tokens.allowed_projects(%2$s))', p, a);
    IF lvl <> 'project' THEN
        e := e || format(' OR %1$s = ANY (hive_tokens.allowed_targets(%2$s))', t, a);
    END IF;
    IF lvl IN ('service', 'appDeployment') THEN
        e := e || format(' OR %1$s = ANY (hive_tokens.row_check_targets(%2$s))', t, a);
    END IF;
    e := e || format(' OR %1$s = hive_tokens.organization_wide(%2$s))', o, a);
    IF lvl IN ('service', 'appDeployment') THEN
        e := e || format(' AND (NOT %1$s = ANY (%7$s) OR hive_tokens.can(%2$s, %3$s, %4$s, %1$s, %5$s, %6$s))',
                         t, a, o, p,
                         CASE WHEN lvl = 'service' AND name_column IS NOT NULL THEN quote_ident(name_column) ELSE 'NULL' END,
                         CASE WHEN lvl = 'appDeployment' AND name_column IS NOT NULL THEN quote_ident(name_column) ELSE 'NULL' END,
                         format(arr, format('hive_tokens.row_check_targets(%s)', a)));
    END IF;
    e := e || format(' AND NOT %s = ANY (%s)', p, format(arr, format('hive_tokens.denied_projects(%s)', a)));
    IF lvl <> 'project' THEN
        e := e || format(' AND NOT %s = ANY (%s)', t, format(arr, format('hive_tokens.denied_targets(%s)', a)));
    END IF;
    RETURN e;
END;
$$;
COMMENT ON FUNCTION hive_tokens_internal.policy_expression(text, name, name, name, name, boolean) IS 'internal: the row-level-security condition for an action; distributed: plain helper calls instead of scalar subqueries, for tables Citus distributes';

CREATE FUNCTION hive_tokens_internal.write_refused(action text, tbl text, row_organization uuid) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION hive_tokens_internal.write_refused(text, text, uuid) IS 'internal: raises 42501 with Hive''s message for a row of tbl the principal may not write with action; the WITH CHECK of protect()''s write policies calls it for a refused row (row_organization, the row''s, keeps it from being evaluated before the row is checked)';

CREATE FUNCTION hive_tokens.try_authenticate(token text) RETURNS uuid
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION hive_tokens.try_authenticate(text) IS 'authenticate() without the error: the token''s id when it is live and now the principal of this transaction, NULL (no principal, nothing in the server log) when authenticate() would raise 28000';

CREATE OR REPLACE FUNCTION hive_tokens.policy_expression(action text, organization_column name,
    project_column name DEFAULT NULL, target_column name DEFAULT NULL, name_column name DEFAULT NULL)
    RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    RETURN hive_tokens_internal.policy_expression(action, organization_column, project_column, target_column, name_column, false);
COMMENT ON FUNCTION hive_tokens.policy_expression(text, name, name, name, name) IS 'the row-level-security condition protect() uses for an action on a table with these columns (sargable: indexes on the id columns apply)';

-- The table and every table that inherits from it, partitions included, at any depth: rows of a
-- protected table are readable through each of them, so protect() covers them all.
CREATE FUNCTION hive_tokens_internal.inheritors(tbl regclass) RETURNS SETOF regclass
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH RECURSIVE family(relid) AS (
        SELECT tbl::oid
        UNION
        SELECT i.inhrelid FROM pg_inherits AS i JOIN family AS f ON i.inhparent = f.relid)
    SELECT relid::regclass FROM family;
END;
COMMENT ON FUNCTION hive_tokens_internal.inheritors(regclass) IS 'internal: a table and every table that inherits from it (partitions included), for protect(), unprotect() and the event trigger; reads only pg_inherits';

-- The nearest table above tbl (not tbl itself) that protect() covers, or NULL: row-level
-- security enabled and forced, and protect()'s four policies, permissive, each calling a function
-- of this extension (a table that merely has a policy named hive_tokens_select is not protected).
CREATE FUNCTION hive_tokens_internal.protected_ancestor(tbl regclass) RETURNS regclass
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH RECURSIVE up(relid, depth) AS (
        SELECT i.inhparent, 1 FROM pg_inherits AS i WHERE i.inhrelid = tbl::oid
        UNION
        SELECT i.inhparent, u.depth + 1 FROM pg_inherits AS i JOIN up AS u ON i.inhrelid = u.relid WHERE u.depth < 100)
    SELECT u.relid::regclass FROM up AS u JOIN pg_class AS c ON c.oid = u.relid
     WHERE c.relrowsecurity AND c.relforcerowsecurity
       AND (SELECT count(*) FROM pg_policy AS p
             WHERE p.polrelid = u.relid AND p.polpermissive
               AND p.polname IN ('hive_tokens_select', 'hive_tokens_insert', 'hive_tokens_update', 'hive_tokens_delete')
               AND EXISTS (SELECT FROM pg_depend AS d
                             JOIN pg_depend AS m ON m.classid = 'pg_proc'::regclass AND m.objid = d.refobjid AND m.deptype = 'e'
                             JOIN pg_extension AS x ON x.oid = m.refobjid AND x.extname = 'hive_tokens'
                            WHERE d.classid = 'pg_policy'::regclass AND d.objid = p.oid AND d.refclassid = 'pg_proc'::regclass)) = 4
     ORDER BY u.depth LIMIT 1;
END;
COMMENT ON FUNCTION hive_tokens_internal.protected_ancestor(regclass) IS 'internal: the nearest table a table inherits from that protect() covers (row-level security enabled and forced, its four policies calling this extension''s functions), or NULL';

-- Copies source's policies onto member: protect()'s four when ours (replacing member's own, so a
-- table attached with weaker or hand-made hive_tokens_* policies filters as its new parent), and
-- source's restrictive ones member lacks, so a partition read by its own name filters as its parent.
CREATE FUNCTION hive_tokens_internal.copy_policies(source regclass, member regclass, ours boolean) RETURNS void
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p record;
BEGIN
    IF ours THEN
        FOR p IN SELECT m.polname FROM pg_policy AS m
                  WHERE m.polrelid = member
                    AND m.polname IN ('hive_tokens_select', 'hive_tokens_insert', 'hive_tokens_update', 'hive_tokens_delete') LOOP
            EXECUTE format('DROP POLICY %I ON %s', p.polname, member);
        END LOOP;
    END IF;
    FOR p IN SELECT pp.polname, pp.polcmd, pp.polpermissive, pp.polroles,
                    pg_get_expr(pp.polqual, pp.polrelid) AS qual, pg_get_expr(pp.polwithcheck, pp.polrelid) AS wcheck
               FROM pg_policy AS pp
              WHERE pp.polrelid = source
                AND CASE WHEN pp.polname IN ('hive_tokens_select', 'hive_tokens_insert', 'hive_tokens_update', 'hive_tokens_delete')
                         THEN ours ELSE NOT pp.polpermissive END
                AND NOT EXISTS (SELECT FROM pg_policy AS m WHERE m.polrelid = member AND m.polname = pp.polname) LOOP
        BEGIN
            EXECUTE format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s', p.polname, member,
                           CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
                           CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                           (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END, ', ')
                              FROM unnest(p.polroles) AS r),
                           CASE WHEN p.qual IS NOT NULL THEN format(' USING (%s)', p.qual) ELSE '' END,
                           CASE WHEN p.wcheck IS NOT NULL THEN format(' WITH CHECK (%s)', p.wcheck) ELSE '' END);
        EXCEPTION WHEN undefined_table OR undefined_column OR datatype_mismatch THEN
            RAISE EXCEPTION 'policy % of % cannot be copied onto %: %', quote_ident(p.polname), source, member, SQLERRM
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Write it with column references only (no whole-row reference to the table), then run protect() again.';
        END;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION hive_tokens_internal.copy_policies(regclass, regclass, boolean) IS 'internal: copies a protected table''s policies onto an inheriting table: its four (replacing the table''s own) when ours, and the restrictive ones it lacks';

-- What a protected tree requires of each of its tables.
CREATE FUNCTION hive_tokens_internal.check_member(root regclass, member regclass) RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    other text;
    outside regclass;
BEGIN
    -- Rows of member are readable through every table it inherits from: each must be in the tree.
    SELECT i.inhparent::regclass INTO outside FROM pg_inherits AS i
     WHERE i.inhrelid = member AND member <> root
       AND i.inhparent NOT IN (SELECT hive_tokens_internal.inheritors(root)) LIMIT 1;
    IF outside IS NOT NULL THEN
        RAISE EXCEPTION '% also inherits from %, outside the tree protected from %: its rows would be readable through it', member, outside, root
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A table under a protected one inherits from nothing else (NO INHERIT, or protect the other tree''s root first and keep them apart).';
    END IF;
    IF (SELECT c.relkind FROM pg_class AS c WHERE c.oid = member) NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% cannot be protected with %: it inherits from it but cannot have row-level security', member, root
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Foreign tables and other relations cannot carry policies; keep them out of a protected table''s partitions.';
    END IF;
    -- Permissive policies are ORed together: another one would widen what ours allow.
    SELECT string_agg(quote_ident(p.polname), ', ') INTO other
      FROM pg_policy AS p
     WHERE p.polrelid = member AND p.polpermissive
       AND p.polname NOT IN ('hive_tokens_select', 'hive_tokens_insert', 'hive_tokens_update', 'hive_tokens_delete');
    IF other IS NOT NULL THEN
        RAISE EXCEPTION '% has other permissive policies (%), which would widen access', member, other
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Drop them or recreate them AS RESTRICTIVE before protecting the table.';
    END IF;
END;
$$;
COMMENT ON FUNCTION hive_tokens_internal.check_member(regclass, regclass) IS 'internal: refuses a table that cannot be part of a protected tree (not a table, other permissive policies, another parent outside the tree)';

CREATE OR REPLACE FUNCTION hive_tokens.protect(tbl regclass, read_action text, write_action text,
    organization_column name DEFAULT 'organization_id', project_column name DEFAULT NULL,
    target_column name DEFAULT NULL, name_column name DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col name;
    want text;
    have record;
    r text;
    w text;
    pol name;
    member regclass;
    above regclass;
    distributed boolean := false;
    wc text;
BEGIN
    IF tbl IS NULL OR read_action IS NULL OR write_action IS NULL THEN
        RAISE EXCEPTION 'table, read_action and write_action must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    FOR col, want IN VALUES (organization_column, 'uuid'), (project_column, 'uuid'), (target_column, 'uuid'), (name_column, 'text') LOOP
        CONTINUE WHEN col IS NULL;
        SELECT a.atttypid::regtype::text AS typ, a.attnotnull AS notnull INTO have
          FROM pg_attribute AS a WHERE a.attrelid = tbl AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'column % does not exist in %', quote_ident(col), tbl USING ERRCODE = 'undefined_column';
        END IF;
        IF have.typ <> want THEN
            RAISE EXCEPTION 'column % of % must be of type %, not %', quote_ident(col), tbl, want, have.typ
                USING ERRCODE = 'datatype_mismatch';
        END IF;
        IF NOT have.notnull THEN
            RAISE EXCEPTION 'column % of % must be NOT NULL', quote_ident(col), tbl
                USING ERRCODE = 'invalid_table_definition',
                      HINT = 'A protected row must name its organization, project and target; see docs/rls.md.';
        END IF;
    END LOOP;
    -- Only the root of an inheritance tree: rows of this table are also readable through the
    -- tables it inherits from, and a protected ancestor already covers it.
    SELECT i.inhparent::regclass INTO above FROM pg_inherits AS i WHERE i.inhrelid = tbl LIMIT 1;
    IF above IS NOT NULL THEN
        RAISE EXCEPTION '% inherits from %: protect the root of its tree instead', tbl, above
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'protect() covers every table that inherits from the table it is given, and tables added later.';
    END IF;
    FOR member IN SELECT hive_tokens_internal.inheritors(tbl) LOOP
        PERFORM hive_tokens_internal.check_member(tbl, member);
    END LOOP;
    -- A table Citus distributes (or replicates) has its policies run on the workers' shards, where
    -- Citus refuses the scalar subqueries of the usual form.
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid = $1)' INTO distributed USING tbl;
    END IF;
    r := hive_tokens_internal.policy_expression(read_action, organization_column, project_column, target_column, name_column, distributed);
    w := hive_tokens_internal.policy_expression(write_action, organization_column, project_column, target_column, name_column, distributed);
    -- A row the principal may not write is refused with the extension's own error (42501, Hive's
    -- message, marked as the extension's), not PostgreSQL's generic policy violation, which a
    -- client cannot tell from a missing GRANT.
    -- (the row's organization is an argument so that no planner, Citus's included, can evaluate
    -- the call before the row is checked)
    wc := format('CASE WHEN %s THEN true ELSE hive_tokens_internal.write_refused(%L, %L, %I) END', w, write_action, tbl::text,
                 organization_column);
    FOR member IN SELECT hive_tokens_internal.inheritors(tbl) LOOP
        FOR pol IN SELECT polname FROM pg_policy
                    WHERE polrelid = member AND polname IN ('hive_tokens_select', 'hive_tokens_insert', 'hive_tokens_update', 'hive_tokens_delete') LOOP
            EXECUTE format('DROP POLICY %I ON %s', pol, member);
        END LOOP;
        EXECUTE format('CREATE POLICY hive_tokens_select ON %s FOR SELECT USING (%s)', member, r);
        EXECUTE format('CREATE POLICY hive_tokens_insert ON %s FOR INSERT WITH CHECK (%s)', member, wc);
        EXECUTE format('CREATE POLICY hive_tokens_update ON %s FOR UPDATE USING (%s) WITH CHECK (%s)', member, w, wc);
        EXECUTE format('CREATE POLICY hive_tokens_delete ON %s FOR DELETE USING (%s)', member, w);
        IF member <> tbl THEN
            PERFORM hive_tokens_internal.copy_policies(tbl, member, false);
        END IF;
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', member);
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', member);
    END LOOP;
END;
$$;
COMMENT ON FUNCTION hive_tokens.protect(regclass, text, text, name, name, name, name) IS 'enables and forces row-level security on a table and every table that inherits from it (partitions included; later ones are protected as they are created or attached) and (re)creates policies hive_tokens_select/insert/update/delete: reads need read_action, writes write_action, checked on the row''s organization, project, target and service or app name';

CREATE OR REPLACE FUNCTION hive_tokens.unprotect(tbl regclass) RETURNS void
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    pol name;
    member regclass;
    above regclass;
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'table must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    above := hive_tokens_internal.protected_ancestor(tbl);
    IF above IS NOT NULL THEN
        RAISE EXCEPTION '% inherits from the protected table %: unprotecting it would make its rows readable by its own name', tbl, above
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Unprotect the root of the tree, or detach the table first.';
    END IF;
    FOR member IN SELECT m FROM hive_tokens_internal.inheritors(tbl) AS m JOIN pg_class AS c ON c.oid = m
                   WHERE c.relkind IN ('r', 'p') LOOP
        FOR pol IN SELECT polname FROM pg_policy
                    WHERE polrelid = member AND polname IN ('hive_tokens_select', 'hive_tokens_insert', 'hive_tokens_update', 'hive_tokens_delete') LOOP
            EXECUTE format('DROP POLICY %I ON %s', pol, member);
        END LOOP;
        EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', member);
        EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', member);
    END LOOP;
END;
$$;
COMMENT ON FUNCTION hive_tokens.unprotect(regclass) IS 'undoes protect() on a table and every table that inherits from it: drops the four policies and disables row-level security; refused for a table under a protected one';

-- Tables created as partitions or children of a protected table, or attached to one, get its
-- policies in the same statement (an event trigger), so no new partition is ever readable
-- unprotected; a protected table never becomes the child of an unprotected one.
CREATE FUNCTION hive_tokens_internal.added_inheritors(cmd pg_ddl_command) RETURNS regclass[]
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION hive_tokens_internal.added_inheritors(pg_ddl_command) IS 'internal: the tables a DDL command made inherit from another (PARTITION OF, INHERITS, ATTACH PARTITION, INHERIT)';

CREATE FUNCTION hive_tokens_internal.protect_added(children regclass[]) RETURNS void
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    child regclass;
    source regclass;
    member regclass;
BEGIN
    FOR child IN SELECT DISTINCT x.t FROM unnest(children) AS x(t) LOOP
        source := hive_tokens_internal.protected_ancestor(child);
        IF source IS NULL THEN
            IF EXISTS (SELECT FROM pg_policy AS p
                        WHERE p.polrelid IN (SELECT hive_tokens_internal.inheritors(child)) AND p.polname = 'hive_tokens_select') THEN
                RAISE EXCEPTION '% is protected and cannot inherit from a table that is not: its rows would be readable through it', child
                    USING ERRCODE = 'object_not_in_prerequisite_state',
                          HINT = 'Protect the parent first (hive_tokens.protect() covers every table that inherits from it).';
            END IF;
            CONTINUE;
        END IF;
        FOR member IN SELECT hive_tokens_internal.inheritors(child) LOOP
            PERFORM hive_tokens_internal.check_member(source, member);
        END LOOP;
        FOR member IN SELECT hive_tokens_internal.inheritors(child) LOOP
            PERFORM hive_tokens_internal.copy_policies(source, member, true);
            EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', member);
            EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', member);
        END LOOP;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION hive_tokens_internal.protect_added(regclass[]) IS 'internal: gives tables just created as, or attached as, partitions or children of a protected table its policies; refuses what cannot be protected';

-- The event trigger: the tables a command added come from the command's own record and from
-- pg_inherits, never from names, so it runs with a pinned search_path.
CREATE FUNCTION hive_tokens_internal.protect_inheritors() RETURNS event_trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM hive_tokens_internal.protect_added(ARRAY(
        SELECT x.t FROM pg_catalog.pg_event_trigger_ddl_commands() AS c,
                        pg_catalog.unnest(hive_tokens_internal.added_inheritors(c.command)) AS x(t)));
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens_internal.protect_inheritors() FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.protect_inheritors() IS 'internal event trigger: gives tables created as, or attached as, partitions or children of a protected table its policies';
CREATE EVENT TRIGGER hive_tokens_protect_inheritors ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE', 'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE', 'CREATE SCHEMA')
    EXECUTE FUNCTION hive_tokens_internal.protect_inheritors();
COMMENT ON EVENT TRIGGER hive_tokens_protect_inheritors IS 'protects new and attached partitions (and inheriting tables) of tables protected by hive_tokens.protect()';

------------------------------------------------------------------------------------------
-- Token lifecycle: the audit log, expiry policies, immutability, rotation, personal tokens'
-- member function, organization deletion and listing (docs/managing.md).
------------------------------------------------------------------------------------------
CREATE FUNCTION hive_tokens_internal.outer_role() RETURNS name
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL RESTRICTED;
REVOKE ALL ON FUNCTION hive_tokens_internal.outer_role() FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.outer_role() IS 'internal: the session''s role as SET ROLE left it; the actor_role of events no management function records (organization deletion, purge)';

CREATE TABLE hive_tokens.audit_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    event           text NOT NULL CHECK (event IN ('issued', 'revoked', 'rotated', 'imported', 'refused',
                                                   'policy_changed', 'organization_deleted', 'purged')),
    organization_id uuid,
    token_id        uuid,
    actor_kind      text NOT NULL CHECK (actor_kind IN ('token', 'member', 'role')),
    actor_token_id  uuid,
    actor_user_id   uuid,
    actor_role      name NOT NULL,
    details         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_organization_idx ON hive_tokens.audit_log (organization_id, id DESC);
REVOKE ALL ON hive_tokens.audit_log FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('hive_tokens.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('hive_tokens.audit_log_id_seq', '');
COMMENT ON SEQUENCE hive_tokens.audit_log_id_seq IS 'ids of audit events; dumped with the log so restored events keep their order';
COMMENT ON TABLE hive_tokens.audit_log IS 'append-only record of token management: who issued, revoked, rotated or imported which token, policy changes, organization deletions, purges; never a secret; owner-only (read it with hive_tokens.audit_events())';
COMMENT ON COLUMN hive_tokens.audit_log.id IS 'order of recording; audit_events() pages on it, newest first';
COMMENT ON COLUMN hive_tokens.audit_log.at IS 'start of the transaction that recorded the event';
COMMENT ON COLUMN hive_tokens.audit_log.event IS 'issued, revoked, rotated, imported, refused, policy_changed, organization_deleted or purged';
COMMENT ON COLUMN hive_tokens.audit_log.organization_id IS 'the organization the event concerns (NULL for purged and for cluster-wide changes)';
COMMENT ON COLUMN hive_tokens.audit_log.token_id IS 'the token the event concerns (the replaced one for rotated)';
COMMENT ON COLUMN hive_tokens.audit_log.actor_kind IS 'token or member: the transaction''s principal acted; role: a role without a principal (hive_tokens_admin, a superuser, a trigger)';
COMMENT ON COLUMN hive_tokens.audit_log.actor_token_id IS 'the principal''s token, when a token acted';
COMMENT ON COLUMN hive_tokens.audit_log.actor_user_id IS 'the principal''s user (a personal token''s, or the member''s named by act_as_member())';
COMMENT ON COLUMN hive_tokens.audit_log.actor_role IS 'the role current where the public function was called (after SET ROLE; inside a SECURITY DEFINER function, its owner); for organization deletions and purges, the session''s role';
COMMENT ON COLUMN hive_tokens.audit_log.details IS 'what the event changed (title, permissions, expiry, replacement, counts), never a token or a hash';

CREATE FUNCTION hive_tokens_internal.audit_log_guard() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION hive_tokens_internal.audit_log_guard() FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.audit_log_guard() IS 'internal trigger: the audit log is append-only (UPDATE, DELETE and TRUNCATE refused; purge_audit_log() deletes)';
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON hive_tokens.audit_log
    FOR EACH ROW EXECUTE FUNCTION hive_tokens_internal.audit_log_guard();
COMMENT ON TRIGGER audit_log_append_only ON hive_tokens.audit_log IS 'refuses changing or deleting an event (purge_audit_log() excepted)';
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON hive_tokens.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION hive_tokens_internal.audit_log_guard();
COMMENT ON TRIGGER audit_log_no_truncate ON hive_tokens.audit_log IS 'refuses TRUNCATE of the audit log';

CREATE FUNCTION hive_tokens_internal.audit(actor name, event text, organization uuid, token uuid, details jsonb) RETURNS void
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    INSERT INTO hive_tokens.audit_log (event, organization_id, token_id, actor_kind, actor_token_id, actor_user_id,
                                       actor_role, details)
    VALUES (event, organization, token, coalesce(hive_tokens.current_principal_kind(), 'role'),
            hive_tokens.current_token_id(), hive_tokens.current_user_id(), actor,
            coalesce(details, '{}'));
END;
REVOKE ALL ON FUNCTION hive_tokens_internal.audit(name, text, uuid, uuid, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.audit(name, text, uuid, uuid, jsonb) IS 'internal: records an event with the acting principal and the calling role (actor); owner-only';

CREATE FUNCTION hive_tokens_internal.authorize_organization(caller oid, what text, action text, organization uuid,
    members_only boolean) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION hive_tokens_internal.authorize_organization(oid, text, text, uuid, boolean) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.authorize_organization(oid, text, text, uuid, boolean) IS 'internal: whether the principal holds action on its organization (and, with members_only, is a member); without a principal or an action, the caller must be a superuser or a member of hive_tokens_admin; 42501 otherwise';

CREATE FUNCTION hive_tokens_internal.audit_events_body(ticket uuid, organization uuid, before_id bigint, max_rows integer)
    RETURNS SETOF hive_tokens.audit_log
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller oid := hive_tokens_internal.redeem(ticket, 'hive_tokens.audit_events(uuid,bigint,integer)');
BEGIN
    IF max_rows IS NULL OR max_rows < 1 OR max_rows > 10000 THEN
        RAISE EXCEPTION 'max_rows must be between 1 and 10000' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM hive_tokens_internal.authorize_organization(caller, 'read the audit log', 'auditLog:export', organization, false);
    RETURN QUERY
        SELECT l.* FROM hive_tokens.audit_log AS l
         WHERE l.organization_id IS NOT DISTINCT FROM organization AND (before_id IS NULL OR l.id < before_id)
         ORDER BY l.organization_id, l.id DESC
         LIMIT max_rows;
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens_internal.audit_events_body(uuid, uuid, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hive_tokens_internal.audit_events_body(uuid, uuid, bigint, integer) TO PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.audit_events_body(uuid, uuid, bigint, integer) IS 'internal: the body of audit_events(), for the caller its ticket names (PUBLIC: without a ticket it refuses)';

CREATE FUNCTION hive_tokens.audit_events(organization uuid, before_id bigint DEFAULT NULL, max_rows integer DEFAULT 100)
    RETURNS SETOF hive_tokens.audit_log
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT * FROM hive_tokens_internal.audit_events_body(hive_tokens_internal.caller_ticket(), $1, $2, $3)';
REVOKE ALL ON FUNCTION hive_tokens.audit_events(uuid, bigint, integer) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.audit_events(uuid, bigint, integer) IS 'an organization''s audit events, newest first, max_rows at a time (pass the last id seen as before_id for the next page); a principal needs auditLog:export on its organization, without one hive_tokens_admin (NULL organization: events of none); EXECUTE must be granted';

CREATE FUNCTION hive_tokens.purge_audit_log(older_than interval) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION hive_tokens.purge_audit_log(interval) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.purge_audit_log(interval) IS 'retention: deletes the audit events older than now() minus older_than and records a purged event; returns how many went; owner-only';

-- Expiry policies.
CREATE TABLE hive_tokens.expiry_policies (
    organization_id uuid PRIMARY KEY,
    max_lifetime    interval CHECK (max_lifetime > interval '0'),
    allow_never     boolean NOT NULL DEFAULT true,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      name NOT NULL DEFAULT session_user,
    CONSTRAINT expiry_policies_rule CHECK (max_lifetime IS NOT NULL OR NOT allow_never)
);
REVOKE ALL ON hive_tokens.expiry_policies FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('hive_tokens.expiry_policies', '');
COMMENT ON TABLE hive_tokens.expiry_policies IS 'per-organization expiry policy, checked when a token is issued or rotated and at every use; change it with hive_tokens.set_expiry_policy(); owner-only';
COMMENT ON COLUMN hive_tokens.expiry_policies.organization_id IS 'the organization the policy governs';
COMMENT ON COLUMN hive_tokens.expiry_policies.max_lifetime IS 'longest a token may live from its creation (NULL: no maximum); older tokens stop working, even those issued before the policy';
COMMENT ON COLUMN hive_tokens.expiry_policies.allow_never IS 'whether a token may have no expiry (such tokens are exempt from max_lifetime); when false a token without an expiry takes the maximum';
COMMENT ON COLUMN hive_tokens.expiry_policies.updated_at IS 'when the policy was last set';
COMMENT ON COLUMN hive_tokens.expiry_policies.updated_by IS 'session role that last set it';

CREATE FUNCTION hive_tokens_internal.expiry_policies_changed() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION hive_tokens_internal.expiry_policies_changed() FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.expiry_policies_changed() IS 'internal trigger: every backend rereads the expiry policies once a change commits';
CREATE TRIGGER expiry_policies_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON hive_tokens.expiry_policies
    FOR EACH STATEMENT EXECUTE FUNCTION hive_tokens_internal.expiry_policies_changed();
ALTER TABLE hive_tokens.expiry_policies ENABLE ALWAYS TRIGGER expiry_policies_changed;
COMMENT ON TRIGGER expiry_policies_changed ON hive_tokens.expiry_policies IS 'makes every backend reread the policies after a change commits (fires ALWAYS)';
CREATE TRIGGER expiry_policies_row_changed BEFORE INSERT OR UPDATE OR DELETE ON hive_tokens.expiry_policies
    FOR EACH ROW EXECUTE FUNCTION hive_tokens_internal.expiry_policies_changed();
ALTER TABLE hive_tokens.expiry_policies ENABLE ALWAYS TRIGGER expiry_policies_row_changed;
COMMENT ON TRIGGER expiry_policies_row_changed ON hive_tokens.expiry_policies IS 'the same for each row (logical replication''s apply fires row triggers only; fires ALWAYS)';

CREATE FUNCTION hive_tokens_internal.organization_has_tokens(organization uuid) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION hive_tokens_internal.organization_has_tokens(uuid) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.organization_has_tokens(uuid) IS 'internal: whether access_tokens holds a token of the organization as committed now (latest snapshot, whatever the isolation level); organization deletion at REPEATABLE READ or SERIALIZABLE checks it; owner-only';

CREATE FUNCTION hive_tokens_internal.lock_organization(organization uuid) RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION hive_tokens_internal.lock_organization(uuid) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.lock_organization(uuid) IS 'internal: the organization''s policy lock in exclusive mode until the transaction ends (issuing and rotating take it shared)';

CREATE FUNCTION hive_tokens_internal.check_expiry(organization uuid, expires_at timestamptz, rotating boolean)
    RETURNS timestamptz
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION hive_tokens_internal.check_expiry(uuid, timestamptz, boolean) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.check_expiry(uuid, timestamptz, boolean) IS 'internal: under the policy lock, the expiry a new token may have (22023 when it breaks the policy) or a replacement gets (capped)';

CREATE FUNCTION hive_tokens_internal.effective_expiry(organization uuid, created_at timestamptz, expires_at timestamptz)
    RETURNS timestamptz
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL RESTRICTED;
REVOKE ALL ON FUNCTION hive_tokens_internal.effective_expiry(uuid, timestamptz, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.effective_expiry(uuid, timestamptz, timestamptz) IS 'internal: a token''s expiry as verification applies its organization''s policy (NULL: never; -infinity: ended by the policy)';

CREATE FUNCTION hive_tokens_internal.end_expired(organization uuid) RETURNS void
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    UPDATE hive_tokens.access_tokens AS a
       SET expires_at = CASE WHEN isfinite(e.at) THEN e.at ELSE now() END
      FROM (SELECT t.id, hive_tokens_internal.effective_expiry(t.organization_id, t.created_at, t.expires_at) AS at
              FROM hive_tokens.access_tokens AS t WHERE t.organization_id = end_expired.organization) AS e
     WHERE a.id = e.id AND e.at <= now() AND a.expires_at IS DISTINCT FROM e.at
       AND (a.expires_at IS NULL OR a.expires_at > now());
END;
REVOKE ALL ON FUNCTION hive_tokens_internal.end_expired(uuid) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.end_expired(uuid) IS 'internal: writes into the rows the expiry the organization''s policy has already reached, so a later, looser policy never brings those tokens back';

CREATE FUNCTION hive_tokens.expiry(preset text) RETURNS timestamptz
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF preset = 'never' THEN
        RETURN NULL;
    ELSIF preset IN ('7 days', '14 days', '30 days', '6 months', '1 year') THEN
        RETURN now() + preset::interval;
    END IF;
    RAISE EXCEPTION 'unknown expiry preset %', coalesce(quote_literal(preset), 'NULL') USING ERRCODE = 'invalid_parameter_value',
        HINT = 'Use never, 7 days, 14 days, 30 days, 6 months or 1 year, or give expires_at as a time.';
END;
$$;
COMMENT ON FUNCTION hive_tokens.expiry(text) IS 'the expires_at of one of Hive''s presets from now: never (NULL), 7 days, 14 days, 30 days, 6 months or 1 year; 22023 for anything else';

CREATE FUNCTION hive_tokens_internal.set_expiry_policy_body(ticket uuid, organization uuid, max_lifetime interval, allow_never boolean)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller oid := hive_tokens_internal.redeem(ticket, 'hive_tokens.set_expiry_policy(uuid,interval,boolean)');
    ended bigint;
    live uuid[];
BEGIN
    IF organization IS NULL OR allow_never IS NULL THEN
        RAISE EXCEPTION 'organization and allow_never must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF max_lifetime IS NOT NULL AND max_lifetime <= interval '0' THEN
        RAISE EXCEPTION 'max_lifetime must be positive' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM hive_tokens_internal.authorize_organization(caller, 'change the expiry policy', 'accessToken:modify', organization, true);
    PERFORM hive_tokens_internal.lock_organization(organization);
    -- what the policy in force has ended stays ended: written into the rows before it changes
    PERFORM hive_tokens_internal.end_expired(organization);
    SELECT coalesce(array_agg(a.id), '{}') INTO live FROM hive_tokens.access_tokens AS a
     WHERE a.organization_id = organization
       AND coalesce(hive_tokens_internal.effective_expiry(a.organization_id, a.created_at, a.expires_at) > now(), true);
    IF max_lifetime IS NULL AND allow_never THEN
        DELETE FROM hive_tokens.expiry_policies AS p WHERE p.organization_id = organization;
    ELSE
        INSERT INTO hive_tokens.expiry_policies AS p (organization_id, max_lifetime, allow_never)
        VALUES (organization, max_lifetime, allow_never)
        ON CONFLICT (organization_id) DO UPDATE
            SET max_lifetime = excluded.max_lifetime, allow_never = excluded.allow_never,
                updated_at = now(), updated_by = session_user;
    END IF;
    -- the live tokens the new policy ends now, written down too
    SELECT count(*) INTO ended FROM hive_tokens.access_tokens AS a
     WHERE a.id = ANY (live)
       AND NOT coalesce(hive_tokens_internal.effective_expiry(a.organization_id, a.created_at, a.expires_at) > now(), true);
    PERFORM hive_tokens_internal.end_expired(organization);
    PERFORM hive_tokens_internal.audit(pg_get_userbyid(caller), 'policy_changed', organization, NULL,
        jsonb_build_object('policy', 'expiry', 'max_lifetime', max_lifetime::text, 'allow_never', allow_never,
                           'tokens_ended', ended));
    RETURN ended;
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens_internal.set_expiry_policy_body(uuid, uuid, interval, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hive_tokens_internal.set_expiry_policy_body(uuid, uuid, interval, boolean) TO PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.set_expiry_policy_body(uuid, uuid, interval, boolean) IS 'internal: the body of set_expiry_policy(), for the caller its ticket names (PUBLIC: without a ticket it refuses)';

CREATE FUNCTION hive_tokens.set_expiry_policy(organization uuid, max_lifetime interval, allow_never boolean DEFAULT false)
    RETURNS bigint
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT hive_tokens_internal.set_expiry_policy_body(hive_tokens_internal.caller_ticket(), $1, $2, $3)';
REVOKE ALL ON FUNCTION hive_tokens.set_expiry_policy(uuid, interval, boolean) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.set_expiry_policy(uuid, interval, boolean) IS 'sets an organization''s expiry policy (max_lifetime NULL with allow_never true removes it); a member principal needs accessToken:modify, without one hive_tokens_admin; returns how many live tokens it ends now; audited; EXECUTE must be granted';

-- Immutability.
CREATE FUNCTION hive_tokens_internal.immutable_token() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION hive_tokens_internal.immutable_token() FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.immutable_token() IS 'internal trigger: a token''s grants, owner, hash, key and history never change (23000); only last_used_at, use_count, an earlier expires_at, a first rotated_to, and an imported token''s Hive bcrypt replaced by its keyed hash (by the usage worker only)';

-- Personal tokens follow their member.
CREATE TABLE hive_tokens.member_function (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    fn        regprocedure NOT NULL
);
REVOKE ALL ON hive_tokens.member_function FROM PUBLIC;
GRANT SELECT ON hive_tokens.member_function TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('hive_tokens.member_function', '');
COMMENT ON TABLE hive_tokens.member_function IS 'the function authenticate() asks for a personal token''s member grants (one row at most); set it with hive_tokens.set_member_function(); readable by everyone (authenticate() runs as its caller)';
COMMENT ON COLUMN hive_tokens.member_function.singleton IS 'always true: one registration per database';
COMMENT ON COLUMN hive_tokens.member_function.fn IS 'a function (organization uuid, user_id uuid) returning (scopes hive_tokens.scopes, resources jsonb): the member''s current permissions, no row when the user is no member';

CREATE FUNCTION hive_tokens_internal.set_member_function_body(ticket uuid, fn regprocedure) RETURNS void
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller oid := hive_tokens_internal.redeem(ticket, 'hive_tokens.set_member_function(regprocedure)');
    p record;
BEGIN
    PERFORM hive_tokens_internal.authorize_organization(caller, 'register the member function', NULL, NULL, false);
    IF fn IS NULL THEN
        DELETE FROM hive_tokens.member_function;
        PERFORM hive_tokens_internal.audit(pg_get_userbyid(caller), 'policy_changed', NULL, NULL, jsonb_build_object('policy', 'member_function', 'function', NULL));
        RETURN;
    END IF;
    SELECT f.proargtypes, f.proallargtypes, f.proargmodes, f.proargnames, f.prokind INTO p
      FROM pg_proc AS f WHERE f.oid = fn;
    IF p.prokind <> 'f' OR p.proargtypes <> '2950 2950'::oidvector
       OR p.proallargtypes IS DISTINCT FROM ARRAY['uuid'::regtype, 'uuid'::regtype, 'hive_tokens.scopes'::regtype, 'jsonb'::regtype]::oid[]
       OR p.proargmodes[3:4] IS DISTINCT FROM ARRAY['o', 'o']::"char"[] AND p.proargmodes[3:4] IS DISTINCT FROM ARRAY['t', 't']::"char"[]
       OR p.proargnames[3:4] IS DISTINCT FROM ARRAY['scopes', 'resources'] THEN
        RAISE EXCEPTION 'function % does not fit', fn USING ERRCODE = 'invalid_function_definition',
            DETAIL = 'The member function takes (organization uuid, user_id uuid) and returns (scopes hive_tokens.scopes, resources jsonb): OUT parameters or RETURNS TABLE, one row for a member, none otherwise.';
    END IF;
    INSERT INTO hive_tokens.member_function AS m (singleton, fn) VALUES (true, fn)
        ON CONFLICT (singleton) DO UPDATE SET fn = excluded.fn;
    PERFORM hive_tokens_internal.audit(pg_get_userbyid(caller), 'policy_changed', NULL, NULL,
        jsonb_build_object('policy', 'member_function', 'function', fn::text));
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens_internal.set_member_function_body(uuid, regprocedure) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hive_tokens_internal.set_member_function_body(uuid, regprocedure) TO PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.set_member_function_body(uuid, regprocedure) IS 'internal: the body of set_member_function(), for the caller its ticket names (PUBLIC: without a ticket it refuses)';

CREATE FUNCTION hive_tokens.set_member_function(fn regprocedure)
    RETURNS void
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT hive_tokens_internal.set_member_function_body(hive_tokens_internal.caller_ticket(), $1)';
REVOKE ALL ON FUNCTION hive_tokens.set_member_function(regprocedure) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.set_member_function(regprocedure) IS 'registers the function that gives a personal token''s member grants (NULL unregisters); superusers and hive_tokens_admin only; audited';

-- Rotation.
CREATE FUNCTION hive_tokens_internal.rotate_body(ticket uuid, old_id uuid, grace interval, OUT new_id uuid, OUT token text)
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller oid := hive_tokens_internal.redeem(ticket, 'hive_tokens.rotate(uuid,interval)');
    old hive_tokens.access_tokens;
    m record;
    new_expiry timestamptz;
    old_expiry timestamptz;
BEGIN
    IF old_id IS NULL OR grace IS NULL THEN
        RAISE EXCEPTION 'token_id and grace must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF grace < interval '0' THEN
        RAISE EXCEPTION 'grace must not be negative' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT a.* INTO old FROM hive_tokens.access_tokens AS a WHERE a.id = old_id FOR UPDATE;
    -- a principal sees no token of another organization
    IF NOT FOUND OR old.organization_id IS DISTINCT FROM coalesce(hive_tokens.current_organization_id(), old.organization_id) THEN
        RAISE EXCEPTION 'the access token does not exist' USING ERRCODE = 'no_data_found',
            DETAIL = pg_catalog.format('No token %s in the organization of the principal, if any.', old_id);
    END IF;
    PERFORM hive_tokens_internal.authorize_management(caller, 'rotate', old.kind, old.organization_id, old.project_id,
                                                      old.user_id, old.scopes, old.resources);
    IF old.rotated_to IS NOT NULL THEN
        RAISE EXCEPTION 'the token has already been rotated' USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = pg_catalog.format('Its replacement is %s.', old.rotated_to);
    END IF;
    IF NOT coalesce(hive_tokens_internal.effective_expiry(old.organization_id, old.created_at, old.expires_at) > now(), true) THEN
        RAISE EXCEPTION 'the token has expired' USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Issue a new token instead.';
    END IF;
    new_expiry := hive_tokens_internal.check_expiry(old.organization_id,
                      CASE WHEN isfinite(old.expires_at) THEN now() + (old.expires_at - old.created_at) END, true);
    m := hive_tokens_internal.mint(old.kind);
    INSERT INTO hive_tokens.access_tokens
        (id, organization_id, kind, project_id, user_id, title, description, scopes, resources,
         hash, key_id, first_characters, expires_at, created_by_token, created_by_user)
    VALUES (m.id, old.organization_id, old.kind, old.project_id, old.user_id, old.title, old.description,
            old.scopes, old.resources, m.hash, m.key_id, m.first_characters, new_expiry,
            hive_tokens.current_token_id(), hive_tokens.current_user_id());
    old_expiry := least(coalesce(old.expires_at, 'infinity'), now() + grace);
    UPDATE hive_tokens.access_tokens AS a SET expires_at = old_expiry, rotated_to = m.id WHERE a.id = old.id;
    PERFORM hive_tokens_internal.audit(pg_get_userbyid(caller), 'rotated', old.organization_id, old.id,
        jsonb_build_object('replacement', m.id, 'grace', grace::text, 'old_expires_at', old_expiry,
                           'expires_at', new_expiry));
    new_id := m.id;
    token := m.token;
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens_internal.rotate_body(uuid, uuid, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hive_tokens_internal.rotate_body(uuid, uuid, interval) TO PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.rotate_body(uuid, uuid, interval) IS 'internal: the body of rotate(), for the caller its ticket names (PUBLIC: without a ticket it refuses)';

CREATE FUNCTION hive_tokens.rotate(token_id uuid, grace interval DEFAULT '0')
    RETURNS TABLE (token_id uuid, token text)
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT r.new_id, r.token FROM hive_tokens_internal.rotate_body(hive_tokens_internal.caller_ticket(), $1, $2) AS r';
REVOKE ALL ON FUNCTION hive_tokens.rotate(uuid, interval) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.rotate(uuid, interval) IS 'replaces a live token: a new one with the same grants, title, kind and owner and an expiry of the same length (capped by the policy), returned as issue() returns it; the old one stops after grace; once per token; same rights as issue(); audited; EXECUTE must be granted';

-- Organization deletion.
CREATE FUNCTION hive_tokens.delete_organization_tokens() RETURNS trigger
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col text := coalesce(TG_ARGV[0], 'id');
    org uuid;
    n bigint;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'a linked organizations table cannot be truncated'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'TRUNCATE fires no row trigger: the organizations'' tokens would outlive them.',
                  HINT = 'DELETE the rows instead, or drop the triggers hive_tokens_delete_tokens and hive_tokens_no_truncate first.';
    END IF;
    IF TG_WHEN <> 'AFTER' OR TG_LEVEL <> 'ROW' OR TG_OP <> 'DELETE' OR TG_NARGS > 1 THEN
        RAISE EXCEPTION 'delete_organization_tokens() must be an AFTER DELETE ... FOR EACH ROW trigger with at most one argument'
            USING ERRCODE = 'trigger_protocol_violated';
    END IF;
    -- only on a table linked with link_organizations(): EXECUTE on this function (needed to
    -- attach it) must not let a role delete any organization's tokens from a table of its own
    -- ... and whose owner is still the one that linked it (a new owner was never vetted)
    IF NOT EXISTS (SELECT FROM hive_tokens.organization_tables AS o JOIN pg_class AS c ON c.oid = o.tbl
                    WHERE o.id_column = col AND c.relowner = o.owner
                      AND (o.tbl = TG_RELID OR o.tbl IN (SELECT a.relid FROM pg_partition_ancestors(TG_RELID) AS a))) THEN
        RAISE EXCEPTION 'table % is not linked to hive_tokens on column %', TG_RELID::regclass, col
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Or its owner changed since it was linked.',
                  HINT = 'A member of hive_tokens_admin links the organizations table as its owner: SELECT hive_tokens.link_organizations(''<table>'', ''<id column>'').';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_attribute AS a
                    WHERE a.attrelid = TG_RELID AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped
                      AND a.atttypid = 'uuid'::regtype) THEN
        RAISE EXCEPTION 'table % has no uuid column %', TG_RELID::regclass, col
            USING ERRCODE = 'undefined_column', HINT = 'Name the organization id column as the trigger''s argument.';
    END IF;
    EXECUTE format('SELECT ($1).%I', col) INTO org USING OLD;
    IF org IS NULL THEN
        RETURN NULL;
    END IF;
    -- a principal deletes its own organization only
    IF hive_tokens.current_organization_id() <> org THEN
        RAISE EXCEPTION 'the principal cannot delete the tokens of another organization'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- waits for an import in progress (it holds SHARE on expiry_policies), whose tokens this
    -- deletion must see, and keeps a new one from starting until this deletion commits
    LOCK TABLE hive_tokens.expiry_policies IN ROW EXCLUSIVE MODE;
    -- and for a token being issued or rotated in the organization (they hold its policy lock
    -- shared until they commit): this deletion sees it, and a later one sees the deletion
    PERFORM hive_tokens_internal.lock_organization(org);
    WITH gone AS (
        DELETE FROM hive_tokens.access_tokens AS a WHERE a.organization_id = org
        RETURNING a.id, a.organization_id, a.hash, a.key_id, a.legacy_hash
    ), tombstones AS (
        INSERT INTO hive_tokens.revoked_tokens (id, organization_id, hash, key_id, legacy_hash)
        SELECT g.id, g.organization_id, g.hash, g.key_id, g.legacy_hash FROM gone AS g
        ON CONFLICT (id) DO NOTHING
    )
    SELECT count(*) INTO n FROM gone;
    -- at REPEATABLE READ or SERIALIZABLE the DELETE saw this transaction's snapshot: a token
    -- committed after it (an import this deletion waited for) would survive unseen
    IF current_setting('transaction_isolation') <> 'read committed'
       AND hive_tokens_internal.organization_has_tokens(org) THEN
        RAISE EXCEPTION 'tokens of organization % were added after this transaction began', org
            USING ERRCODE = 'serialization_failure', HINT = 'Retry the transaction.';
    END IF;
    DELETE FROM hive_tokens.expiry_policies AS p WHERE p.organization_id = org;
    PERFORM hive_tokens_internal.audit(hive_tokens_internal.outer_role(), 'organization_deleted', org, NULL,
        jsonb_build_object('tokens', n, 'table', TG_RELID::regclass::text));
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION hive_tokens.delete_organization_tokens() IS 'trigger for the application''s organizations table (AFTER DELETE FOR EACH ROW, argument: the uuid id column, default id), attached by link_organizations(): deletes and audits the organization''s tokens and expiry policy in the same transaction; refuses tables not linked (or whose owner changed since), TRUNCATE and a principal of another organization; PUBLIC (so the owner of a linked partitioned table can add partitions: it acts on linked tables only)';

CREATE TABLE hive_tokens.organization_tables (
    tbl           regclass PRIMARY KEY,
    id_column     name NOT NULL,
    owner         regrole NOT NULL,
    linked_at     timestamptz NOT NULL DEFAULT now(),
    linked_by     name NOT NULL DEFAULT session_user
);
REVOKE ALL ON hive_tokens.organization_tables FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('hive_tokens.organization_tables', '');
COMMENT ON TABLE hive_tokens.organization_tables IS 'the application tables whose deleted rows delete an organization''s tokens (link_organizations()); owner-only';
COMMENT ON COLUMN hive_tokens.organization_tables.tbl IS 'the organizations table';
COMMENT ON COLUMN hive_tokens.organization_tables.id_column IS 'its uuid column holding the organization id';
COMMENT ON COLUMN hive_tokens.organization_tables.owner IS 'the table''s owner when it was linked: the link stops working (42501) if the owner changes';
COMMENT ON COLUMN hive_tokens.organization_tables.linked_at IS 'when it was linked';
COMMENT ON COLUMN hive_tokens.organization_tables.linked_by IS 'the role that called link_organizations()';

CREATE FUNCTION hive_tokens_internal.link_organizations_body(ticket uuid, linked regclass, linked_column name) RETURNS void
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller oid := hive_tokens_internal.redeem(ticket, 'hive_tokens.link_organizations(regclass,name)');
    part regclass;
BEGIN
    PERFORM hive_tokens_internal.authorize_organization(caller, 'link an organizations table', NULL, NULL, false);
    IF linked IS NULL OR linked_column IS NULL THEN
        RAISE EXCEPTION 'tbl and id_column must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_class AS c WHERE c.oid = linked AND c.relkind IN ('r', 'p') AND NOT c.relispartition) THEN
        RAISE EXCEPTION '% is not a table (or is a partition: link its partitioned table)', linked
            USING ERRCODE = 'wrong_object_type';
    END IF;
    -- the caller's own table (a role it belongs to owns it), never one of a system or this extension
    IF NOT EXISTS (SELECT FROM pg_class AS c WHERE c.oid = linked AND pg_has_role(caller, c.relowner, 'USAGE'))
       OR (SELECT n.nspname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE c.oid = linked)
          IN ('hive_tokens', 'hive_tokens_internal', 'pg_catalog', 'information_schema', 'pg_toast') THEN
        RAISE EXCEPTION 'only the owner of % may link it', linked USING ERRCODE = 'insufficient_privilege',
            HINT = 'Link the application''s organizations table as (a member of) its owner; tables of the extension and the system cannot be linked.';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_attribute AS a
                    WHERE a.attrelid = linked AND a.attname = linked_column AND a.attnum > 0 AND NOT a.attisdropped
                      AND a.atttypid = 'uuid'::regtype) THEN
        RAISE EXCEPTION 'table % has no uuid column %', linked, linked_column USING ERRCODE = 'undefined_column';
    END IF;
    DELETE FROM hive_tokens.organization_tables AS o WHERE NOT EXISTS (SELECT FROM pg_class AS c WHERE c.oid = o.tbl);
    INSERT INTO hive_tokens.organization_tables AS o (tbl, id_column, owner, linked_by)
    VALUES (linked, linked_column, (SELECT c.relowner FROM pg_class AS c WHERE c.oid = linked), pg_get_userbyid(caller))
        ON CONFLICT (tbl) DO UPDATE SET id_column = excluded.id_column, owner = excluded.owner, linked_at = now(),
                                        linked_by = excluded.linked_by;
    IF EXISTS (SELECT FROM pg_trigger AS t WHERE t.tgrelid = linked AND t.tgname = 'hive_tokens_delete_tokens') THEN
        EXECUTE format('DROP TRIGGER hive_tokens_delete_tokens ON %s', linked);
    END IF;
    EXECUTE format('CREATE TRIGGER hive_tokens_delete_tokens AFTER DELETE ON %s FOR EACH ROW '
                   'EXECUTE FUNCTION hive_tokens.delete_organization_tokens(%L)', linked, linked_column);
    -- statement triggers are not copied to partitions: each partition refuses TRUNCATE too
    FOR part IN SELECT linked UNION SELECT t.relid FROM pg_partition_tree(linked) AS t LOOP
        IF EXISTS (SELECT FROM pg_trigger AS t WHERE t.tgrelid = part AND t.tgname = 'hive_tokens_no_truncate') THEN
            EXECUTE format('DROP TRIGGER hive_tokens_no_truncate ON %s', part);
        END IF;
        EXECUTE format('CREATE TRIGGER hive_tokens_no_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT '
                       'EXECUTE FUNCTION hive_tokens.delete_organization_tokens(%L)', part, linked_column);
    END LOOP;
    PERFORM hive_tokens_internal.audit(pg_get_userbyid(caller), 'policy_changed', NULL, NULL,
        jsonb_build_object('policy', 'organizations_table', 'table', linked::text, 'column', linked_column));
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens_internal.link_organizations_body(uuid, regclass, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hive_tokens_internal.link_organizations_body(uuid, regclass, name) TO PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.link_organizations_body(uuid, regclass, name) IS 'internal: the body of link_organizations(), for the caller its ticket names (PUBLIC: without a ticket it refuses)';

CREATE FUNCTION hive_tokens.link_organizations(tbl regclass, id_column name DEFAULT 'id') RETURNS void
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT hive_tokens_internal.link_organizations_body(hive_tokens_internal.caller_ticket(), $1, $2)';
REVOKE ALL ON FUNCTION hive_tokens.link_organizations(regclass, name) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.link_organizations(regclass, name) IS 'links the application''s organizations table: deleting a row deletes (and audits) that organization''s tokens and expiry policy in the same transaction (trigger hive_tokens_delete_tokens; TRUNCATE refused by hive_tokens_no_truncate); superusers and hive_tokens_admin only, for a table the caller owns; audited';

-- Listing.
-- The tokens of an organization the caller (or the transaction's principal) may manage: the
-- rules of list_tokens(), shared by unused_tokens(); called from the SECURITY DEFINER bodies.
CREATE FUNCTION hive_tokens_internal.manageable_tokens(caller oid, organization uuid, scopes hive_tokens.scopes,
    created_by_user uuid, before_created_at timestamptz, before_id uuid, page_size integer)
    RETURNS SETOF hive_tokens.tokens
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    principal text := hive_tokens.current_principal_kind();
    org_tokens boolean := true;
    personal boolean := true;
    me uuid := hive_tokens.current_user_id();
BEGIN
    IF organization IS NULL THEN
        RAISE EXCEPTION 'organization must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF page_size IS NULL OR page_size < 1 OR page_size > 1000 THEN
        RAISE EXCEPTION 'page_size must be between 1 and 1000' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF (before_created_at IS NULL) <> (before_id IS NULL) THEN
        RAISE EXCEPTION 'before_created_at and before_id go together (the last row of the previous page)'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF principal IS NULL THEN
        PERFORM hive_tokens_internal.authorize_organization(caller, 'list tokens', NULL, NULL, false);
    ELSE
        IF organization IS DISTINCT FROM hive_tokens.current_organization_id() THEN
            PERFORM hive_tokens_internal.authorize_organization(caller, 'list tokens', 'accessToken:modify', organization, false);
        END IF;
        org_tokens := hive_tokens.can('accessToken:modify', organization);
        personal := me IS NOT NULL AND hive_tokens.can('personalAccessToken:modify', organization);
        IF NOT org_tokens AND NOT personal AND hive_tokens.allowed_projects('projectAccessToken:modify') = '{}'
           AND hive_tokens.organization_wide('projectAccessToken:modify') IS NULL THEN
            PERFORM hive_tokens_internal.authorize_organization(caller, 'list tokens', 'accessToken:modify', organization, false);
        END IF;
    END IF;
    RETURN QUERY
        SELECT t.* FROM hive_tokens.tokens AS t
         WHERE t.organization_id = organization
           AND (before_id IS NULL OR (t.created_at, t.id) < (before_created_at, before_id))
           AND (manageable_tokens.scopes IS NULL OR t.scopes OPERATOR(hive_tokens.@>) manageable_tokens.scopes)
           AND (manageable_tokens.created_by_user IS NULL OR t.created_by_user = manageable_tokens.created_by_user)
           AND (principal IS NULL
                OR CASE t.kind
                       WHEN 'organization' THEN org_tokens
                       WHEN 'project' THEN hive_tokens.can('projectAccessToken:modify', organization, t.project_id)
                       WHEN 'personal' THEN personal AND t.user_id = me
                       ELSE false
                   END)
         ORDER BY t.created_at DESC, t.id DESC
         LIMIT page_size;
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens_internal.manageable_tokens(oid, uuid, hive_tokens.scopes, uuid, timestamptz, uuid, integer) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.manageable_tokens(oid, uuid, hive_tokens.scopes, uuid, timestamptz, uuid, integer) IS 'internal: a page of an organization''s tokens the caller or the principal may manage (list_tokens() and unused_tokens()); owner-only';

CREATE FUNCTION hive_tokens_internal.list_tokens_body(ticket uuid, organization uuid, scopes hive_tokens.scopes,
    created_by_user uuid, before_created_at timestamptz, before_id uuid, page_size integer)
    RETURNS SETOF hive_tokens.tokens
    LANGUAGE sql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT * FROM hive_tokens_internal.manageable_tokens(hive_tokens_internal.redeem($1, ''hive_tokens.list_tokens(uuid,hive_tokens.scopes,uuid,timestamptz,uuid,integer)''), $2, $3, $4, $5, $6, $7)';
REVOKE ALL ON FUNCTION hive_tokens_internal.list_tokens_body(uuid, uuid, hive_tokens.scopes, uuid, timestamptz, uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hive_tokens_internal.list_tokens_body(uuid, uuid, hive_tokens.scopes, uuid, timestamptz, uuid, integer) TO PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.list_tokens_body(uuid, uuid, hive_tokens.scopes, uuid, timestamptz, uuid, integer) IS 'internal: the body of list_tokens(), for the caller its ticket names (PUBLIC: without a ticket it refuses)';

CREATE FUNCTION hive_tokens.list_tokens(organization uuid, scopes hive_tokens.scopes DEFAULT NULL,
    created_by_user uuid DEFAULT NULL, before_created_at timestamptz DEFAULT NULL, before_id uuid DEFAULT NULL,
    page_size integer DEFAULT 20)
    RETURNS SETOF hive_tokens.tokens
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT * FROM hive_tokens_internal.list_tokens_body(hive_tokens_internal.caller_ticket(), $1, $2, $3, $4, $5, $6)';
REVOKE ALL ON FUNCTION hive_tokens.list_tokens(uuid, hive_tokens.scopes, uuid, timestamptz, uuid, integer) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.list_tokens(uuid, hive_tokens.scopes, uuid, timestamptz, uuid, integer) IS 'an organization''s tokens (never hashes) the principal may manage, newest first, page_size at a time (pass the last row''s created_at and id for the next page), filtered by held permissions and creator; without a principal hive_tokens_admin; EXECUTE must be granted';

------------------------------------------------------------------------------------------
-- Usage tracking (with hive_tokens in shared_preload_libraries): each verification that finds a
-- token live counts, and a background worker writes last_used_at and use_count.
------------------------------------------------------------------------------------------
CREATE FUNCTION hive_tokens.usage_tracking(OUT active boolean, OUT since timestamptz, OUT pending_tokens bigint,
    OUT capacity integer, OUT dropped_uses bigint, OUT flushed_uses bigint, OUT last_flush timestamptz,
    OUT uncounted_at timestamptz)
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
REVOKE ALL ON FUNCTION hive_tokens.usage_tracking() FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.usage_tracking() IS 'the state of usage tracking on this server: whether uses are counted here (false without shared_preload_libraries and on a hot standby), counted since when, tokens with uses not yet written, the capacity (hive_tokens.usage_max_tokens), uses dropped and written since the server started, the last flush, and the latest time a use went uncounted (memory full, track_usage off, a database that could not be written); owner and pg_monitor';

CREATE FUNCTION hive_tokens_internal.unused_cutoff(unused_for interval) RETURNS timestamptz
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL RESTRICTED;
REVOKE ALL ON FUNCTION hive_tokens_internal.unused_cutoff(interval) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.unused_cutoff(interval) IS 'internal: the time before which a token''s last use (or its creation) makes it unused for unused_for; 55000 when uses are not counted on this server, not for that long, or one went uncounted since then; 22004, 22023 for the interval; owner-only';

CREATE FUNCTION hive_tokens_internal.usage_pending(token_id uuid) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
REVOKE ALL ON FUNCTION hive_tokens_internal.usage_pending(uuid) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.usage_pending(uuid) IS 'internal: whether shared memory holds uses of this database''s token that no flush has committed yet; owner-only';

-- The rows of unused_tokens(): list_tokens()' rules, then each candidate checked again with a
-- snapshot taken after asking shared memory, so that a flush committed since the page was read
-- is seen (it leaves shared memory only after its commit). READ COMMITTED only: a transaction
-- snapshot would not see such a flush.
CREATE FUNCTION hive_tokens_internal.unused_token_rows(caller oid, organization uuid, unused_for interval)
    RETURNS SETOF hive_tokens.tokens
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cutoff timestamptz;
    fresh timestamptz;
    t hive_tokens.tokens;
    before_at timestamptz;
    before_id uuid;
    n integer;
BEGIN
    -- may the caller manage this organization's tokens at all (42501), before anything else
    PERFORM FROM hive_tokens_internal.manageable_tokens(caller, organization, NULL, NULL, NULL, NULL, 1);
    cutoff := hive_tokens_internal.unused_cutoff(unused_for);
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'unused tokens are listed only in READ COMMITTED transactions'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A transaction snapshot would not see uses written after it was taken.';
    END IF;
    LOOP
        n := 0;
        FOR t IN SELECT * FROM hive_tokens_internal.manageable_tokens(caller, organization, NULL, NULL, before_at, before_id, 1000) LOOP
            n := n + 1;
            before_at := t.created_at;
            before_id := t.id;
            IF greatest(t.created_at, t.last_used_at) < cutoff AND NOT hive_tokens_internal.usage_pending(t.id) THEN
                SELECT a.last_used_at INTO fresh FROM hive_tokens.access_tokens AS a WHERE a.id = t.id;
                IF FOUND AND greatest(t.created_at, fresh) < cutoff THEN
                    t.last_used_at := fresh;
                    RETURN NEXT t;
                END IF;
            END IF;
        END LOOP;
        EXIT WHEN n < 1000;
    END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens_internal.unused_token_rows(oid, uuid, interval) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.unused_token_rows(oid, uuid, interval) IS 'internal: the tokens of an organization the caller may manage that no verification found live for unused_for, each checked again after asking shared memory (READ COMMITTED only, 55000); owner-only';

CREATE FUNCTION hive_tokens_internal.unused_tokens_body(ticket uuid, organization uuid, unused_for interval)
    RETURNS SETOF hive_tokens.tokens
    LANGUAGE sql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT * FROM hive_tokens_internal.unused_token_rows(hive_tokens_internal.redeem($1, ''hive_tokens.unused_tokens(uuid,interval)''), $2, $3)';
REVOKE ALL ON FUNCTION hive_tokens_internal.unused_tokens_body(uuid, uuid, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hive_tokens_internal.unused_tokens_body(uuid, uuid, interval) TO PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.unused_tokens_body(uuid, uuid, interval) IS 'internal: the body of unused_tokens(), for the caller its ticket names (PUBLIC: without a ticket it refuses)';

CREATE FUNCTION hive_tokens.unused_tokens(organization uuid, unused_for interval) RETURNS SETOF hive_tokens.tokens
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT * FROM hive_tokens_internal.unused_tokens_body(hive_tokens_internal.caller_ticket(), $1, $2)';
REVOKE ALL ON FUNCTION hive_tokens.unused_tokens(uuid, interval) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.unused_tokens(uuid, interval) IS 'an organization''s tokens the principal may manage (list_tokens()'' rules) that no verification found live for unused_for (never used: created that long ago), newest first; 55000 unless every use on this server has been counted that long (shared_preload_libraries), or outside READ COMMITTED; EXECUTE must be granted';

CREATE FUNCTION hive_tokens_internal.revoke_unused_tokens_body(ticket uuid, organization uuid, unused_for interval)
    RETURNS SETOF uuid
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller oid := hive_tokens_internal.redeem(ticket, 'hive_tokens.revoke_unused_tokens(uuid,interval)');
    cutoff timestamptz;
    t record;
BEGIN
    FOR t IN SELECT u.id FROM hive_tokens_internal.unused_token_rows(caller, organization, unused_for) AS u LOOP
        cutoff := coalesce(cutoff, hive_tokens_internal.unused_cutoff(unused_for));
        -- checked once more under the row lock: a token used since it was listed stays
        IF hive_tokens_internal.revoke_token(caller, t.id, cutoff) THEN
            RETURN NEXT t.id;
        END IF;
    END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens_internal.revoke_unused_tokens_body(uuid, uuid, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hive_tokens_internal.revoke_unused_tokens_body(uuid, uuid, interval) TO PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.revoke_unused_tokens_body(uuid, uuid, interval) IS 'internal: the body of revoke_unused_tokens(), for the caller its ticket names (PUBLIC: without a ticket it refuses)';

CREATE FUNCTION hive_tokens.revoke_unused_tokens(organization uuid, unused_for interval) RETURNS SETOF uuid
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'SELECT * FROM hive_tokens_internal.revoke_unused_tokens_body(hive_tokens_internal.caller_ticket(), $1, $2)';
REVOKE ALL ON FUNCTION hive_tokens.revoke_unused_tokens(uuid, interval) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.revoke_unused_tokens(uuid, interval) IS 'revokes the tokens unused_tokens() lists, each only if still unused under its row lock (rights, tombstone and audit event as revoke()), returning their ids; EXECUTE must be granted';

CREATE FUNCTION hive_tokens_internal.tokens_changed() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION hive_tokens_internal.tokens_changed() FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.tokens_changed() IS 'internal trigger (statement AFTER and row BEFORE): every backend empties its verified-token cache once a change to the tokens commits';
CREATE TRIGGER access_tokens_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON hive_tokens.access_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION hive_tokens_internal.tokens_changed();
ALTER TABLE hive_tokens.access_tokens ENABLE ALWAYS TRIGGER access_tokens_changed;
COMMENT ON TRIGGER access_tokens_changed ON hive_tokens.access_tokens IS 'sends the invalidation that empties every backend''s verified-token cache after each statement (TRUNCATE included; fires ALWAYS; without it and access_tokens_row_changed, or with either disabled, no backend caches)';
CREATE TRIGGER access_tokens_row_changed BEFORE INSERT OR UPDATE OR DELETE ON hive_tokens.access_tokens
    FOR EACH ROW EXECUTE FUNCTION hive_tokens_internal.tokens_changed();
ALTER TABLE hive_tokens.access_tokens ENABLE ALWAYS TRIGGER access_tokens_row_changed;
COMMENT ON TRIGGER access_tokens_row_changed ON hive_tokens.access_tokens IS 'sends the same invalidation for each row, at once: logical replication''s apply fires row triggers only, and a statement that aborts after changing a row still empties this backend''s cache';
CREATE TRIGGER access_tokens_immutable BEFORE UPDATE ON hive_tokens.access_tokens
    FOR EACH ROW EXECUTE FUNCTION hive_tokens_internal.immutable_token();
COMMENT ON TRIGGER access_tokens_immutable ON hive_tokens.access_tokens IS 'refuses changing a token''s grants, owner, hash, key or history; an expiry may only move earlier';

------------------------------------------------------------------------------------------
-- Migrating from Hive: importing its tokens (docs/migrating-from-hive.md). Imported tokens keep
-- Hive's bcrypt (legacy_hash) until their first use, when the usage worker replaces it with the
-- keyed hash.
------------------------------------------------------------------------------------------
CREATE FUNCTION hive_tokens_internal.hive_token_rows(source regclass, OUT ordinal bigint, OUT total bigint, OUT r jsonb)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION hive_tokens_internal.hive_token_rows(regclass) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.hive_token_rows(regclass) IS 'internal to import_hive_tokens(): the source''s rows as jsonb objects of Hive''s columns, in created_at, id order, read as the source''s owner in a security-restricted operation (its code never runs with the importer''s rights); the caller needs SELECT on it; owner-only';

-- One row of Hive's organization_access_tokens (as jsonb, whatever the source's column types):
-- 'imported', 'already_present', or the reason it was skipped. Raises only what the caller
-- reports as a skipped row (a value of the wrong type, a rule of issue()).
CREATE FUNCTION hive_tokens_internal.import_hive_row(r jsonb, source text, OUT outcome text, OUT detail text,
    OUT unknown text[], OUT retired text[])
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    token_id uuid;
    org uuid;
    project uuid;
    member uuid;
    kind text;
    letter text;
    perms text[];
    scopes hive_tokens.scopes;
    shown text;
    expires timestamptz;
    created timestamptz;
    g record;
BEGIN
    BEGIN
        token_id := (r->>'id')::uuid;
        org := (r->>'organization_id')::uuid;
        project := (r->>'project_id')::uuid;
        member := (r->>'user_id')::uuid;
        expires := (r->>'expires_at')::timestamptz;
        created := coalesce((r->>'created_at')::timestamptz, now());
        IF NOT isfinite(created) OR created > now() OR (expires IS NOT NULL AND NOT isfinite(expires)) THEN
            -- an organization's expiry policy counts from created_at: it must be a real past time
            outcome := 'invalid_value';
            detail := 'created_at is in the future or not finite, or expires_at is not finite';
            RETURN;
        END IF;
    EXCEPTION WHEN data_exception THEN
        outcome := 'invalid_value';
        detail := 'a uuid or timestamp column holds something else';
        RETURN;
    END;
    IF token_id IS NULL THEN
        outcome := 'invalid_value'; detail := 'id is NULL'; RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM hive_tokens.access_tokens AS a WHERE a.id = token_id) THEN
        outcome := 'already_present'; RETURN;
    END IF;
    -- a token revoked here stays revoked, whatever Hive's table still holds
    IF EXISTS (SELECT 1 FROM hive_tokens.revoked_tokens AS v WHERE v.id = token_id) THEN
        outcome := 'revoked'; detail := 'revoked here since an earlier import'; RETURN;
    END IF;
    IF org IS NULL THEN
        outcome := 'invalid_value'; detail := 'organization_id is NULL'; RETURN;
    END IF;
    -- an organization deleted here (a linked table's row deleted: its tokens went) stays without
    -- tokens; import_hive_tokens() holds off deletions until it commits
    IF EXISTS (SELECT 1 FROM hive_tokens.audit_log AS l WHERE l.organization_id = org AND l.event = 'organization_deleted') THEN
        outcome := 'organization_deleted'; detail := 'the organization was deleted here'; RETURN;
    END IF;
    IF jsonb_typeof(r->'hash') IS DISTINCT FROM 'string'
       OR NOT (r->>'hash') ~ '^\$2[aby]\$(0[4-9]|1[0-2])\$[./A-Za-z0-9]{53}$' THEN
        outcome := 'invalid_hash';
        detail := 'hash is not a bcrypt hash ($2a$, $2b$ or $2y$, cost 04 to 12)';
        RETURN;
    END IF;
    IF project IS NOT NULL AND member IS NOT NULL THEN
        outcome := 'invalid_kind'; detail := 'both project_id and user_id are set'; RETURN;
    END IF;
    kind := CASE WHEN project IS NOT NULL THEN 'project' WHEN member IS NOT NULL THEN 'personal' ELSE 'organization' END;
    letter := CASE kind WHEN 'project' THEN 'p' WHEN 'personal' THEN 'u' ELSE 'o' END;
    -- Hive shows a token's first 10 characters: "hv<c>1/" and the start of base64("<id>:"),
    -- which the id alone determines. Any other value belongs to another token or another kind.
    shown := 'hv' || letter || '1/' || left(encode(convert_to(token_id::text || ':', 'UTF8'), 'base64'), 5);
    IF r->>'first_characters' IS NOT NULL AND r->>'first_characters' <> shown THEN
        outcome := 'first_characters_mismatch';
        detail := format('first_characters is not %s, how this id''s token of kind %s starts', shown, kind);
        RETURN;
    END IF;
    IF jsonb_typeof(r->'permissions') = 'array' THEN
        IF EXISTS (SELECT 1 FROM jsonb_array_elements(r->'permissions') AS e WHERE jsonb_typeof(e) <> 'string') THEN
            outcome := 'invalid_value'; detail := 'permissions holds something other than names'; RETURN;
        END IF;
        perms := ARRAY(SELECT DISTINCT e FROM jsonb_array_elements_text(r->'permissions') AS e ORDER BY e);
        unknown := ARRAY(SELECT p FROM unnest(perms) AS p
                          WHERE NOT EXISTS (SELECT 1 FROM hive_tokens.permissions AS c WHERE c.name = p) ORDER BY p);
        retired := ARRAY(SELECT p FROM unnest(perms) AS p
                          WHERE EXISTS (SELECT 1 FROM hive_tokens.permissions AS c WHERE c.name = p AND c.retired) ORDER BY p);
        IF cardinality(unknown) > 0 THEN
            outcome := 'unknown_permission';
            detail := format('unknown permissions %s%s (register them with hive_tokens.register_permission() and import again)',
                             array_to_string(ARRAY(SELECT hive_tokens_internal.shown(u) FROM unnest(unknown[1:10]) AS u), ', '),
                             CASE WHEN cardinality(unknown) > 10 THEN format(' and %s more', cardinality(unknown) - 10) ELSE '' END);
            RETURN;
        END IF;
        -- Hive no longer grants a retired permission: the token is imported without it (reported)
        scopes := hive_tokens.scopes(ARRAY(SELECT p FROM unnest(perms) AS p WHERE p <> ALL (retired)));
    ELSIF r->'permissions' IS NULL OR jsonb_typeof(r->'permissions') = 'null' THEN
        IF kind <> 'personal' THEN
            outcome := 'invalid_value'; detail := 'permissions is NULL on a token that is not personal'; RETURN;
        END IF;
        -- Hive: a personal token without permissions has whatever its member's role has (its grants
        -- are intersected with the member's at every use): every assignable permission whose
        -- dependencies are assignable too
        perms := ARRAY(SELECT c.name FROM hive_tokens.permissions AS c WHERE c.assignable AND NOT c.retired);
        LOOP
            unknown := ARRAY(SELECT c.name FROM hive_tokens.permissions AS c WHERE c.name = ANY (perms) AND c.depends_on <@ perms);
            EXIT WHEN cardinality(unknown) = cardinality(perms);
            perms := unknown;
        END LOOP;
        unknown := NULL;
        scopes := hive_tokens.scopes(perms);
    ELSE
        outcome := 'invalid_value'; detail := 'permissions is not an array'; RETURN;
    END IF;
    IF expires IS NOT NULL AND expires <= now() THEN
        outcome := 'expired'; detail := 'it expired in Hive'; RETURN;
    END IF;
    IF r->'assigned_resources' IS NOT NULL AND jsonb_typeof(r->'assigned_resources') <> 'null'
       AND jsonb_typeof(r->'assigned_resources') <> 'object' THEN
        outcome := 'invalid_value'; detail := 'assigned_resources is not an object'; RETURN;
    END IF;
    -- every rule issue() applies (22023 and 22004 are reported as invalid_grant by the caller)
    g := hive_tokens_internal.validate_grant(org, r->>'title',
        scopes, coalesce(nullif(r->'assigned_resources', 'null'::jsonb), '{"mode": "*"}'),
        r->>'description', expires, kind, project, member);
    INSERT INTO hive_tokens.access_tokens AS a
        (id, organization_id, kind, project_id, user_id, title, description, scopes, resources,
         hash, key_id, legacy_hash, first_characters, created_at, expires_at)
    VALUES (token_id, org, kind, project, member, g.stored_title, g.stored_description, scopes, g.stored_resources,
            NULL, NULL, r->>'hash', shown, created, expires)
    ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
        outcome := 'already_present'; RETURN;
    END IF;
    -- revoked meanwhile (between the check above and the insert; READ COMMITTED: this statement
    -- sees every revoke committed before the insert): it stays revoked
    IF EXISTS (SELECT 1 FROM hive_tokens.revoked_tokens AS v WHERE v.id = token_id) THEN
        DELETE FROM hive_tokens.access_tokens AS a WHERE a.id = token_id;
        outcome := 'revoked'; detail := 'revoked here since an earlier import'; unknown := NULL; retired := NULL;
        RETURN;
    END IF;
    PERFORM hive_tokens_internal.audit(current_user, 'imported', org, token_id,
        jsonb_build_object('kind', kind, 'title', g.stored_title, 'permissions', to_jsonb(hive_tokens.permission_names(scopes)),
                           'resources', g.stored_resources, 'project', project, 'user', member, 'expires_at', expires,
                           'source', source)
        || CASE WHEN cardinality(retired) > 0 THEN jsonb_build_object('retired_permissions_dropped', to_jsonb(retired))
                ELSE '{}'::jsonb END);
    outcome := 'imported';
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens_internal.import_hive_row(jsonb, text) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens_internal.import_hive_row(jsonb, text) IS 'internal to import_hive_tokens(): imports one row of Hive''s organization_access_tokens, or says why not; owner-only';

CREATE FUNCTION hive_tokens.import_hive_tokens(source regclass, progress_every integer DEFAULT 1000,
    OUT imported bigint, OUT already_present bigint, OUT skipped bigint, OUT skipped_by_reason jsonb,
    OUT unknown_permissions text[], OUT retired_permissions text[])
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    -- a timestamp without time zone is UTC, a date in text ISO's year-month-day, whatever the session
    SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC' SET DateStyle = 'ISO, YMD' 
AS $$
DECLARE
    needed constant text[] := ARRAY['id', 'organization_id', 'created_at', 'title', 'description', 'permissions',
                                    'assigned_resources', 'hash', 'first_characters', 'project_id', 'user_id', 'expires_at'];
    missing text[];
    total bigint := 0;
    n bigint := 0;
    r jsonb;
    source_row record;
    outcome text;
    detail text;
    unknown text[];
    retired text[];
    reasons jsonb := '{}';
    unknown_all text[] := '{}';
    retired_all text[] := '{}';
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'source must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF progress_every IS NULL OR progress_every < 1 THEN
        RAISE EXCEPTION 'progress_every must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- a token revoked while the import runs must stay revoked: each row checks for its tombstone
    -- again after inserting, which sees a concurrent revoke only with a fresh snapshot
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'import_hive_tokens() runs at READ COMMITTED' USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('This transaction is %s: a token revoked during the import could be brought back.',
                            upper(current_setting('transaction_isolation')));
    END IF;
    IF hive_tokens.current_principal_kind() IS NOT NULL THEN
        RAISE EXCEPTION 'import_hive_tokens() runs without a principal' USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'Importing bypasses the rules of token management: it is a DBA''s step, not an application''s.';
    END IF;
    -- no organization is deleted while the import runs (a deletion would not see the tokens it
    -- inserts before they commit): deletions wait, and the import waits for those in progress
    LOCK TABLE hive_tokens.expiry_policies IN SHARE MODE;
    missing := ARRAY(SELECT c FROM unnest(needed) AS c
                      WHERE NOT EXISTS (SELECT 1 FROM pg_attribute AS a
                                         WHERE a.attrelid = source AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped));
    IF cardinality(missing) > 0 THEN
        RAISE EXCEPTION '% does not have the columns of Hive''s organization_access_tokens', source
            USING ERRCODE = 'undefined_column', DETAIL = format('Missing: %s.', array_to_string(missing, ', '));
    END IF;
    imported := 0;
    already_present := 0;
    skipped := 0;
    -- read as the source's owner (its views, policies and types run with the owner's rights)
    FOR source_row IN SELECT h.ordinal, h.total, h.r FROM hive_tokens_internal.hive_token_rows(source) AS h ORDER BY h.ordinal LOOP
        n := source_row.ordinal;
        total := source_row.total;
        r := source_row.r;
        BEGIN
            SELECT x.outcome, x.detail, x.unknown, x.retired INTO outcome, detail, unknown, retired
              FROM hive_tokens_internal.import_hive_row(r, source::text) AS x;
        EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN
            -- a rule of issue() (22023, 22004) or of the table (23xxx): the row is skipped
            outcome := CASE WHEN SQLSTATE LIKE '23%' THEN 'invalid_row' ELSE 'invalid_grant' END;
            detail := SQLERRM;
            unknown := NULL;
            retired := NULL;
        END;
        IF outcome = 'imported' THEN
            imported := imported + 1;
            retired_all := retired_all || coalesce(retired, '{}');
        ELSIF outcome = 'already_present' THEN
            already_present := already_present + 1;
        ELSE
            skipped := skipped + 1;
            reasons := jsonb_set(reasons, ARRAY[outcome], to_jsonb(coalesce((reasons->>outcome)::bigint, 0) + 1));
            RAISE NOTICE 'import_hive_tokens: row % (id %) skipped: %', n, coalesce(hive_tokens_internal.shown(r->>'id'), 'NULL'), outcome
                USING DETAIL = coalesce(detail, '');
        END IF;
        unknown_all := unknown_all || coalesce(unknown, '{}');
        IF n % progress_every = 0 THEN
            RAISE NOTICE 'import_hive_tokens: % of % rows read (% imported, % already present, % skipped)',
                n, total, imported, already_present, skipped;
        END IF;
    END LOOP;
    skipped_by_reason := reasons;
    unknown_permissions := ARRAY(SELECT DISTINCT p FROM unnest(unknown_all) AS p ORDER BY p);
    retired_permissions := ARRAY(SELECT DISTINCT p FROM unnest(retired_all) AS p ORDER BY p);
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens.import_hive_tokens(regclass, integer) FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens.import_hive_tokens(regclass, integer) IS 'imports the rows of a table or view shaped like Hive''s organization_access_tokens with their ids, kinds, grants and expiry, so the hvo1/, hvp1/ and hvu1/ tokens already handed out keep working; skips (and reports) invalid rows, rows with unknown permissions, expired and revoked ones; drops and reports retired permissions; idempotent; audited; owner-only';

------------------------------------------------------------------------------------------
-- The objects this update creates keep only the grants it makes (default privileges of the
-- updating role are taken back from them, as a fresh install does). verify() was given its
-- previous grants above; objects 0.1 created are left as they are.
------------------------------------------------------------------------------------------
DO $$
DECLARE
    o record;
    a record;
BEGIN
    FOR o IN
        SELECT pg_catalog.format('FUNCTION %s', p.oid::regprocedure) AS obj, p.proacl AS acl, p.proowner AS owner
          FROM pg_catalog.pg_proc AS p
         WHERE p.oid IN ('hive_tokens_internal.permissions_restore()'::regprocedure, 'hive_tokens_internal.stored_scopes_in(cstring)'::regprocedure,
                         'hive_tokens_internal.stored_scopes_out(hive_tokens.stored_scopes)'::regprocedure,
                         'hive_tokens_internal.stored_scopes_recv(internal)'::regprocedure,
                         'hive_tokens_internal.stored_scopes_send(hive_tokens.stored_scopes)'::regprocedure,
                         'hive_tokens_internal.held_bits()'::regprocedure,
                         'hive_tokens_internal.stored_scopes_columns()'::regprocedure,
                         'hive_tokens_internal.project_token_resources(jsonb, uuid)'::regprocedure,
                         'hive_tokens_internal.grant_row_ok(text, text, text, uuid, uuid, hive_tokens.scopes)'::regprocedure,
                         'hive_tokens_internal.normalize_token_row()'::regprocedure,
                         'hive_tokens_internal.authorize_management(oid, text, text, uuid, uuid, uuid, hive_tokens.scopes, jsonb)'::regprocedure,
                         'hive_tokens.current_user_id()'::regprocedure,
                         'hive_tokens.authorize(text, text, uuid, uuid, uuid, text, text)'::regprocedure,
                         'hive_tokens.verify_cache()'::regprocedure,
                         'hive_tokens.act_as_member(uuid, hive_tokens.scopes, jsonb, uuid)'::regprocedure,
                         'hive_tokens_internal.validate_grant(uuid, text, hive_tokens.scopes, jsonb, text, timestamptz, text, uuid, uuid)'::regprocedure,
                         'hive_tokens_internal.inheritors(regclass)'::regprocedure, 'hive_tokens_internal.protect_inheritors()'::regprocedure,
                         'hive_tokens_internal.shown(text)'::regprocedure, 'hive_tokens_internal.protected_ancestor(regclass)'::regprocedure,
                         'hive_tokens_internal.copy_policies(regclass, regclass, boolean)'::regprocedure,
                         'hive_tokens_internal.check_member(regclass, regclass)'::regprocedure,
                         'hive_tokens_internal.added_inheritors(pg_ddl_command)'::regprocedure,
                         'hive_tokens_internal.protect_added(regclass[])'::regprocedure,
                         'hive_tokens_internal.outer_role()'::regprocedure,
                         'hive_tokens_internal.audit_log_guard()'::regprocedure,
                         'hive_tokens_internal.audit(name, text, uuid, uuid, jsonb)'::regprocedure,
                         'hive_tokens_internal.authorize_organization(oid, text, text, uuid, boolean)'::regprocedure,
                         'hive_tokens_internal.caller_ticket()'::regprocedure,
                         'hive_tokens_internal.redeem(uuid, regprocedure)'::regprocedure,
                         'hive_tokens_internal.issue_body(uuid, uuid, text, hive_tokens.scopes, jsonb, text, timestamptz, text, uuid, uuid)'::regprocedure,
                         'hive_tokens_internal.revoke_body(uuid, uuid)'::regprocedure,
                         'hive_tokens_internal.audit_events_body(uuid, uuid, bigint, integer)'::regprocedure,
                         'hive_tokens_internal.set_expiry_policy_body(uuid, uuid, interval, boolean)'::regprocedure,
                         'hive_tokens_internal.set_member_function_body(uuid, regprocedure)'::regprocedure,
                         'hive_tokens_internal.list_tokens_body(uuid, uuid, hive_tokens.scopes, uuid, timestamptz, uuid, integer)'::regprocedure,
                         'hive_tokens_internal.link_organizations_body(uuid, regclass, name)'::regprocedure,
                         'hive_tokens.link_organizations(regclass, name)'::regprocedure,
                         'hive_tokens_internal.end_expired(uuid)'::regprocedure,
                         'hive_tokens.audit_events(uuid, bigint, integer)'::regprocedure,
                         'hive_tokens.purge_audit_log(interval)'::regprocedure,
                         'hive_tokens_internal.expiry_policies_changed()'::regprocedure,
                         'hive_tokens_internal.lock_organization(uuid)'::regprocedure,
                         'hive_tokens_internal.check_expiry(uuid, timestamptz, boolean)'::regprocedure,
                         'hive_tokens_internal.effective_expiry(uuid, timestamptz, timestamptz)'::regprocedure,
                         'hive_tokens.expiry(text)'::regprocedure,
                         'hive_tokens.set_expiry_policy(uuid, interval, boolean)'::regprocedure,
                         'hive_tokens_internal.immutable_token()'::regprocedure,
                         'hive_tokens_internal.tokens_changed()'::regprocedure,
                         'hive_tokens.set_member_function(regprocedure)'::regprocedure,
                         'hive_tokens_internal.rotate_body(uuid, uuid, interval)'::regprocedure,
                         'hive_tokens.rotate(uuid, interval)'::regprocedure,
                         'hive_tokens.delete_organization_tokens()'::regprocedure,
                         'hive_tokens.list_tokens(uuid, hive_tokens.scopes, uuid, timestamptz, uuid, integer)'::regprocedure,
                         'hive_tokens_internal.manageable_tokens(oid, uuid, hive_tokens.scopes, uuid, timestamptz, uuid, integer)'::regprocedure,
                         'hive_tokens.usage_tracking()'::regprocedure,
                         'hive_tokens_internal.unused_cutoff(interval)'::regprocedure,
                         'hive_tokens_internal.usage_pending(uuid)'::regprocedure,
                         'hive_tokens_internal.unused_tokens_body(uuid, uuid, interval)'::regprocedure,
                         'hive_tokens.unused_tokens(uuid, interval)'::regprocedure,
                         'hive_tokens.revoke_unused_tokens(uuid, interval)'::regprocedure,
                         'hive_tokens_internal.revoke_token(oid, uuid, timestamptz)'::regprocedure,
                         'hive_tokens_internal.unused_token_rows(oid, uuid, interval)'::regprocedure,
                         'hive_tokens_internal.revoke_unused_tokens_body(uuid, uuid, interval)'::regprocedure,
                         'hive_tokens_internal.import_hive_row(jsonb, text)'::regprocedure,
                         'hive_tokens_internal.hive_token_rows(regclass)'::regprocedure,
                         'hive_tokens_internal.organization_has_tokens(uuid)'::regprocedure,
                         'hive_tokens.import_hive_tokens(regclass, integer)'::regprocedure,
                         'hive_tokens_internal.policy_expression(text, name, name, name, name, boolean)'::regprocedure,
                         'hive_tokens.try_authenticate(text)'::regprocedure,
                         'hive_tokens_internal.write_refused(text, text, uuid)'::regprocedure)
        UNION ALL
        SELECT pg_catalog.format('%s %s', CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.oid::regclass), c.relacl, c.relowner
          FROM pg_catalog.pg_class AS c
         WHERE c.oid IN ('hive_tokens.audit_log'::regclass, 'hive_tokens.audit_log_id_seq'::regclass,
                         'hive_tokens.expiry_policies'::regclass, 'hive_tokens.member_function'::regclass,
                         'hive_tokens.organization_tables'::regclass)
        UNION ALL
        SELECT pg_catalog.format('TYPE %s', t.oid::regtype), t.typacl, t.typowner
          FROM pg_catalog.pg_type AS t WHERE t.oid = 'hive_tokens.stored_scopes'::regtype
        UNION ALL
        SELECT 'SCHEMA hive_tokens_internal', n.nspacl, n.nspowner
          FROM pg_catalog.pg_namespace AS n WHERE n.nspname = 'hive_tokens_internal'
    LOOP
        FOR a IN SELECT DISTINCT x.grantee FROM pg_catalog.aclexplode(o.acl) AS x WHERE x.grantee NOT IN (0, o.owner) LOOP
            EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM %I', o.obj, pg_catalog.pg_get_userbyid(a.grantee));
        END LOOP;
    END LOOP;
END $$;

-- The schema this update creates lets PUBLIC use it, nothing more (a default privilege of the
-- updating role for PUBLIC is taken back).
REVOKE CREATE ON SCHEMA hive_tokens_internal FROM PUBLIC;
REVOKE ALL ON hive_tokens.audit_log, hive_tokens.expiry_policies, hive_tokens.member_function,
    hive_tokens.organization_tables FROM PUBLIC;
REVOKE ALL ON SEQUENCE hive_tokens.audit_log_id_seq FROM PUBLIC;
GRANT SELECT ON hive_tokens.member_function TO PUBLIC;
-- monitoring roles read the state of usage tracking (numbers only)
GRANT EXECUTE ON FUNCTION hive_tokens.usage_tracking() TO pg_monitor;

-- Every column of every table and view has a comment (0.2).
COMMENT ON COLUMN hive_tokens.permissions.bit_number IS 'the permission''s bit in a scopes value; given once, never reused';
COMMENT ON COLUMN hive_tokens.permissions.name IS 'the permission name, <resource>:<action> (Hive''s, or registered with register_permission())';
COMMENT ON COLUMN hive_tokens.permissions.level IS 'the resource level the action is checked on: organization, project, target, service or appDeployment';
COMMENT ON COLUMN hive_tokens.permissions.group IS 'the group Hive''s UI lists the permission under';
COMMENT ON COLUMN hive_tokens.permissions.label IS 'a human-readable title';
COMMENT ON COLUMN hive_tokens.permissions.assignable IS 'whether issue() may grant it (Hive''s non-assignable permissions are only implied)';
COMMENT ON COLUMN hive_tokens.permissions.retired IS 'retired with retire_permission(): issue() refuses it, stored grants keep it, checks ignore it';
COMMENT ON COLUMN hive_tokens.permissions.depends_on IS 'permissions a grant of this one must also hold (issue() refuses a grant without them)';
COMMENT ON COLUMN hive_tokens.permissions.builtin IS 'true for Hive''s permissions built into the library, false for registered ones';
COMMENT ON COLUMN hive_tokens.permissions.created_at IS 'when the permission was added to this database';
COMMENT ON COLUMN hive_tokens.access_tokens.id IS 'the token''s id, embedded in the token itself';
COMMENT ON COLUMN hive_tokens.access_tokens.organization_id IS 'the organization the token belongs to; it never acts outside it';
COMMENT ON COLUMN hive_tokens.access_tokens.kind IS 'organization, project or personal';
COMMENT ON COLUMN hive_tokens.access_tokens.project_id IS 'a project token''s project (NULL for other kinds)';
COMMENT ON COLUMN hive_tokens.access_tokens.user_id IS 'a personal token''s user (NULL for other kinds)';
COMMENT ON COLUMN hive_tokens.access_tokens.title IS 'Hive''s title: 2 to 100 letters, digits, spaces, "_" and "-"';
COMMENT ON COLUMN hive_tokens.access_tokens.description IS 'an optional description, at most 248 characters';
COMMENT ON COLUMN hive_tokens.access_tokens.resources IS 'the resource assignment (Hive''s form) the scopes apply to';
COMMENT ON COLUMN hive_tokens.access_tokens.created_at IS 'when the token was issued (an organization''s maximum lifetime counts from here)';
COMMENT ON COLUMN hive_tokens.access_tokens.created_by IS 'the database role that issued it';
COMMENT ON COLUMN hive_tokens.access_tokens.expires_at IS 'when it stops working (NULL: never, unless the organization''s expiry policy says otherwise)';
COMMENT ON COLUMN hive_tokens.revoked_tokens.id IS 'the revoked token''s id';
COMMENT ON COLUMN hive_tokens.revoked_tokens.organization_id IS 'its organization';
COMMENT ON COLUMN hive_tokens.revoked_tokens.hash IS 'its keyed hash: only the holder of the real token learns that it was revoked (verify_reason()); anyone else gets unknown';
COMMENT ON COLUMN hive_tokens.revoked_tokens.key_id IS 'the keyring entry of hash';
COMMENT ON COLUMN hive_tokens.revoked_tokens.revoked_at IS 'when it was revoked';
COMMENT ON COLUMN hive_tokens.revoked_tokens.revoked_by IS 'the database role that revoked it';
COMMENT ON COLUMN hive_tokens.tokens.id IS 'the token''s id, embedded in the token itself';
COMMENT ON COLUMN hive_tokens.tokens.organization_id IS 'the organization the token belongs to';
COMMENT ON COLUMN hive_tokens.tokens.kind IS 'organization, project or personal';
COMMENT ON COLUMN hive_tokens.tokens.project_id IS 'a project token''s project';
COMMENT ON COLUMN hive_tokens.tokens.user_id IS 'a personal token''s user';
COMMENT ON COLUMN hive_tokens.tokens.title IS 'the token''s title';
COMMENT ON COLUMN hive_tokens.tokens.description IS 'the token''s description';
COMMENT ON COLUMN hive_tokens.tokens.scopes IS 'the permissions granted (type scopes)';
COMMENT ON COLUMN hive_tokens.tokens.resources IS 'the resource assignment the scopes apply to';
COMMENT ON COLUMN hive_tokens.tokens.first_characters IS 'prefix and first four body characters, for display; never part of the secret';
COMMENT ON COLUMN hive_tokens.tokens.created_at IS 'when the token was issued';
COMMENT ON COLUMN hive_tokens.tokens.created_by IS 'the database role that issued it';
COMMENT ON COLUMN hive_tokens.tokens.expires_at IS 'when it stops working (NULL: never, unless the organization''s expiry policy says otherwise)';
COMMENT ON COLUMN hive_tokens.tokens.last_used_at IS 'when a verification last found it live, as the usage worker last wrote it';
COMMENT ON COLUMN hive_tokens.tokens.rotated_to IS 'the token that replaced it (rotate())';
COMMENT ON COLUMN hive_tokens.tokens.created_by_token IS 'the token that was the principal when this one was issued';
COMMENT ON COLUMN hive_tokens.tokens.created_by_user IS 'the principal''s user when this one was issued';
COMMENT ON COLUMN hive_tokens.tokens.use_count IS 'how many verifications found it live, as the usage worker last wrote it';

-- The application role's grants (hive_tokens_app): each function decides by the principal.
GRANT EXECUTE ON FUNCTION
    hive_tokens.issue(uuid, text, hive_tokens.scopes, jsonb, text, timestamptz, text, uuid, uuid),
    hive_tokens.rotate(uuid, interval),
    hive_tokens.revoke(uuid),
    hive_tokens.list_tokens(uuid, hive_tokens.scopes, uuid, timestamptz, uuid, integer),
    hive_tokens.unused_tokens(uuid, interval),
    hive_tokens.revoke_unused_tokens(uuid, interval),
    hive_tokens.set_expiry_policy(uuid, interval, boolean),
    hive_tokens.audit_events(uuid, bigint, integer)
  TO hive_tokens_app;
