-- The authorization engine: Hive resource names, resource assignments, policy statements and
-- Hive's evaluator, with Hive's own test cases (authz.spec.ts) translated.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
RESET client_min_messages;
SET search_path = hive_tokens, public;
\set o 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa'
\set b 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb'
\set c 'cccccccc-cccc-cccc-cccc-cccccccccccc'
\set d 'dddddddd-dddd-dddd-dddd-dddddddddddd'

-- Type hrn: every form Hive writes, canonical output (lower-case UUIDs).
SELECT h::hrn AS hrn FROM (VALUES
    ('hrn:' || :'o' || ':organization/' || :'o'),
    ('hrn:*:organization/*'),
    ('hrn:' || :'o' || ':*'),
    ('hrn:' || :'o' || ':project/' || :'b'),
    ('hrn:' || :'o' || ':target/' || :'c'),
    ('hrn:' || :'o' || ':target/' || :'c' || '/*'),
    ('hrn:' || :'o' || ':target/' || :'c' || '/service/products'),
    ('hrn:' || :'o' || ':target/' || :'c' || '/service/*'),
    ('hrn:' || :'o' || ':target/' || :'c' || '/appDeployment/web-app'),
    ('hrn:' || upper(:'o') || ':project/' || upper(:'b'))) AS v(h);
-- Malformed names: 22P02, and the message says which part is wrong.
SELECT 'urn:x:*'::hrn;
\echo :LAST_ERROR_SQLSTATE
SELECT 'hrn:not-a-uuid:*'::hrn;
SELECT ('hrn:' || :'o')::hrn;
SELECT ('hrn:' || :'o' || ':')::hrn;
SELECT ('hrn:' || :'o' || ':team/' || :'b')::hrn;
SELECT ('hrn:' || :'o' || ':project/12345')::hrn;
SELECT ('hrn:' || :'o' || ':project/' || :'b' || '/service/x')::hrn;
SELECT ('hrn:' || :'o' || ':target/' || :'c' || '/schema/x')::hrn;
SELECT ('hrn:' || :'o' || ':target/' || :'c' || '/service')::hrn;
SELECT ('hrn:' || :'o' || ':target/' || :'c' || '/service/a/b')::hrn;
SELECT ('hrn:' || :'o' || ':target/' || :'c' || '/service/a:b')::hrn;
SELECT ('hrn:' || :'o' || ':target/' || :'c' || '/service/' || repeat('x', 201))::hrn;
-- equality, ordering, hashing
SELECT ('hrn:' || upper(:'o') || ':*')::hrn = ('hrn:' || :'o' || ':*')::hrn AS canonical_equal,
       'hrn:*:*'::hrn <> ('hrn:' || :'o' || ':*')::hrn AS different;
SELECT count(DISTINCT h) AS distinct_values FROM (VALUES ('hrn:*:*'::hrn), ('hrn:*:*'), ('hrn:*:project/*')) AS v(h);
SELECT h FROM (VALUES ('hrn:*:project/*'::hrn), ('hrn:*:*'), ('hrn:*:organization/*')) AS v(h) ORDER BY h;
SELECT h, count(*) FROM (VALUES ('hrn:*:*'::hrn), ('hrn:*:*'), ('hrn:*:project/*')) AS v(h) GROUP BY h ORDER BY h;
-- Matching (Hive's segment rule), both argument orders.
SELECT p::hrn @> r::hrn AS pattern_matches, r::hrn <@ p::hrn AS matched_by, p, r FROM (VALUES
    ('hrn:*:*', 'hrn:' || :'o' || ':target/' || :'c'),
    ('hrn:' || :'o' || ':project/*', 'hrn:' || :'o' || ':project/' || :'b'),
    ('hrn:' || :'o' || ':target/' || :'c' || '/*', 'hrn:' || :'o' || ':target/' || :'c' || '/service/products'),
    ('hrn:' || :'o' || ':target/' || :'c' || '/*', 'hrn:' || :'o' || ':target/' || :'c'),
    ('hrn:' || :'o' || ':target/*/service/products', 'hrn:' || :'o' || ':target/' || :'c' || '/service/products'),
    ('hrn:' || :'b' || ':*', 'hrn:' || :'o' || ':project/' || :'b'),
    ('hrn:' || :'o' || ':target/' || :'c', 'hrn:' || :'o' || ':target/' || :'c' || '/service/products')) AS v(p, r);

-- Resource assignments: Hive's model accepted verbatim, validated, normalized.
SELECT normalize_resources('{"mode": "*", "projects": []}') AS everything;
SELECT normalize_resources(format('{"mode": "granular", "projects": [
    {"type": "project", "id": "%s", "targets": {"mode": "*"}},
    {"type": "project", "id": "%s", "targets": {"mode": "granular", "targets": [
        {"type": "target", "id": "%s",
         "services": {"mode": "granular", "services": [{"type": "service", "serviceName": "reviews"}, {"type": "service", "serviceName": "products"}]},
         "appDeployments": {"mode": "granular", "appDeployments": [{"type": "appDeployment", "appName": "web"}]}}]}}],
    "deny": [{"type": "service", "targetId": "%s", "serviceName": "reviews"}]}', :'c', upper(:'b'), :'d', :'d')::jsonb) AS normalized;
-- bad assignments: 22023 with the JSON path of the problem
SELECT normalize_resources('[]');
\echo :LAST_ERROR_SQLSTATE
SELECT normalize_resources('{"mode": "some"}');
SELECT normalize_resources('{"mode": "granular"}');
SELECT normalize_resources('{"mode": "granular", "projects": [{"type": "project", "id": "12", "targets": {"mode": "*"}}]}');
SELECT normalize_resources(format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "all"}}]}', :'b')::jsonb);
SELECT normalize_resources(format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "*"}}, {"type": "project", "id": "%s", "targets": {"mode": "*"}}]}', :'b', :'b')::jsonb);
SELECT normalize_resources(format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "granular", "targets": [{"type": "target", "id": "%s", "services": {"mode": "granular", "services": [{"type": "service", "serviceName": "a/b"}]}, "appDeployments": {"mode": "*"}}]}}]}', :'b', :'c')::jsonb);
SELECT normalize_resources(format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "granular", "targets": [{"type": "target", "id": "%s", "services": {"mode": "*"}}]}}]}', :'b', :'c')::jsonb);
SELECT normalize_resources('{"mode": "*", "deny": [{"type": "organization"}]}');
-- JSON nested 10,000 deep: PostgreSQL's jsonb takes it, the engine refuses past 64 levels
SELECT normalize_resources((repeat('{"a": ', 10000) || '1' || repeat('}', 10000))::jsonb);
SELECT evaluate((repeat('[', 10000) || repeat(']', 10000))::jsonb, 'usage:report', :'o', :'b', :'c');
-- a 1 MB assignment is valid and handled; a 1 MB name is not a name
SELECT jsonb_array_length(normalize_resources(
           jsonb_build_object('mode', 'granular', 'projects',
               (SELECT jsonb_agg(jsonb_build_object('type', 'project', 'id', gen_random_uuid(), 'targets', '{"mode": "*"}'::jsonb))
                  FROM generate_series(1, 12000))))->'projects') AS projects,
       octet_length(jsonb_build_object('mode', 'granular', 'projects',
               (SELECT jsonb_agg(jsonb_build_object('type', 'project', 'id', gen_random_uuid(), 'targets', '{"mode": "*"}'::jsonb))
                  FROM generate_series(1, 12000)))::text) > 1000000 AS over_1mb;
SELECT normalize_resources(format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "granular", "targets": [{"type": "target", "id": "%s", "services": {"mode": "granular", "services": [{"type": "service", "serviceName": "%s"}]}, "appDeployments": {"mode": "*"}}]}}]}', :'b', :'c', repeat('x', 1048576))::jsonb);

-- Intersection: * with X is X; granular with granular keeps what both name.
SELECT intersect_resources('{"mode": "*"}', format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "*"}}]}', :'b')::jsonb) AS star_and_x;
SELECT intersect_resources(
    format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "*"}}, {"type": "project", "id": "%s", "targets": {"mode": "*"}}]}', :'b', :'c')::jsonb,
    format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "granular", "targets": [{"type": "target", "id": "%s", "services": {"mode": "*"}, "appDeployments": {"mode": "granular", "appDeployments": []}}]}}], "deny": [{"type": "target", "id": "%s"}]}', :'c', :'d', :'d')::jsonb) AS granular_and_granular;

-- Resolution into Hive's statements: one allow per level with permissions, * inheriting the parent.
SELECT jsonb_pretty(policy_statements('{member:describe,project:describe,usage:report,schemaVersion:publish}', '{"mode": "*"}', :'o'));
SELECT jsonb_pretty(policy_statements('{project:describe,usage:report,schemaVersion:publish,appDeployment:create}',
    format('{"mode": "granular", "projects": [{"type": "project", "id": "%s", "targets": {"mode": "*"}}, {"type": "project", "id": "%s", "targets": {"mode": "granular", "targets": [{"type": "target", "id": "%s", "services": {"mode": "granular", "services": [{"type": "service", "serviceName": "products"}]}, "appDeployments": {"mode": "*"}}]}}], "deny": [{"type": "project", "id": "%s"}]}', :'b', :'c', :'d', :'b')::jsonb, :'o'));

-- Hive's evaluator test cases (authz.spec.ts), translated one by one. The second organization
-- argument is Hive's params.organizationId, the first the organization in question.
CREATE FUNCTION pg_temp.st(effect text, action text, resource text) RETURNS jsonb LANGUAGE sql AS
    $$ SELECT jsonb_build_object('effect', effect, 'action', action, 'resource', resource) $$;
SELECT 'no policies results in rejection' AS hive_case,
       evaluate('[]', 'organization:describe', :'o') AS allowed
UNION ALL SELECT 'single allow policy on specific resource allows action',
       evaluate(jsonb_build_array(pg_temp.st('allow', 'organization:describe', 'hrn:' || :'o' || ':organization/' || :'b')), 'organization:describe', :'o', resource_organization => :'b')
UNION ALL SELECT 'single policy on wildcard resource id allows action',
       evaluate(jsonb_build_array(pg_temp.st('allow', 'organization:describe', 'hrn:' || :'o' || ':organization/*')), 'organization:describe', :'o', resource_organization => :'b')
UNION ALL SELECT 'single policy on wildcard organization allows action',
       evaluate(jsonb_build_array(pg_temp.st('allow', 'organization:describe', 'hrn:*:organization/' || :'b')), 'organization:describe', :'o', resource_organization => :'b')
UNION ALL SELECT 'single policy on wildcard organization and resource id allows action',
       evaluate(jsonb_build_array(pg_temp.st('allow', 'organization:describe', 'hrn:*:organization/*')), 'organization:describe', :'o', resource_organization => :'b')
UNION ALL SELECT 'single policy on wildcard resource allows action',
       evaluate(jsonb_build_array(pg_temp.st('allow', 'organization:describe', 'hrn:' || :'o' || ':*')), 'organization:describe', :'o', resource_organization => :'b')
UNION ALL SELECT 'single policy on different organization disallows action',
       evaluate(jsonb_build_array(pg_temp.st('allow', 'organization:describe', 'hrn:' || :'c' || ':*')), 'organization:describe', :'o', resource_organization => :'b')
UNION ALL SELECT 'a single deny policy always disallows action',
       evaluate(jsonb_build_array(pg_temp.st('allow', 'organization:describe', 'hrn:*:*'), pg_temp.st('deny', 'organization:describe', 'hrn:*:*')), 'organization:describe', :'o', resource_organization => :'b')
UNION ALL SELECT 'allow on org level, deny on project level: other project allowed',
       evaluate(format('[{"effect": "allow", "action": "project:describe", "resource": ["hrn:%1$s:organization/%1$s"]}, {"effect": "deny", "action": "project:describe", "resource": ["hrn:%1$s:project/%2$s"]}]', :'o', :'c')::jsonb, 'project:describe', :'o', :'b')
UNION ALL SELECT 'allow on org level, deny on project level: that project denied',
       evaluate(format('[{"effect": "allow", "action": "project:describe", "resource": ["hrn:%1$s:organization/%1$s"]}, {"effect": "deny", "action": "project:describe", "resource": ["hrn:%1$s:project/%2$s"]}]', :'o', :'c')::jsonb, 'project:describe', :'o', :'c');

-- Every branch of the algorithm.
SELECT jsonb_build_array(pg_temp.st('allow', 'schemaVersion:publish', 'hrn:' || :'o' || ':target/' || :'c' || '/service/products')) AS svc \gset
SELECT evaluate(:'svc', 'schemaVersion:publish', :'o', :'b', :'c', 'products') AS named_service,
       evaluate(:'svc', 'schemaVersion:publish', :'o', :'b', :'c', 'reviews') AS other_service,
       evaluate(:'svc', 'schemaVersion:publish', :'o', :'b', :'c') AS no_service_named;
SELECT evaluate(jsonb_build_array(pg_temp.st('allow', 'schemaVersion:publish', 'hrn:' || :'o' || ':target/' || :'c')), 'schemaVersion:publish', :'o', :'b', :'c', 'anything') AS target_grant_covers_services,
       evaluate(jsonb_build_array(pg_temp.st('allow', 'appDeployment:create', 'hrn:' || :'o' || ':target/' || :'c' || '/appDeployment/web')), 'appDeployment:create', :'o', :'b', :'c', app_deployment => 'web') AS named_app,
       evaluate(jsonb_build_array(pg_temp.st('allow', 'appDeployment:create', 'hrn:' || :'o' || ':target/' || :'c' || '/appDeployment/web')), 'appDeployment:create', :'o', :'b', :'c', app_deployment => 'ios') AS other_app,
       evaluate(jsonb_build_array(pg_temp.st('allow', 'appDeployment:create', 'hrn:' || :'o' || ':target/' || :'c' || '/appDeployment/web')), 'appDeployment:create', :'o', :'b', :'c') AS no_app_named;
SELECT evaluate(jsonb_build_array(pg_temp.st('allow', 'schemaVersion:publish', 'hrn:' || :'o' || ':target/*/service/products')), 'schemaVersion:publish', :'o', :'b', :'c', 'products') AS nonfinal_star_is_literal,
       evaluate(jsonb_build_array(pg_temp.st('allow', 'schemaCheck:*', 'hrn:' || :'o' || ':*')), 'schemaCheck:approve', :'o', :'b', :'c') AS scope_wildcard,
       evaluate(jsonb_build_array(pg_temp.st('allow', 'schemaCheck:*', 'hrn:' || :'o' || ':*')), 'schemaVersion:publish', :'o', :'b', :'c') AS other_scope,
       evaluate(jsonb_build_array(pg_temp.st('allow', '*', 'hrn:' || :'o' || ':*')), 'billing:update', :'o') AS any_action;
SELECT evaluate(format('[{"effect": "allow", "action": ["usage:report", "traces:report"], "resource": ["hrn:%1$s:project/%2$s", "hrn:%1$s:target/%3$s"]}]', :'o', :'d', :'c')::jsonb,
                'traces:report', :'o', :'b', :'c') AS resource_array_second,
       evaluate(format('[{"effect": "allow", "action": ["usage:report", "traces:report"], "resource": ["hrn:%1$s:project/%2$s", "hrn:%1$s:target/%3$s"]}]', :'o', :'d', :'c')::jsonb,
                'schema:compose', :'o', :'b', :'c') AS action_not_listed,
       evaluate(format('[{"effect": "deny", "action": "usage:*", "resource": "hrn:%1$s:target/%2$s"}, {"effect": "allow", "action": "*", "resource": "hrn:*:*"}]', :'o', :'c')::jsonb,
                'usage:report', :'o', :'b', :'c') AS deny_first_wins,
       evaluate(format('[{"effect": "allow", "action": "*", "resource": "hrn:*:*"}, {"effect": "deny", "action": "usage:*", "resource": "hrn:%1$s:target/%2$s"}]', :'o', :'c')::jsonb,
                'usage:report', :'o', :'b', :'c') AS deny_last_wins,
       evaluate(format('[{"effect": "allow", "action": "*", "resource": "hrn:*:*"}, {"effect": "deny", "action": "usage:*", "resource": "hrn:%1$s:target/%2$s"}]', :'o', :'c')::jsonb,
                'usage:report', :'o', :'b', :'d') AS deny_elsewhere_ignored,
       evaluate('[{"effect": "allow", "action": "*", "resource": []}]', 'organization:describe', :'o') AS empty_resource_list;
-- "*:<id>" matches every action with that id, whatever its scope (Hive's superadmin policy): in an
-- allow, and in a deny that takes describing away from one project only
SELECT evaluate(jsonb_build_array(pg_temp.st('allow', '*:describe', 'hrn:' || :'o' || ':*')), 'project:describe', :'o', :'b') AS any_describe_project,
       evaluate(jsonb_build_array(pg_temp.st('allow', '*:describe', 'hrn:' || :'o' || ':*')), 'member:describe', :'o') AS any_describe_member,
       evaluate(jsonb_build_array(pg_temp.st('allow', '*:describe', 'hrn:' || :'o' || ':*')), 'project:delete', :'o', :'b') AS not_delete;
SELECT evaluate(jsonb_build_array(pg_temp.st('allow', '*', 'hrn:' || :'o' || ':*'), pg_temp.st('deny', '*:describe', 'hrn:' || :'o' || ':project/' || :'b')),
                'project:describe', :'o', :'b') AS denied_describe,
       evaluate(jsonb_build_array(pg_temp.st('allow', '*', 'hrn:' || :'o' || ':*'), pg_temp.st('deny', '*:describe', 'hrn:' || :'o' || ':project/' || :'b')),
                'project:describe', :'o', :'c') AS other_project_describe,
       evaluate(jsonb_build_array(pg_temp.st('allow', '*', 'hrn:' || :'o' || ':*'), pg_temp.st('deny', '*:describe', 'hrn:' || :'o' || ':project/' || :'b')),
                'project:delete', :'o', :'b') AS delete_not_denied;
-- a "*:<id>" no permission has is a typo (Hive would never match it): an error, as is "*:*"
SELECT evaluate(jsonb_build_array(pg_temp.st('allow', '*:descibe', 'hrn:' || :'o' || ':*')), 'project:describe', :'o', :'b');
\echo :LAST_ERROR_SQLSTATE
SELECT evaluate(jsonb_build_array(pg_temp.st('deny', '*:*', 'hrn:' || :'o' || ':*')), 'project:describe', :'o', :'b');
-- statements resolved from a grant evaluate as the grant says (deny list included)
SELECT policy_statements('{usage:report,schemaVersion:publish}',
    format('{"mode": "*", "deny": [{"type": "project", "id": "%s"}]}', :'b')::jsonb, :'o') AS grant_statements \gset
SELECT evaluate(:'grant_statements', 'usage:report', :'o', :'c', :'d') AS other_project,
       evaluate(:'grant_statements', 'usage:report', :'o', :'b', :'d') AS denied_project,
       evaluate(:'grant_statements', 'schemaVersion:publish', :'o', :'c', :'d', 'products') AS service_action;
-- evaluated per row, the statements are compiled once per call site
SELECT count(*) FILTER (WHERE evaluate(:'grant_statements', 'usage:report', :'o', CASE WHEN g % 2 = 0 THEN :'b'::uuid ELSE :'c'::uuid END, :'d')) AS allowed_rows
  FROM generate_series(1, 1000) AS g;

-- Bad input: unknown actions are an error, not false; statements must be an array of statements.
SELECT evaluate('[]', 'usage:reprot', :'o', :'b', :'c');
\echo :LAST_ERROR_SQLSTATE
SELECT evaluate('{"effect": "allow"}', 'usage:report', :'o', :'b', :'c');
SELECT evaluate('[{"effect": "permit", "action": "*", "resource": "hrn:*:*"}]', 'usage:report', :'o', :'b', :'c');
SELECT evaluate('[{"effect": "allow", "action": "usage:reprot", "resource": "hrn:*:*"}]', 'usage:report', :'o', :'b', :'c');
SELECT evaluate('[{"effect": "allow", "action": "*", "resource": "hrn:*:team/x"}]', 'usage:report', :'o', :'b', :'c');
SELECT evaluate('[{"effect": "allow", "action": "*"}]', 'usage:report', :'o', :'b', :'c');
-- the action's level decides what must be given
SELECT evaluate('[]', 'usage:report', :'o', :'b');
SELECT evaluate('[]', 'project:describe', :'o');
SELECT evaluate('[]', 'schemaVersion:publish', :'o', :'b', :'c', 'a/b');
SELECT evaluate(NULL, 'usage:report', :'o', :'b', :'c') IS NULL AS null_statements;
RESET search_path;
