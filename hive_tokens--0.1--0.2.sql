-- hive_tokens 0.1 -> 0.2. The result equals a fresh install of 0.2 (test/t/005_upgrade.pl).
--  * access_tokens stores a token's permissions as their bit set (column scope_bits), so a dump
--    restores in any order; the view tokens and verify() are recreated on it, keeping their grants.
--  * verify() returns a set: one row for a live token, none otherwise.
--  * Retired built-in permissions are dumped (and merged on restore).
--  * protect()/unprotect() cover every table that inherits from the protected one (partitions),
--    an event trigger protects later ones; unprotect(NULL) is an error.
--  * Comments describing the transaction principal's rules.
\echo Use "ALTER EXTENSION hive_tokens UPDATE TO '0.2'" to load this file. \quit

------------------------------------------------------------------------------------------
-- Permissions: retired built-ins travel with a dump.
------------------------------------------------------------------------------------------
SELECT pg_catalog.pg_extension_config_dump('hive_tokens.permissions', 'WHERE NOT builtin OR retired');

CREATE FUNCTION hive_tokens._permissions_restore() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.builtin AND EXISTS (SELECT FROM hive_tokens.permissions AS p
                                WHERE p.bit_number = NEW.bit_number AND p.name = NEW.name AND p.builtin) THEN
        IF NEW.retired THEN
            UPDATE hive_tokens.permissions AS p SET retired = true
             WHERE p.bit_number = NEW.bit_number AND NOT p.retired;
        END IF;
        RETURN NULL;
    END IF;
    RETURN NEW;
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens._permissions_restore() FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens._permissions_restore() IS 'internal trigger: a built-in permission row arriving from a dump merges into the existing one (carrying its retirement) instead of colliding';
CREATE TRIGGER permissions_restore BEFORE INSERT ON hive_tokens.permissions
    FOR EACH ROW EXECUTE FUNCTION hive_tokens._permissions_restore();

------------------------------------------------------------------------------------------
-- Storage: scopes as bits; the view and verify() on top of them.
------------------------------------------------------------------------------------------
CREATE FUNCTION hive_tokens._scopes_to_bits(hive_tokens.scopes) RETURNS bytea
    AS 'MODULE_PATHNAME', 'scopes_to_bits' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION hive_tokens._scopes_to_bits(hive_tokens.scopes) IS 'internal: the stored form of a scopes value (its 32-byte bit set)';
CREATE FUNCTION hive_tokens._scopes_from_bits(bytea) RETURNS hive_tokens.scopes
    AS 'MODULE_PATHNAME', 'scopes_from_bits' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION hive_tokens._scopes_from_bits(bytea) IS 'internal: a scopes value from its stored 32-byte bit set (22P03 for any other length)';

-- The grants on the objects recreated below, kept until the end of this transaction.
SELECT pg_catalog.set_config('hive_tokens_upgrade.tokens_acl',
           coalesce((SELECT c.relacl::text FROM pg_catalog.pg_class AS c WHERE c.oid = 'hive_tokens.tokens'::regclass), ''), true),
       pg_catalog.set_config('hive_tokens_upgrade.verify_text_acl',
           coalesce((SELECT p.proacl::text FROM pg_catalog.pg_proc AS p WHERE p.oid = 'hive_tokens.verify(text)'::regprocedure), ''), true),
       pg_catalog.set_config('hive_tokens_upgrade.verify_token_acl',
           coalesce((SELECT p.proacl::text FROM pg_catalog.pg_proc AS p
                      WHERE p.oid = 'hive_tokens.verify(hive_tokens.access_token)'::regprocedure), ''), true);

DROP FUNCTION hive_tokens.verify(text);
DROP FUNCTION hive_tokens.verify(hive_tokens.access_token);
DROP VIEW hive_tokens.tokens;

ALTER TABLE hive_tokens.access_tokens DROP CONSTRAINT access_tokens_scopes_check;
ALTER TABLE hive_tokens.access_tokens ALTER COLUMN scopes TYPE bytea USING hive_tokens._scopes_to_bits(scopes);
ALTER TABLE hive_tokens.access_tokens RENAME COLUMN scopes TO scope_bits;
ALTER TABLE hive_tokens.access_tokens ADD CONSTRAINT access_tokens_scope_bits_check
    CHECK (hive_tokens.permission_count(hive_tokens._scopes_from_bits(scope_bits)) > 0);
COMMENT ON COLUMN hive_tokens.access_tokens.scope_bits IS 'the token''s permissions as the 32-byte bit set of the permission catalog (bits are never reused), readable without the catalog so dumps restore in any order; the view tokens shows them as scopes';

CREATE VIEW hive_tokens.tokens AS
    SELECT id, organization_id, kind, project_id, user_id, title, description,
           hive_tokens._scopes_from_bits(scope_bits) AS scopes, resources,
           first_characters, created_at, created_by, expires_at, last_used_at
      FROM hive_tokens.access_tokens;
REVOKE ALL ON hive_tokens.tokens FROM PUBLIC;
COMMENT ON VIEW hive_tokens.tokens IS 'every token''s public record: everything but the hash and key id; not readable by PUBLIC (grant SELECT to your application role)';

CREATE FUNCTION hive_tokens.verify(token text) RETURNS SETOF hive_tokens.tokens
    AS 'MODULE_PATHNAME', 'hive_tokens_verify' LANGUAGE C STABLE STRICT PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION hive_tokens.verify(text) IS 'the public record of a live token as one row; no row for anything that is not one';

CREATE FUNCTION hive_tokens.verify(token hive_tokens.access_token) RETURNS SETOF hive_tokens.tokens
    AS 'MODULE_PATHNAME', 'hive_tokens_verify' LANGUAGE C STABLE STRICT PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION hive_tokens.verify(hive_tokens.access_token) IS 'verify() for a value already typed access_token';

-- Grants as they were before the update.
DO $$
DECLARE
    obj record;
    a record;
BEGIN
    FOR obj IN VALUES ('TABLE hive_tokens.tokens', current_setting('hive_tokens_upgrade.tokens_acl'),
                       (SELECT c.relowner FROM pg_catalog.pg_class AS c WHERE c.oid = 'hive_tokens.tokens'::regclass)),
                      ('FUNCTION hive_tokens.verify(text)', current_setting('hive_tokens_upgrade.verify_text_acl'),
                       (SELECT p.proowner FROM pg_catalog.pg_proc AS p WHERE p.oid = 'hive_tokens.verify(text)'::regprocedure)),
                      ('FUNCTION hive_tokens.verify(hive_tokens.access_token)', current_setting('hive_tokens_upgrade.verify_token_acl'),
                       (SELECT p.proowner FROM pg_catalog.pg_proc AS p WHERE p.oid = 'hive_tokens.verify(hive_tokens.access_token)'::regprocedure)) LOOP
        CONTINUE WHEN obj.column2 = '';  -- default privileges: the new object has them too
        EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', obj.column1);
        FOR a IN SELECT * FROM pg_catalog.aclexplode(obj.column2::aclitem[]) LOOP
            CONTINUE WHEN a.grantee = obj.column3;
            EXECUTE format('GRANT %s ON %s TO %s%s', a.privilege_type, obj.column1,
                           CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                           CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
        END LOOP;
    END LOOP;
END $$;

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
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m record;
    bad hive_tokens.scopes;
BEGIN
    IF organization IS NULL THEN
        RAISE EXCEPTION 'organization must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF title IS NULL OR title !~ '^[ a-zA-Z0-9_-]{2,100}$' THEN
        RAISE EXCEPTION 'invalid token title'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A title is 2 to 100 characters of letters, digits, spaces, "_" and "-".';
    END IF;
    IF char_length(description) > 248 THEN
        RAISE EXCEPTION 'token description is too long'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('A description has at most 248 characters; this one has %s.', char_length(description));
    END IF;
    IF kind IS NULL OR kind NOT IN ('organization', 'project', 'personal') THEN
        RAISE EXCEPTION 'invalid token kind'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The kind is one of organization, project, personal.';
    END IF;
    IF kind = 'project' AND project IS NULL THEN
        RAISE EXCEPTION 'a project token needs a project' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF kind = 'personal' AND user_id IS NULL THEN
        RAISE EXCEPTION 'a personal token needs a user_id' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF scopes IS NULL OR hive_tokens.permission_count(scopes) = 0 THEN
        RAISE EXCEPTION 'a token needs at least one permission' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    bad := scopes OPERATOR(hive_tokens.&) hive_tokens.retired_scopes();
    IF hive_tokens.permission_count(bad) > 0 THEN
        RAISE EXCEPTION 'retired permissions cannot be granted: %', bad
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    bad := scopes OPERATOR(hive_tokens.-) hive_tokens.assignable_scopes();
    IF hive_tokens.permission_count(bad) > 0 THEN
        RAISE EXCEPTION 'permissions not assignable to access tokens: %', bad
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'SELECT hive_tokens.assignable_scopes() lists the ones a token may hold.';
    END IF;
    IF kind = 'project' AND scopes OPERATOR(hive_tokens.&&) hive_tokens.scopes_of_level('organization') THEN
        RAISE EXCEPTION 'a project token cannot hold organization permissions: %',
            scopes OPERATOR(hive_tokens.&) hive_tokens.scopes_of_level('organization')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    bad := hive_tokens.missing_dependencies(scopes);
    IF hive_tokens.permission_count(bad) > 0 THEN
        RAISE EXCEPTION 'the permissions lack what they depend on: %', bad
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Add them, or pass hive_tokens.depends_closure(scopes).';
    END IF;
    resources := hive_tokens.normalize_resources(coalesce(resources, '{"mode": "*"}'));
    IF expires_at IS NOT NULL AND expires_at <= now() THEN
        RAISE EXCEPTION 'expires_at must be in the future' USING ERRCODE = 'invalid_parameter_value';
    END IF;

    m := hive_tokens._mint(kind);
    INSERT INTO hive_tokens.access_tokens
        (id, organization_id, kind, project_id, user_id, title, description, scope_bits, resources,
         hash, key_id, first_characters, expires_at)
    VALUES (m.id, organization, kind, project, user_id, title, description, hive_tokens._scopes_to_bits(scopes), resources,
            m.hash, m.key_id, m.first_characters, expires_at);
    token_id := m.id;
    token := m.token;
    RETURN NEXT;
END;
$$;

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
-- The table and every table that inherits from it, partitions included, at any depth: rows of a
-- protected table are readable through each of them, so protect() covers them all.
CREATE FUNCTION hive_tokens._inheritors(tbl regclass) RETURNS SETOF regclass
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH RECURSIVE family(relid) AS (
        SELECT tbl::oid
        UNION
        SELECT i.inhrelid FROM pg_inherits AS i JOIN family AS f ON i.inhparent = f.relid)
    SELECT relid::regclass FROM family;
END;
COMMENT ON FUNCTION hive_tokens._inheritors(regclass) IS 'internal: a table and every table that inherits from it (partitions included), for protect(), unprotect() and the event trigger; reads only pg_inherits';

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
    -- Every table that inherits from this one (partitions too) shows its rows under its own name.
    SELECT string_agg(m::text, ', ') INTO r
      FROM hive_tokens._inheritors(tbl) AS m JOIN pg_class AS c ON c.oid = m
     WHERE c.relkind NOT IN ('r', 'p');
    IF r IS NOT NULL THEN
        RAISE EXCEPTION '% cannot be protected: % inherit(s) from it and cannot have row-level security', tbl, r
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Foreign tables and other relations cannot carry policies; detach them first.';
    END IF;
    -- Permissive policies are ORed together: another one on any of the tables would widen what ours allow.
    SELECT string_agg(format('%s on %s', quote_ident(p.polname), p.polrelid::regclass), ', ') INTO r
      FROM pg_policy AS p
     WHERE p.polrelid IN (SELECT hive_tokens._inheritors(tbl)) AND p.polpermissive
       AND p.polname NOT IN ('hive_tokens_select', 'hive_tokens_insert', 'hive_tokens_update', 'hive_tokens_delete');
    IF r IS NOT NULL THEN
        RAISE EXCEPTION '% has other permissive policies (%), which would widen access', tbl, r
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Drop them or recreate them AS RESTRICTIVE before protecting the table.';
    END IF;
    r := hive_tokens.policy_expression(read_action, organization_column, project_column, target_column, name_column);
    w := hive_tokens.policy_expression(write_action, organization_column, project_column, target_column, name_column);
    -- (the event trigger stays out of this: it would see each ALTER TABLE below)
    PERFORM set_config('hive_tokens_internal.protecting', 'on', true);
    FOR member IN SELECT hive_tokens._inheritors(tbl) LOOP
        FOR pol IN SELECT polname FROM pg_policy
                    WHERE polrelid = member AND polname IN ('hive_tokens_select', 'hive_tokens_insert', 'hive_tokens_update', 'hive_tokens_delete') LOOP
            EXECUTE format('DROP POLICY %I ON %s', pol, member);
        END LOOP;
        EXECUTE format('CREATE POLICY hive_tokens_select ON %s FOR SELECT USING (%s)', member, r);
        EXECUTE format('CREATE POLICY hive_tokens_insert ON %s FOR INSERT WITH CHECK (%s)', member, w);
        EXECUTE format('CREATE POLICY hive_tokens_update ON %s FOR UPDATE USING (%s) WITH CHECK (%s)', member, w, w);
        EXECUTE format('CREATE POLICY hive_tokens_delete ON %s FOR DELETE USING (%s)', member, w);
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', member);
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', member);
    END LOOP;
    PERFORM set_config('hive_tokens_internal.protecting', 'off', true);
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
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'table must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM set_config('hive_tokens_internal.protecting', 'on', true);
    FOR member IN SELECT m FROM hive_tokens._inheritors(tbl) AS m JOIN pg_class AS c ON c.oid = m
                   WHERE c.relkind IN ('r', 'p') LOOP
        FOR pol IN SELECT polname FROM pg_policy
                    WHERE polrelid = member AND polname IN ('hive_tokens_select', 'hive_tokens_insert', 'hive_tokens_update', 'hive_tokens_delete') LOOP
            EXECUTE format('DROP POLICY %I ON %s', pol, member);
        END LOOP;
        EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', member);
        EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', member);
    END LOOP;
    PERFORM set_config('hive_tokens_internal.protecting', 'off', true);
END;
$$;
COMMENT ON FUNCTION hive_tokens.unprotect(regclass) IS 'undoes protect() on a table and every table that inherits from it: drops the four policies and disables row-level security';

-- Tables created as partitions or children of a protected table, or attached to one, get its
-- policies in the same statement (an event trigger), so no new partition is ever readable
-- unprotected. A table that already carries hive_tokens policies keeps its own.
CREATE FUNCTION hive_tokens._protect_inheritors() RETURNS event_trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    changed oid;
    source oid;
    member regclass;
    p record;
BEGIN
    -- protect(), unprotect() and this function itself run ALTER TABLE on purpose
    IF current_setting('hive_tokens_internal.protecting', true) = 'on' THEN
        RETURN;
    END IF;
    PERFORM set_config('hive_tokens_internal.protecting', 'on', true);
    FOR changed IN SELECT DISTINCT c.objid FROM pg_event_trigger_ddl_commands() AS c
                    WHERE c.classid = 'pg_class'::regclass AND c.object_type IN ('table', 'foreign table') LOOP
        -- the nearest protected table among the changed table and its ancestors
        WITH RECURSIVE up(relid, depth) AS (
            SELECT changed, 0
            UNION ALL
            SELECT i.inhparent, u.depth + 1 FROM pg_inherits AS i JOIN up AS u ON i.inhrelid = u.relid WHERE u.depth < 100)
        SELECT u.relid INTO source FROM up AS u
         WHERE EXISTS (SELECT FROM pg_policy AS pp WHERE pp.polrelid = u.relid AND pp.polname = 'hive_tokens_select')
         ORDER BY u.depth LIMIT 1;
        CONTINUE WHEN source IS NULL;
        FOR member IN SELECT hive_tokens._inheritors(source::regclass) LOOP
            CONTINUE WHEN EXISTS (SELECT FROM pg_policy AS pp WHERE pp.polrelid = member AND pp.polname LIKE 'hive\_tokens\_%');
            IF (SELECT relkind FROM pg_class WHERE oid = member) NOT IN ('r', 'p') THEN
                RAISE EXCEPTION '% cannot inherit from the protected table %: it cannot have row-level security', member, source::regclass
                    USING ERRCODE = 'wrong_object_type',
                          HINT = 'Only tables and partitioned tables can be partitions of a table protected by hive_tokens.protect().';
            END IF;
            FOR p IN SELECT pp.polname, pp.polcmd, pg_get_expr(pp.polqual, pp.polrelid) AS qual,
                            pg_get_expr(pp.polwithcheck, pp.polrelid) AS wcheck
                       FROM pg_policy AS pp
                      WHERE pp.polrelid = source
                        AND pp.polname IN ('hive_tokens_select', 'hive_tokens_insert', 'hive_tokens_update', 'hive_tokens_delete') LOOP
                EXECUTE format('CREATE POLICY %I ON %s FOR %s%s%s', p.polname, member,
                               CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                               CASE WHEN p.qual IS NOT NULL THEN format(' USING (%s)', p.qual) ELSE '' END,
                               CASE WHEN p.wcheck IS NOT NULL THEN format(' WITH CHECK (%s)', p.wcheck) ELSE '' END);
            END LOOP;
            EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', member);
            EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', member);
        END LOOP;
    END LOOP;
    PERFORM set_config('hive_tokens_internal.protecting', 'off', true);
END;
$$;
REVOKE ALL ON FUNCTION hive_tokens._protect_inheritors() FROM PUBLIC;
COMMENT ON FUNCTION hive_tokens._protect_inheritors() IS 'internal event trigger: gives tables created as, or attached as, partitions or children of a protected table its policies';
CREATE EVENT TRIGGER hive_tokens_protect_inheritors ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE', 'CREATE FOREIGN TABLE')
    EXECUTE FUNCTION hive_tokens._protect_inheritors();
COMMENT ON EVENT TRIGGER hive_tokens_protect_inheritors IS 'protects new and attached partitions (and inheriting tables) of tables protected by hive_tokens.protect()';
