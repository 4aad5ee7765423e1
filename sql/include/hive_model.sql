-- A model of Hive's tables (the ones a token's actions touch), protected with
-- hive_tokens.protect(), and seed data: two organizations, three projects, four targets.
-- Used by sql/rls.sql, the pgbouncer test and the demo. Ids are fixed so outputs are stable.
CREATE SCHEMA hive;

CREATE TABLE hive.organizations (id uuid PRIMARY KEY, slug text NOT NULL);
CREATE TABLE hive.projects (
    id uuid PRIMARY KEY, organization_id uuid NOT NULL REFERENCES hive.organizations, name text NOT NULL);
CREATE TABLE hive.targets (
    id uuid PRIMARY KEY, organization_id uuid NOT NULL, project_id uuid NOT NULL REFERENCES hive.projects,
    name text NOT NULL);
CREATE TABLE hive.schema_versions (
    id bigserial PRIMARY KEY, organization_id uuid NOT NULL, project_id uuid NOT NULL,
    target_id uuid NOT NULL REFERENCES hive.targets, service_name text NOT NULL, sdl text NOT NULL);
CREATE TABLE hive.schema_checks (
    id bigserial PRIMARY KEY, organization_id uuid NOT NULL, project_id uuid NOT NULL,
    target_id uuid NOT NULL REFERENCES hive.targets, service_name text NOT NULL, passed boolean NOT NULL);
CREATE TABLE hive.app_deployments (
    id bigserial PRIMARY KEY, organization_id uuid NOT NULL, project_id uuid NOT NULL,
    target_id uuid NOT NULL REFERENCES hive.targets, app_name text NOT NULL, version text NOT NULL);
CREATE TABLE hive.usage_records (
    id bigserial PRIMARY KEY, organization_id uuid NOT NULL, project_id uuid NOT NULL,
    target_id uuid NOT NULL REFERENCES hive.targets, operation text NOT NULL, count int NOT NULL);
CREATE INDEX ON hive.projects (organization_id);
CREATE INDEX ON hive.targets (organization_id);
CREATE INDEX ON hive.targets (project_id);
CREATE INDEX ON hive.schema_versions (organization_id);
CREATE INDEX ON hive.schema_versions (project_id);
CREATE INDEX ON hive.schema_versions (target_id);
CREATE INDEX ON hive.usage_records (organization_id);
CREATE INDEX ON hive.usage_records (project_id);
CREATE INDEX ON hive.usage_records (target_id);

-- Organization 1 ("acme") has projects 1 (targets 1, 2) and 2 (target 3); organization 2
-- ("globex") has project 3 (target 4).
INSERT INTO hive.organizations VALUES
    ('00000000-0000-4000-8000-0000000000a1', 'acme'), ('00000000-0000-4000-8000-0000000000a2', 'globex');
INSERT INTO hive.projects VALUES
    ('00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000a1', 'storefront'),
    ('00000000-0000-4000-8000-0000000000b2', '00000000-0000-4000-8000-0000000000a1', 'internal'),
    ('00000000-0000-4000-8000-0000000000b3', '00000000-0000-4000-8000-0000000000a2', 'globex-api');
INSERT INTO hive.targets VALUES
    ('00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1', 'production'),
    ('00000000-0000-4000-8000-0000000000c2', '00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1', 'staging'),
    ('00000000-0000-4000-8000-0000000000c3', '00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b2', 'production'),
    ('00000000-0000-4000-8000-0000000000c4', '00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000b3', 'production');
INSERT INTO hive.schema_versions (organization_id, project_id, target_id, service_name, sdl)
    SELECT t.organization_id, t.project_id, t.id, s, 'type Query { ' || s || ': Int }'
      FROM hive.targets AS t, unnest(ARRAY['products', 'reviews']) AS s;
INSERT INTO hive.usage_records (organization_id, project_id, target_id, operation, count)
    SELECT t.organization_id, t.project_id, t.id, 'query Products', 10 FROM hive.targets AS t;
INSERT INTO hive.app_deployments (organization_id, project_id, target_id, app_name, version)
    SELECT t.organization_id, t.project_id, t.id, 'web', '1.0.0' FROM hive.targets AS t;

-- Reading needs project:describe (organization:describe for organizations); writing needs the
-- action Hive checks for it.
SELECT hive_tokens.protect('hive.organizations', 'organization:describe', 'organization:modifySlug', organization_column => 'id');
SELECT hive_tokens.protect('hive.projects', 'project:describe', 'project:modifySettings', project_column => 'id');
SELECT hive_tokens.protect('hive.targets', 'project:describe', 'target:modifySettings', project_column => 'project_id', target_column => 'id');
SELECT hive_tokens.protect('hive.schema_versions', 'project:describe', 'schemaVersion:publish',
                           project_column => 'project_id', target_column => 'target_id', name_column => 'service_name');
SELECT hive_tokens.protect('hive.schema_checks', 'project:describe', 'schemaCheck:create',
                           project_column => 'project_id', target_column => 'target_id', name_column => 'service_name');
SELECT hive_tokens.protect('hive.app_deployments', 'project:describe', 'appDeployment:create',
                           project_column => 'project_id', target_column => 'target_id', name_column => 'app_name');
SELECT hive_tokens.protect('hive.usage_records', 'project:describe', 'usage:report',
                           project_column => 'project_id', target_column => 'target_id');
