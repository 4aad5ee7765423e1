-- Row-level security on a model of Hive's tables, protected with protect(): each principal sees
-- and writes exactly its rows; the security properties an unprivileged role depends on.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
-- This suite keeps temporary tables (and statements prepared with SQL) across transactions;
-- authenticate() refuses such a session by default (tested at the end of sql/principal.sql).
SET hive_tokens.allow_session_objects = on;
DROP SCHEMA IF EXISTS hive CASCADE;
DROP ROLE IF EXISTS regress_ht_app;
DROP ROLE IF EXISTS regress_ht_nobody;
\i sql/include/hive_model.sql
RESET client_min_messages;
CREATE ROLE regress_ht_app;
CREATE ROLE regress_ht_nobody;
GRANT USAGE ON SCHEMA hive TO regress_ht_app, regress_ht_nobody;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA hive TO regress_ht_app, regress_ht_nobody;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA hive TO regress_ht_app, regress_ht_nobody;
GRANT EXECUTE ON FUNCTION hive_tokens.act_as_member(uuid, hive_tokens.scopes, jsonb) TO regress_ht_app;
\set o '00000000-0000-4000-8000-0000000000a1'
\set p1 '00000000-0000-4000-8000-0000000000b1'
\set p2 '00000000-0000-4000-8000-0000000000b2'
\set t1 '00000000-0000-4000-8000-0000000000c1'
\set t2 '00000000-0000-4000-8000-0000000000c2'
\set t3 '00000000-0000-4000-8000-0000000000c3'

-- protect() is idempotent, sets FORCE, and creates four named policies.
SELECT hive_tokens.protect('hive.usage_records', 'project:describe', 'usage:report',
                           project_column => 'project_id', target_column => 'target_id');
SELECT relname, relrowsecurity, relforcerowsecurity,
       (SELECT array_agg(polname ORDER BY polname) FROM pg_policy WHERE polrelid = c.oid) AS policies
  FROM pg_class AS c WHERE relnamespace = 'hive'::regnamespace AND relkind = 'r' ORDER BY relname;

-- Tokens: a CI token that may publish only service "products" of target 1; a usage-reporting
-- token for the whole organization; a project token.
SELECT token AS ci FROM hive_tokens.issue(:'o', 'CI products', '{project:describe,schemaVersion:publish}',
    resources => format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "granular", "targets": [
        {"type": "target", "id": "%s", "services": {"mode": "granular", "services": [{"type": "service", "serviceName": "products"}]},
         "appDeployments": {"mode": "granular", "appDeployments": []}}]}}]}', :'p1', :'t1')::jsonb) \gset
SELECT token AS usage FROM hive_tokens.issue(:'o', 'usage reporting', '{usage:report}') \gset
SELECT token AS proj FROM hive_tokens.issue(:'o', 'project two', '{project:describe,usage:report}', kind => 'project', project => :'p2') \gset

SET ROLE regress_ht_app;
-- No principal: nothing at all.
SELECT (SELECT count(*) FROM hive.organizations) AS orgs, (SELECT count(*) FROM hive.projects) AS projects,
       (SELECT count(*) FROM hive.schema_versions) AS versions, (SELECT count(*) FROM hive.usage_records) AS usage;
INSERT INTO hive.usage_records (organization_id, project_id, target_id, operation, count) VALUES (:'o', :'p1', :'t1', 'x', 1);
\echo :LAST_ERROR_SQLSTATE

-- The CI token: reads project 1 only, publishes only products on target 1.
BEGIN;
SELECT hive_tokens.authenticate(:'ci') IS NOT NULL AS ci;
SELECT name FROM hive.projects ORDER BY name;
SELECT t.name AS target, v.service_name FROM hive.schema_versions AS v JOIN hive.targets AS t ON t.id = v.target_id ORDER BY 1, 2;
SELECT count(*) AS usage_rows FROM hive.usage_records;
INSERT INTO hive.schema_versions (organization_id, project_id, target_id, service_name, sdl)
    VALUES (:'o', :'p1', :'t1', 'products', 'type Query { v2: Int }') RETURNING service_name;
SAVEPOINT s;
INSERT INTO hive.schema_versions (organization_id, project_id, target_id, service_name, sdl)
    VALUES (:'o', :'p1', :'t1', 'reviews', 'type Query { x: Int }');
ROLLBACK TO SAVEPOINT s;
INSERT INTO hive.schema_versions (organization_id, project_id, target_id, service_name, sdl)
    VALUES (:'o', :'p1', :'t2', 'products', 'type Query { x: Int }');
ROLLBACK TO SAVEPOINT s;
UPDATE hive.schema_versions SET sdl = 'changed' WHERE service_name = 'reviews';
UPDATE hive.schema_versions SET sdl = sdl WHERE service_name = 'products' AND target_id = :'t1';
-- moving a row out of reach is refused by WITH CHECK
UPDATE hive.schema_versions SET service_name = 'reviews' WHERE service_name = 'products' AND target_id = :'t1';
ROLLBACK;

-- A cursor WITH HOLD is materialized at COMMIT under the principal of its transaction; after the
-- commit there is no principal, and a new query sees nothing.
BEGIN;
SELECT hive_tokens.authenticate(:'ci') IS NOT NULL AS ci;
DECLARE held CURSOR WITH HOLD FOR SELECT name FROM hive.projects ORDER BY name;
DECLARE transient CURSOR FOR SELECT name FROM hive.projects;
COMMIT;
FETCH ALL FROM held;
SELECT hive_tokens.current_token_id() IS NULL AS no_principal, (SELECT count(*) FROM hive.projects) AS new_query_sees;
CLOSE held;
FETCH ALL FROM transient;

-- The usage token: writes usage anywhere in its organization, reads nothing (no project:describe).
BEGIN;
SELECT hive_tokens.authenticate(:'usage') IS NOT NULL AS usage;
INSERT INTO hive.usage_records (organization_id, project_id, target_id, operation, count)
    VALUES (:'o', :'p1', :'t1', 'query Q', 1), (:'o', :'p2', :'t3', 'query Q', 1);
SELECT count(*) AS readable_usage FROM hive.usage_records;
INSERT INTO hive.usage_records (organization_id, project_id, target_id, operation, count)
    VALUES ('00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000b3', '00000000-0000-4000-8000-0000000000c4', 'query Q', 1);
ROLLBACK;

-- The project token: its project, stored in granular form as Hive stores it.
RESET ROLE;
SELECT resources = format('{"mode": "granular", "projects": [{"id": "%s", "type": "project", "targets": {"mode": "*"}}]}', :'p2')::jsonb AS stored_granular
  FROM hive_tokens.tokens WHERE title = 'project two';
SET ROLE regress_ht_app;
BEGIN;
SELECT hive_tokens.authenticate(:'proj') IS NOT NULL AS project_token;
SELECT name FROM hive.projects ORDER BY name;
SELECT count(*) AS usage_rows FROM hive.usage_records;
ROLLBACK;
-- A project token row written with "*" (a 0.1 dump restored, or by hand) gets its project in
-- granular form, as 0.1 meant it; one that bypassed that (triggers off) grants nothing below the
-- organization, as in Hive; one stored naming other projects too is limited to its own.
RESET ROLE;
SELECT token AS proj_star, token_id AS proj_star_id FROM hive_tokens.issue(:'o', 'project star', '{project:describe,usage:report}', kind => 'project', project => :'p2') \gset
-- (rows are immutable once issued: the superuser steps past that to play a hand-written row)
ALTER TABLE hive_tokens.access_tokens DISABLE TRIGGER access_tokens_immutable;
UPDATE hive_tokens.access_tokens SET resources = '{"mode": "*"}' WHERE id = :'proj_star_id';
SELECT resources->>'mode' AS mode_after_update FROM hive_tokens.access_tokens WHERE id = :'proj_star_id';
SET session_replication_role = replica;
UPDATE hive_tokens.access_tokens SET resources = '{"mode": "*"}' WHERE id = :'proj_star_id';
RESET session_replication_role;
SELECT token AS proj_wide, token_id AS proj_wide_id FROM hive_tokens.issue(:'o', 'project wide', '{project:describe,usage:report}', kind => 'project', project => :'p2') \gset
UPDATE hive_tokens.access_tokens
   SET resources = format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "*"}}, {"type": "project", "id": "%s", "targets": {"mode": "*"}}]}', :'p1', :'p2')::jsonb
 WHERE id = :'proj_wide_id';
ALTER TABLE hive_tokens.access_tokens ENABLE TRIGGER access_tokens_immutable;
SET ROLE regress_ht_app;
BEGIN;
SELECT hive_tokens.authenticate(:'proj_star') IS NOT NULL AS stored_star;
SELECT count(*) AS projects_seen, hive_tokens.can('project:describe', :'o', :'p2') AS can_describe_own FROM hive.projects;
ROLLBACK;
BEGIN;
SELECT hive_tokens.authenticate(:'proj_wide') IS NOT NULL AS stored_wide;
SELECT name FROM hive.projects ORDER BY name;
ROLLBACK;

-- A member principal: project 2 only, and everything but target 3 (a deny).
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{organization:describe,project:describe}',
    format('{"mode": "*", "deny": [{"type": "project", "id": "%s"}]}', :'p1')::jsonb);
SELECT slug FROM hive.organizations;
SELECT name FROM hive.projects ORDER BY name;
SELECT count(*) AS versions FROM hive.schema_versions;
ROLLBACK;

-- Every row is visible exactly when can() says so: a probe table holding every combination of
-- organization, project, target and name, protected for actions of each level, compared for
-- several principals against can() asked row by row (as the superuser, who bypasses RLS).
RESET ROLE;
CREATE TABLE hive.probe (organization_id uuid NOT NULL, project_id uuid NOT NULL, target_id uuid NOT NULL, name text NOT NULL);
INSERT INTO hive.probe SELECT t.organization_id, t.project_id, t.id, n FROM hive.targets AS t, unnest(ARRAY['products', 'reviews', 'web']) AS n;
INSERT INTO hive.probe SELECT :'o', p.id, '00000000-0000-4000-8000-0000000000cf', 'products' FROM hive.projects AS p;
GRANT SELECT ON hive.probe TO regress_ht_app;
CREATE TEMP TABLE by_can (principal text, action text, n bigint);
GRANT SELECT ON by_can TO regress_ht_app;
CREATE FUNCTION pg_temp.compare(principal text) RETURNS TABLE (action text, visible bigint, by_can bigint) LANGUAGE plpgsql AS $$
DECLARE a text;
BEGIN
    FOREACH a IN ARRAY ARRAY['project:describe', 'usage:report', 'schemaVersion:publish', 'appDeployment:create'] LOOP
        PERFORM hive_tokens.protect('hive.probe', a, a, project_column => 'project_id', target_column => 'target_id', name_column => 'name');
        EXECUTE 'SET LOCAL ROLE regress_ht_app';
        SELECT count(*) INTO visible FROM hive.probe;
        EXECUTE 'RESET ROLE';
        SELECT count(*) FILTER (WHERE hive_tokens.can(a, p.organization_id, p.project_id, p.target_id,
                                                      CASE WHEN a = 'schemaVersion:publish' THEN p.name END,
                                                      CASE WHEN a = 'appDeployment:create' THEN p.name END))
          INTO by_can FROM hive.probe AS p;
        action := a;
        RETURN NEXT;
    END LOOP;
END $$;
BEGIN;
SELECT hive_tokens.authenticate(:'ci') IS NOT NULL AS ci;
SELECT * FROM pg_temp.compare('ci');
ROLLBACK;
BEGIN;
SELECT hive_tokens.authenticate(:'usage') IS NOT NULL AS usage;
SELECT * FROM pg_temp.compare('usage');
ROLLBACK;
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{project:describe,usage:report,schemaVersion:publish,appDeployment:create}',
    format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "granular", "targets": [
        {"type": "target", "id": "%s", "services": {"mode": "*"}, "appDeployments": {"mode": "granular", "appDeployments": [{"type": "appDeployment", "appName": "web"}]}},
        {"type": "target", "id": "%s", "services": {"mode": "granular", "services": [{"type": "service", "serviceName": "reviews"}]}, "appDeployments": {"mode": "*"}}]}},
        {"type": "project", "id": "%s", "targets": {"mode": "*"}}],
      "deny": [{"type": "service", "targetId": "%s", "serviceName": "products"}]}', :'p1', :'t1', :'t2', :'p2', :'t3')::jsonb);
SELECT * FROM pg_temp.compare('member');
ROLLBACK;

-- The planner uses the indexes: the policy is sargable (docs/rls.md).
SET ROLE regress_ht_app;
BEGIN;
SELECT hive_tokens.authenticate(:'ci') IS NOT NULL AS ci;
SET LOCAL enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM hive.usage_records;
ROLLBACK;

-- Security: an unprivileged role cannot read tokens, call act_as_member, set a principal, or get
-- around a protected table through a view of its own.
SET ROLE regress_ht_nobody;
SELECT count(*) FROM hive_tokens.access_tokens;
SELECT hive_tokens.act_as_member(:'o', '{project:describe}');
SET hive_tokens.organization = :'o';
SELECT set_config('hive_tokens.principal', 'x', true);
CREATE TEMP VIEW my_projects AS SELECT * FROM hive.projects;
SELECT count(*) AS through_own_view FROM my_projects;
BEGIN;
SELECT hive_tokens.authenticate(:'ci') IS NOT NULL AS ci;
SELECT count(*) AS own_view_with_principal FROM my_projects;
COMMIT;
RESET ROLE;
-- A view is checked as its owner: one owned by a superuser bypasses row-level security (the
-- hazard docs/rls.md warns about); with security_invoker it is checked as the caller.
CREATE VIEW hive.projects_definer AS SELECT * FROM hive.projects;
CREATE VIEW hive.projects_invoker WITH (security_invoker = true) AS SELECT * FROM hive.projects;
GRANT SELECT ON hive.projects_definer, hive.projects_invoker TO regress_ht_nobody;
SET ROLE regress_ht_nobody;
SELECT (SELECT count(*) FROM hive.projects_definer) AS superuser_owned_view_bypasses,
       (SELECT count(*) FROM hive.projects_invoker) AS security_invoker_view;
RESET ROLE;

-- A hostile search_path (shadowing functions and operators earlier on the path) changes nothing:
-- policies were bound at CREATE POLICY time, and every SECURITY DEFINER function pins its path.
CREATE SCHEMA evil;
CREATE FUNCTION evil.current_organization_id() RETURNS uuid LANGUAGE sql AS $$ SELECT '00000000-0000-4000-8000-0000000000a1'::uuid $$;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT '2000-01-01'::timestamptz $$;
CREATE FUNCTION evil.uuid_eq_always(uuid, uuid) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR evil.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = evil.uuid_eq_always);
GRANT USAGE ON SCHEMA evil TO regress_ht_nobody;
SET ROLE regress_ht_nobody;
SET search_path = evil, pg_catalog, public;
SELECT count(*) AS projects_under_hostile_path FROM hive.projects;
BEGIN;
SELECT hive_tokens.authenticate(:'ci') IS NOT NULL AS ci;
SELECT count(*) AS ci_projects_under_hostile_path FROM hive.projects;
COMMIT;
RESET ROLE;
-- issue() validates expiry with pg_catalog.now(), not the shadowing evil.now() (year 2000)
SELECT * FROM hive_tokens.issue(:'o', 'hostile', '{usage:report}', expires_at => '2001-01-01');
RESET search_path;
DROP SCHEMA evil CASCADE;

-- Bad protect() calls.
CREATE TABLE hive.loose (organization_id uuid, project_id uuid NOT NULL, note text);
SELECT hive_tokens.protect('hive.loose', 'project:describe', 'project:modifySettings', project_column => 'project_id');
ALTER TABLE hive.loose ALTER organization_id SET NOT NULL;
SELECT hive_tokens.protect('hive.loose', 'project:describe', 'project:modifySettings');
SELECT hive_tokens.protect('hive.loose', 'usage:report', 'usage:report', project_column => 'project_id');
SELECT hive_tokens.protect('hive.loose', 'project:describe', 'project:modifySettings', project_column => 'note');
SELECT hive_tokens.protect('hive.loose', 'project:describe', 'project:modifySettings', project_column => 'nope');
SELECT hive_tokens.protect('hive.loose', 'project:describ', 'project:modifySettings', project_column => 'project_id');
SELECT hive_tokens.protect('hive.loose', 'project:describe', 'project:modifySettings', project_column => 'project_id');
-- another permissive policy would widen access: protect() refuses
CREATE POLICY wide_open ON hive.loose FOR SELECT USING (true);
SELECT hive_tokens.protect('hive.loose', 'project:describe', 'project:modifySettings', project_column => 'project_id');
DROP POLICY wide_open ON hive.loose;
-- unprotect() undoes it
SELECT hive_tokens.unprotect('hive.loose');
SELECT relrowsecurity, relforcerowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = 'hive.loose'::regclass) AS policies
  FROM pg_class WHERE oid = 'hive.loose'::regclass;

-- unprotect(NULL) is an error (it once altered a table named "no")
SELECT hive_tokens.unprotect(NULL);

-- Partitioned tables: protect() covers every partition at every depth, partitions created or
-- attached later get the same policies in the statement that adds them, and no partition shows
-- through its own name what the parent would not.
CREATE TABLE hive.part (organization_id uuid NOT NULL, project_id uuid NOT NULL, target_id uuid NOT NULL, note text)
    PARTITION BY LIST (project_id);
CREATE TABLE hive.part_p1 PARTITION OF hive.part FOR VALUES IN ('00000000-0000-4000-8000-0000000000b1');
CREATE TABLE hive.part_p2 PARTITION OF hive.part FOR VALUES IN ('00000000-0000-4000-8000-0000000000b2') PARTITION BY LIST (target_id);
CREATE TABLE hive.part_p2_t3 PARTITION OF hive.part_p2 FOR VALUES IN ('00000000-0000-4000-8000-0000000000c3');
INSERT INTO hive.part VALUES (:'o', :'p1', :'t1', 'p1 t1'), (:'o', :'p1', :'t2', 'p1 t2'), (:'o', :'p2', :'t3', 'p2 t3');
SELECT hive_tokens.protect('hive.part', 'project:describe', 'usage:report', project_column => 'project_id', target_column => 'target_id');
-- later: a default partition, an attached table, a sub-partition of a protected partition
CREATE TABLE hive.part_default PARTITION OF hive.part DEFAULT;
CREATE TABLE hive.part_b9 (LIKE hive.part);
INSERT INTO hive.part_b9 VALUES (:'o', '00000000-0000-4000-8000-0000000000b9', :'t1', 'attached');
ALTER TABLE hive.part ATTACH PARTITION hive.part_b9 FOR VALUES IN ('00000000-0000-4000-8000-0000000000b9');
CREATE TABLE hive.part_p2_rest PARTITION OF hive.part_p2 DEFAULT;
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT array_agg(polname ORDER BY polname) FROM pg_policy WHERE polrelid = c.oid) AS policies
  FROM pg_class AS c WHERE c.relnamespace = 'hive'::regnamespace AND c.relname LIKE 'part%' AND c.relkind IN ('r', 'p')
 ORDER BY c.relname;
GRANT SELECT ON hive.part, hive.part_p1, hive.part_p2, hive.part_p2_t3, hive.part_default, hive.part_b9, hive.part_p2_rest TO regress_ht_app;
SET ROLE regress_ht_app;
SELECT (SELECT count(*) FROM hive.part) AS parent, (SELECT count(*) FROM hive.part_p1) AS p1, (SELECT count(*) FROM hive.part_p2_t3) AS p2_t3,
       (SELECT count(*) FROM hive.part_b9) AS attached;
BEGIN;
SELECT hive_tokens.authenticate(:'ci') IS NOT NULL AS ci;
SELECT (SELECT count(*) FROM hive.part) AS parent, (SELECT count(*) FROM hive.part_p1) AS p1, (SELECT count(*) FROM hive.part_p2) AS p2,
       (SELECT count(*) FROM hive.part_p2_t3) AS p2_t3, (SELECT count(*) FROM hive.part_b9) AS attached;
ROLLBACK;
RESET ROLE;
-- a partition that cannot carry policies (a foreign table) is refused, never left readable
CREATE EXTENSION file_fdw;
CREATE SERVER regress_files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE hive.part_foreign PARTITION OF hive.part_p2 FOR VALUES IN ('00000000-0000-4000-8000-0000000000c9')
    SERVER regress_files OPTIONS (filename '/dev/null');
-- legacy inheritance children are covered the same way
CREATE TABLE hive.loose_child (extra int) INHERITS (hive.loose);
SELECT hive_tokens.protect('hive.loose', 'project:describe', 'project:modifySettings', project_column => 'project_id');
CREATE TABLE hive.loose_later () INHERITS (hive.loose);
SELECT c.relname, (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) AS policies, c.relforcerowsecurity
  FROM pg_class AS c WHERE c.oid IN ('hive.loose'::regclass, 'hive.loose_child'::regclass, 'hive.loose_later'::regclass) ORDER BY 1;
-- the trigger acts on structure only: no setting turns it off, and a schema's own CREATE TABLE counts
SET hive_tokens_internal.protecting = on;
CREATE SCHEMA side CREATE TABLE part_b8 PARTITION OF hive.part FOR VALUES IN ('00000000-0000-4000-8000-0000000000b8');
RESET hive_tokens_internal.protecting;
SELECT relrowsecurity, relforcerowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = 'side.part_b8'::regclass) AS policies
  FROM pg_class WHERE oid = 'side.part_b8'::regclass;
DROP SCHEMA side CASCADE;
-- a restrictive policy of the protected table is copied to its partitions (read by their own name
-- they filter as the parent does), by protect() and by the trigger
CREATE POLICY not_b1 ON hive.part AS RESTRICTIVE FOR SELECT USING (project_id <> '00000000-0000-4000-8000-0000000000b1');
SELECT hive_tokens.protect('hive.part', 'project:describe', 'usage:report', project_column => 'project_id', target_column => 'target_id');
CREATE TABLE hive.part_b7 PARTITION OF hive.part FOR VALUES IN ('00000000-0000-4000-8000-0000000000b7');
SELECT c.relname, array_agg(p.polname ORDER BY p.polname) FILTER (WHERE NOT p.polpermissive) AS restrictive
  FROM pg_class AS c JOIN pg_policy AS p ON p.polrelid = c.oid
 WHERE c.oid IN ('hive.part_p1'::regclass, 'hive.part_p2_t3'::regclass, 'hive.part_b7'::regclass) GROUP BY 1 ORDER BY 1;
SET ROLE regress_ht_app;
BEGIN;
SELECT hive_tokens.authenticate(:'ci') IS NOT NULL AS ci;
SELECT (SELECT count(*) FROM hive.part) AS parent, (SELECT count(*) FROM hive.part_p1) AS p1_by_its_name;
ROLLBACK;
RESET ROLE;
DROP POLICY not_b1 ON hive.part;
-- a table with a permissive policy of its own cannot be attached: it would widen what ours allow
CREATE TABLE hive.part_b6 (LIKE hive.part);
ALTER TABLE hive.part_b6 ENABLE ROW LEVEL SECURITY;
CREATE POLICY everything ON hive.part_b6 USING (true);
ALTER TABLE hive.part ATTACH PARTITION hive.part_b6 FOR VALUES IN ('00000000-0000-4000-8000-0000000000b6');
DROP TABLE hive.part_b6;
-- a detached partition whose owner turned row-level security off gets it back when re-attached
ALTER TABLE hive.part DETACH PARTITION hive.part_b9;
ALTER TABLE hive.part_b9 NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
ALTER TABLE hive.part ATTACH PARTITION hive.part_b9 FOR VALUES IN ('00000000-0000-4000-8000-0000000000b9');
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'hive.part_b9'::regclass;
-- a protected table never sits under an unprotected one: its rows would show through the parent
CREATE TABLE hive.all_loose (LIKE hive.loose);
ALTER TABLE hive.loose_child NO INHERIT hive.loose;
ALTER TABLE hive.loose_child INHERIT hive.all_loose;
ALTER TABLE hive.loose_child INHERIT hive.loose;
CREATE TABLE hive.unprotected_root (organization_id uuid NOT NULL, project_id uuid NOT NULL, target_id uuid NOT NULL, note text)
    PARTITION BY LIST (project_id);
CREATE TABLE hive.unprotected_leaf PARTITION OF hive.unprotected_root FOR VALUES IN ('00000000-0000-4000-8000-0000000000b1');
SELECT hive_tokens.protect('hive.unprotected_leaf', 'project:describe', 'usage:report', project_column => 'project_id', target_column => 'target_id');
-- nor can one partition of a protected table be unprotected on its own
SELECT hive_tokens.unprotect('hive.part_p1');
-- a child that allows NULL ids shows and accepts no row with a NULL id, as can() says
CREATE TABLE hive.loose_nulls () INHERITS (hive.loose);
ALTER TABLE hive.loose_nulls ALTER COLUMN project_id DROP NOT NULL;
GRANT SELECT, INSERT ON hive.loose, hive.loose_nulls TO regress_ht_app;
SET ROLE regress_ht_app;
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{project:describe,project:modifySettings}');
INSERT INTO hive.loose_nulls (organization_id, project_id, note) VALUES (:'o', NULL, 'no project');
ROLLBACK;
RESET ROLE;
INSERT INTO hive.loose_nulls (organization_id, project_id, note) VALUES (:'o', NULL, 'no project');
SET ROLE regress_ht_app;
BEGIN;
SELECT hive_tokens.act_as_member(:'o', '{project:describe,project:modifySettings}');
SELECT count(*) AS null_project_rows_visible, hive_tokens.can('project:describe', :'o', NULL) AS can
  FROM hive.loose_nulls;
ROLLBACK;
RESET ROLE;
-- names as the command gave them: an unqualified ATTACH under the caller's search_path
SET search_path = hive, public;
CREATE TABLE part_b5 (LIKE part);
ALTER TABLE part ATTACH PARTITION part_b5 FOR VALUES IN ('00000000-0000-4000-8000-0000000000b5');
CREATE TABLE open_parts (organization_id uuid NOT NULL, project_id uuid NOT NULL, target_id uuid NOT NULL, note text)
    PARTITION BY LIST (project_id);
ALTER TABLE part DETACH PARTITION part_b5;
ALTER TABLE open_parts ATTACH PARTITION part_b5 FOR VALUES IN ('00000000-0000-4000-8000-0000000000b5');
RESET search_path;
SELECT relrowsecurity, relforcerowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = 'hive.part_b5'::regclass) AS policies
  FROM pg_class WHERE oid = 'hive.part_b5'::regclass;
-- a protected table inherits from nothing outside its tree (multiple inheritance)
CREATE TABLE hive.side (LIKE hive.loose);
CREATE TABLE hive.two_parents () INHERITS (hive.loose, hive.side);
CREATE TABLE hive.second_parent_later () INHERITS (hive.loose);
ALTER TABLE hive.second_parent_later INHERIT hive.side;
CREATE TABLE hive.other_root (LIKE hive.loose);
CREATE TABLE hive.other_child () INHERITS (hive.other_root, hive.side);
SELECT hive_tokens.protect('hive.other_root', 'project:describe', 'project:modifySettings', project_column => 'project_id');
-- protect() takes the root of a tree; a table under a protected one is covered by it
SELECT hive_tokens.protect('hive.part_p1', 'organization:describe', 'organization:describe');
-- a table attached with hand-made hive_tokens_* policies gets its new parent's
CREATE TABLE hive.part_b4 (LIKE hive.part);
CREATE POLICY hive_tokens_select ON hive.part_b4 USING (true);
ALTER TABLE hive.part ATTACH PARTITION hive.part_b4 FOR VALUES IN ('00000000-0000-4000-8000-0000000000b4');
SELECT pg_get_expr(polqual, polrelid) = (SELECT pg_get_expr(polqual, polrelid) FROM pg_policy
                                          WHERE polrelid = 'hive.part'::regclass AND polname = 'hive_tokens_select') AS parents_policy
  FROM pg_policy WHERE polrelid = 'hive.part_b4'::regclass AND polname = 'hive_tokens_select';
-- the attached table is the one the command attached, even when the command itself changes the
-- search_path (here the partition key, evaluated on each row the attach checks)
CREATE FUNCTION hive.key_moving_path(p uuid) RETURNS uuid LANGUAGE plpgsql IMMUTABLE
    AS $$ BEGIN PERFORM set_config('search_path', 'decoy', false); RETURN p; END $$;
CREATE TABLE hive.by_key (organization_id uuid NOT NULL, project_id uuid NOT NULL, note text)
    PARTITION BY LIST (hive.key_moving_path(project_id));
SELECT hive_tokens.protect('hive.by_key', 'project:describe', 'project:modifySettings', project_column => 'project_id');
CREATE SCHEMA decoy;
CREATE TABLE decoy.by_key_b1 (x int);
CREATE TABLE hive.by_key_b1 (LIKE hive.by_key);
INSERT INTO hive.by_key_b1 VALUES (:'o', '00000000-0000-4000-8000-0000000000b1', 'attached under a moving path');
SET search_path = hive, public;
ALTER TABLE by_key ATTACH PARTITION by_key_b1 FOR VALUES IN ('00000000-0000-4000-8000-0000000000b1');
SHOW search_path;
RESET search_path;
SELECT c.oid::regclass AS tbl, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) AS policies
  FROM pg_class AS c WHERE c.oid IN ('hive.by_key_b1'::regclass, 'decoy.by_key_b1'::regclass) ORDER BY 1;
DROP SCHEMA decoy CASCADE;
-- many partitions added in one transaction, then one attached: the attached one is protected
-- (the trigger finds it among all of them)
CREATE TABLE hive.events (organization_id uuid NOT NULL, day int NOT NULL, payload text) PARTITION BY RANGE (day);
SELECT hive_tokens.protect('hive.events', 'organization:describe', 'organization:describe');
CREATE TABLE hive.events_legacy (organization_id uuid NOT NULL, day int NOT NULL, payload text);
BEGIN;
DO $$ BEGIN
    FOR d IN 1..70 LOOP
        EXECUTE format('CREATE TABLE hive.events_%s PARTITION OF hive.events FOR VALUES FROM (%s) TO (%s)', d, d, d + 1);
    END LOOP;
END $$;
ALTER TABLE hive.events ATTACH PARTITION hive.events_legacy FOR VALUES FROM (-100) TO (0);
COMMIT;
SELECT count(*) AS partitions, count(*) FILTER (WHERE c.relrowsecurity AND c.relforcerowsecurity
                                                 AND (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) = 4) AS protected
  FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid WHERE i.inhparent = 'hive.events'::regclass;
-- a table is protected by protect(), not by a policy's name: a protected table cannot be made to
-- inherit from one that only has a look-alike policy (and keeps its own policies)
CREATE TABLE hive.lookalike (LIKE hive.loose);
CREATE POLICY hive_tokens_select ON hive.lookalike USING (true);
ALTER TABLE hive.loose_later NO INHERIT hive.loose;
ALTER TABLE hive.loose_later INHERIT hive.lookalike;
SELECT pg_get_expr(polqual, polrelid) <> 'true' AS own_policy_kept
  FROM pg_policy WHERE polrelid = 'hive.loose_later'::regclass AND polname = 'hive_tokens_select';
-- a restrictive policy that cannot be written for another table refuses the new partition, clearly
CREATE POLICY whole_row ON hive.part AS RESTRICTIVE FOR SELECT USING (part IS NOT NULL);
CREATE TABLE hive.part_b3 PARTITION OF hive.part FOR VALUES IN ('00000000-0000-4000-8000-0000000000b3');
DROP POLICY whole_row ON hive.part;
-- unprotect() undoes the whole tree
SELECT hive_tokens.unprotect('hive.part');
SELECT count(p.oid) FILTER (WHERE p.polname LIKE 'hive\_tokens\_%') AS policies_left, bool_or(c.relrowsecurity) AS any_rls
  FROM pg_class AS c LEFT JOIN pg_policy AS p ON p.polrelid = c.oid
 WHERE c.oid IN (SELECT hive_tokens_internal.inheritors('hive.part'));
DROP SERVER regress_files;
DROP EXTENSION file_fdw;

DROP SCHEMA hive CASCADE;
DROP OWNED BY regress_ht_app;
DROP OWNED BY regress_ht_nobody;
DROP ROLE regress_ht_app;
DROP ROLE regress_ht_nobody;
