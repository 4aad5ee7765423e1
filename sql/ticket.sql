-- Tickets: how a Citus coordinator carries the transaction's principal to its workers
-- (docs/scale-out.md). Here one server plays both parts: hive_tokens.issue_tickets makes
-- authenticate() set the ticket, hive_tokens.accept_tickets makes a transaction without a
-- principal take the one the ticket carries. The checks a worker makes: the MAC under the server
-- key, the expiry, the database, role and transaction it was sealed for, and the token still
-- live. Without Citus a ticket is bound to the transaction that sealed it, which never takes
-- one; to hand it to another transaction as Citus hands it to a worker (whose transaction shares
-- the coordinator's distributed transaction id), the test-only module hive_tokens_selftest
-- re-seals it for that transaction (selftest_rebind_ticket, after every check a worker makes).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
DROP SCHEMA IF EXISTS hive CASCADE;
DROP ROLE IF EXISTS regress_ht_tapp;
DROP ROLE IF EXISTS regress_ht_tother;
\set ECHO none
\o /dev/null
\i sql/include/hive_model.sql
\o
\set ECHO all
RESET client_min_messages;
CREATE ROLE regress_ht_tapp;
CREATE ROLE regress_ht_tother;
CREATE FUNCTION public.selftest_rebind_ticket(text, text, text, text, text, text, timestamptz) RETURNS text
    AS 'hive_tokens_selftest' LANGUAGE C VOLATILE STRICT;
SELECT CASE WHEN current_setting('hive_tokens.key_file') = '' THEN current_setting('data_directory') || '/hive_tokens.key'
            WHEN current_setting('hive_tokens.key_file') LIKE '/%' THEN current_setting('hive_tokens.key_file')
            ELSE current_setting('data_directory') || '/' || current_setting('hive_tokens.key_file') END AS keyfile \gset
-- the transaction a ticket is bound to without Citus: the server's start, the backend's start
-- and pid, and the virtual transaction id
\set binding '(SELECT ''local:'' || (extract(epoch FROM pg_postmaster_start_time()) * 1000000)::int8 || '':'' || (extract(epoch FROM a.backend_start) * 1000000)::int8 || '':'' || a.pid || '':'' || l.virtualxid FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid WHERE l.locktype = ''virtualxid'' AND l.pid = pg_backend_pid())'
GRANT USAGE ON SCHEMA hive TO regress_ht_tapp, regress_ht_tother;
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA hive TO regress_ht_tapp, regress_ht_tother;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA hive TO regress_ht_tapp, regress_ht_tother;
GRANT EXECUTE ON FUNCTION hive_tokens.revoke(uuid) TO regress_ht_tapp;
-- (for the test's :binding, which reads this backend's start from pg_stat_activity as these roles)
GRANT pg_read_all_stats TO regress_ht_tapp, regress_ht_tother;
\set a1 '00000000-0000-4000-8000-0000000000a1'
\set a2 '00000000-0000-4000-8000-0000000000a2'
\set b2 '00000000-0000-4000-8000-0000000000b2'
-- A: organization 1 but project 2 (a deny list); B: organization 2
SELECT token AS "A", token_id AS "A_id" FROM hive_tokens.issue(:'a1', 'token A', '{project:describe}',
    format('{"mode": "*", "deny": [{"type": "project", "id": "%s"}]}', :'b2')::jsonb) \gset
SELECT token AS "B" FROM hive_tokens.issue(:'a2', 'token B', '{project:describe}') \gset

-- Only a superuser chooses whether tickets are issued or accepted, and for how long they last.
SET ROLE regress_ht_tapp;
SET hive_tokens.accept_tickets = on;
SET hive_tokens.issue_tickets = on;
SET hive_tokens.ticket_lifetime = 3600;
RESET ROLE;
SET hive_tokens.ticket_lifetime = 3600;  -- (the superuser may)

-- Without issue_tickets, authenticate() sets no ticket.
BEGIN;
SET LOCAL ROLE regress_ht_tapp;
SELECT hive_tokens.authenticate(:'A') = :'A_id' AS a;
SELECT current_setting('hive_tokens.ticket') = '' AS no_ticket;
ROLLBACK;

-- With it, the ticket is set for this transaction only (SET LOCAL).
SET hive_tokens.issue_tickets = on;
BEGIN;
SET LOCAL ROLE regress_ht_tapp;
SELECT hive_tokens.authenticate(:'A') = :'A_id' AS a;
SELECT current_setting('hive_tokens.ticket') ~ '^htk1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$' AS ticket_set;
SELECT current_setting('hive_tokens.ticket') AS "TA", :binding AS "BA" \gset
SELECT count(*) AS a_rows, array_agg(DISTINCT project_id) AS a_projects FROM hive.schema_versions;
COMMIT;
SELECT current_setting('hive_tokens.ticket') = '' AS gone_after_commit;
BEGIN;
SET LOCAL ROLE regress_ht_tapp;
SELECT hive_tokens.authenticate(:'B') IS NOT NULL AS b;
SELECT current_setting('hive_tokens.ticket') AS "TB", :binding AS "BB" \gset
COMMIT;
-- a member's ticket (act_as_member(), for the application's trusted role)
BEGIN;
SELECT hive_tokens.act_as_member(:'a1', '{project:describe,target:modifySettings}', NULL);
SELECT current_setting('hive_tokens.ticket') AS "TM", :binding AS "BM", current_user AS "RM" \gset
COMMIT;
-- a ticket that lives one second
SET hive_tokens.ticket_lifetime = 1;
BEGIN;
SET LOCAL ROLE regress_ht_tapp;
SELECT hive_tokens.authenticate(:'A') IS NOT NULL AS a;
SELECT current_setting('hive_tokens.ticket') AS "TS", :binding AS "BS", now() AS "NS" \gset
COMMIT;
SET hive_tokens.ticket_lifetime = 3600;
-- With Citus present but not sending SET LOCAL to its workers, a ticket would never reach them.
BEGIN;
SET LOCAL citus.propagate_set_commands = 'none';
SELECT hive_tokens.authenticate(:'A');
ROLLBACK;
RESET hive_tokens.issue_tickets;

-- The worker's side. accept_tickets off: a ticket is ignored.
BEGIN;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TA', :'keyfile', current_database(), 'regress_ht_tapp', :'BA', :binding, now()), true) IS NOT NULL AS handed;
SET LOCAL ROLE regress_ht_tapp;
SELECT count(*) AS rows_without_accept, hive_tokens.current_principal_kind() AS kind FROM hive.schema_versions;
ROLLBACK;
SET hive_tokens.accept_tickets = on;
-- A backend that publishes its statements (track_activities, or pg_stat_statements recording
-- utility statements) takes no ticket: other sessions of the role could have read it there.
SET client_min_messages = log;
BEGIN;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TA', :'keyfile', current_database(), 'regress_ht_tapp', :'BA', :binding, now()), true) IS NOT NULL AS handed;
SET LOCAL ROLE regress_ht_tapp;
SELECT count(*) AS published FROM hive.schema_versions;
ROLLBACK;
RESET client_min_messages;
SET track_activities = off;
-- A's ticket: exactly A's rows, A's token id, A's grants; the next transaction has none.
BEGIN;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TA', :'keyfile', current_database(), 'regress_ht_tapp', :'BA', :binding, now()), true) IS NOT NULL AS handed;
SET LOCAL ROLE regress_ht_tapp;
SELECT count(*) AS a_rows, array_agg(DISTINCT project_id) AS a_projects FROM hive.schema_versions;
SELECT hive_tokens.current_token_id() = :'A_id' AS a_id, hive_tokens.current_principal_kind() AS kind,
       hive_tokens.current_organization_id() AS org, hive_tokens.current_scopes() AS scopes,
       hive_tokens.denied_projects('project:describe') AS denied;
SELECT hive_tokens.can('project:describe', :'a1', :'b2') AS b2, hive_tokens.can('project:describe', :'a1', '00000000-0000-4000-8000-0000000000b1') AS b1;
-- a row it may not write is refused as under authenticate()
INSERT INTO hive.projects VALUES (gen_random_uuid(), :'a1', 'x');
ROLLBACK;
BEGIN;
SET LOCAL ROLE regress_ht_tapp;
SELECT count(*) AS next_transaction, hive_tokens.current_principal_kind() AS kind FROM hive.schema_versions;
ROLLBACK;
-- B's ticket: B's rows only
BEGIN;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TB', :'keyfile', current_database(), 'regress_ht_tapp', :'BB', :binding, now()), true) IS NOT NULL AS handed;
SET LOCAL ROLE regress_ht_tapp;
SELECT count(*) AS b_rows, array_agg(DISTINCT organization_id) AS b_orgs FROM hive.schema_versions;
ROLLBACK;
-- the member's ticket carries the member's grants (no token id; the superuser it was sealed for)
BEGIN;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TM', :'keyfile', current_database(), :'RM', :'BM', :binding, now()), true) IS NOT NULL AS handed;
SELECT hive_tokens.current_principal_kind() AS kind, hive_tokens.current_token_id() AS token,
       hive_tokens.can('target:modifySettings', :'a1', :'b2', '00000000-0000-4000-8000-0000000000c3') AS modify_c3,
       hive_tokens.can('project:describe', :'a2', '00000000-0000-4000-8000-0000000000b3') AS other_org;
ROLLBACK;

-- Refused tickets: no principal, no rows, one LOG line saying why (shown here with
-- client_min_messages), never the ticket.
SET client_min_messages = log;
-- altered: one character of the sealed body, or of the MAC
BEGIN;
SET LOCAL ROLE regress_ht_tapp;
-- (a character near the end of the body: inside the last field's bytes, whatever the lengths)
SELECT 5 + length(split_part(:'TA', '.', 2)) - 3 AS at \gset
SELECT set_config('hive_tokens.ticket', overlay(:'TA' placing
    CASE WHEN substr(:'TA', :at, 1) = 'Q' THEN 'R' ELSE 'Q' END from :at), true) IS NOT NULL AS altered;
SELECT count(*) AS altered_body FROM hive.schema_versions;
ROLLBACK;
BEGIN;
SET LOCAL ROLE regress_ht_tapp;
SELECT set_config('hive_tokens.ticket', overlay(:'TA' placing
    CASE WHEN substr(:'TA', length(:'TA') - 5, 1) = 'Q' THEN 'R' ELSE 'Q' END from length(:'TA') - 5), true) IS NOT NULL AS altered;
SELECT count(*) AS altered_mac FROM hive.schema_versions;
ROLLBACK;
-- one ticket's body with another's MAC
BEGIN;
SET LOCAL ROLE regress_ht_tapp;
SELECT set_config('hive_tokens.ticket', split_part(:'TB', '.', 1) || '.' || split_part(:'TB', '.', 2) || '.' || split_part(:'TA', '.', 3), true) IS NOT NULL AS spliced;
SELECT count(*) AS spliced FROM hive.schema_versions;
ROLLBACK;
-- not a ticket at all
BEGIN;
SET LOCAL ROLE regress_ht_tapp;
SET LOCAL hive_tokens.ticket = 'htk1.not-a-ticket';
SELECT count(*) AS garbage FROM hive.schema_versions;
ROLLBACK;
-- sealed for another role
BEGIN;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TA', :'keyfile', current_database(), 'regress_ht_tapp', :'BA', :binding, now()), true) IS NOT NULL AS handed;
SET LOCAL ROLE regress_ht_tother;
SELECT count(*) AS other_role FROM hive.schema_versions;
ROLLBACK;
-- expired
SELECT pg_sleep(1.2);
BEGIN;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TS', :'keyfile', current_database(), 'regress_ht_tapp', :'BS', :binding, :'NS'), true) IS NOT NULL AS handed;
SET LOCAL ROLE regress_ht_tapp;
SELECT count(*) AS expired FROM hive.schema_versions;
ROLLBACK;

-- replayed: a ticket as authenticate() sealed it, in another transaction (no re-sealing)
BEGIN;
SET LOCAL ROLE regress_ht_tapp;
SET LOCAL hive_tokens.ticket = :'TA';
SELECT count(*) AS replayed FROM hive.schema_versions;
ROLLBACK;
-- a ticket cannot be stored for later sessions or transactions
ALTER ROLE regress_ht_tapp SET hive_tokens.ticket = 'htk1.x.y';
RESET client_min_messages;

-- At most one principal, ever. A transaction that took a ticket cannot authenticate another
-- token, nor take another ticket, nor keep its principal once its ticket is reset.
BEGIN;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TA', :'keyfile', current_database(), 'regress_ht_tapp', :'BA', :binding, now()), true) IS NOT NULL AS handed;
SET LOCAL ROLE regress_ht_tapp;
SELECT hive_tokens.current_principal_kind() AS kind;
SELECT hive_tokens.authenticate(:'B');
ROLLBACK;
BEGIN;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TA', :'keyfile', current_database(), 'regress_ht_tapp', :'BA', :binding, now()), true) IS NOT NULL AS handed;
SET LOCAL ROLE regress_ht_tapp;
SELECT count(*) AS a_rows FROM hive.schema_versions;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TB', :'keyfile', current_database(), 'regress_ht_tapp', :'BB', :binding, now()), true) IS NOT NULL AS handed;
SELECT count(*) AS after_another_ticket, hive_tokens.current_principal_kind() AS kind FROM hive.schema_versions;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TA', :'keyfile', current_database(), 'regress_ht_tapp', :'BA', :binding, now()), true) IS NOT NULL AS handed;
SELECT count(*) AS same_ticket_again FROM hive.schema_versions;
ROLLBACK;
-- a ticket set in a savepoint that rolls back takes its principal with it, for good
BEGIN;
SET LOCAL ROLE regress_ht_tapp;
SAVEPOINT s;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TA', :'keyfile', current_database(), 'regress_ht_tapp', :'BA', :binding, now()), true) IS NOT NULL AS handed;
SELECT count(*) AS in_savepoint FROM hive.schema_versions;
ROLLBACK TO SAVEPOINT s;
SELECT count(*) AS after_rollback, hive_tokens.current_principal_kind() AS kind FROM hive.schema_versions;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TA', :'keyfile', current_database(), 'regress_ht_tapp', :'BA', :binding, now()), true) IS NOT NULL AS handed;
SELECT count(*) AS ticket_again FROM hive.schema_versions;
ROLLBACK;
-- a ticket set before the savepoint (as Citus sets it when the coordinator authenticated first):
-- the principal taken inside the savepoint stays after it rolls back
BEGIN;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TA', :'keyfile', current_database(), 'regress_ht_tapp', :'BA', :binding, now()), true) IS NOT NULL AS handed;
SET LOCAL ROLE regress_ht_tapp;
SAVEPOINT s;
SELECT count(*) AS in_savepoint FROM hive.schema_versions;
ROLLBACK TO SAVEPOINT s;
SELECT count(*) AS after_rollback FROM hive.schema_versions;
COMMIT;
-- a principal from a ticket checks rows; it manages nothing (tokens are managed on the coordinator)
BEGIN;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TA', :'keyfile', current_database(), 'regress_ht_tapp', :'BA', :binding, now()), true) IS NOT NULL AS handed;
SET LOCAL ROLE regress_ht_tapp;
SELECT hive_tokens.current_principal_kind() AS kind;
SELECT hive_tokens.revoke(:'A_id');
ROLLBACK;

-- A revoked token's ticket is refused, however long it had left.
SELECT hive_tokens.revoke(:'A_id') AS revoked;
SET client_min_messages = log;
BEGIN;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TA', :'keyfile', current_database(), 'regress_ht_tapp', :'BA', :binding, now()), true) IS NOT NULL AS handed;
SET LOCAL ROLE regress_ht_tapp;
SELECT count(*) AS revoked FROM hive.schema_versions;
ROLLBACK;
RESET client_min_messages;
RESET hive_tokens.accept_tickets;

-- protect() on a table Citus distributes writes the same condition with plain calls instead of
-- scalar subqueries, IS TRUE and IS NOT NULL (Citus cannot propagate those in a policy). The two
-- forms admit the same rows.
SELECT hive_tokens_internal.policy_expression('project:describe', 'organization_id', 'project_id', 'target_id', 'service_name', true) AS distributed_form;
SELECT hive_tokens_internal.policy_expression('project:describe', 'organization_id', 'project_id', 'target_id', 'service_name', false)
     = hive_tokens.policy_expression('project:describe', 'organization_id', 'project_id', 'target_id', 'service_name') AS public_is_plain_form;
SELECT hive_tokens_internal.policy_expression('usage:report', 'organization_id', 'project_id', 'target_id', NULL, true) AS distributed_form;
-- a service-level action (per-row checks of service names) on two copies of a table: one
-- protected as usual, one with the distributed form
CREATE TABLE hive.plain_versions (LIKE hive.schema_versions INCLUDING ALL);
CREATE TABLE hive.dist_versions (LIKE hive.schema_versions INCLUDING ALL);
INSERT INTO hive.plain_versions SELECT * FROM hive.schema_versions;
INSERT INTO hive.dist_versions SELECT * FROM hive.schema_versions;
SELECT hive_tokens.protect(t, 'schemaVersion:publish', 'schemaVersion:publish',
    project_column => 'project_id', target_column => 'target_id', name_column => 'service_name')
  FROM unnest(ARRAY['hive.plain_versions', 'hive.dist_versions']::regclass[]) AS t;
DO $$
BEGIN
    EXECUTE 'DROP POLICY hive_tokens_select ON hive.dist_versions';
    EXECUTE format('CREATE POLICY hive_tokens_select ON hive.dist_versions FOR SELECT USING (%s)',
        hive_tokens_internal.policy_expression('schemaVersion:publish', 'organization_id', 'project_id', 'target_id', 'service_name', true));
END $$;
SELECT pg_get_expr(polqual, polrelid) !~ 'SELECT' AS no_subquery FROM pg_policy WHERE polrelid = 'hive.dist_versions'::regclass AND polname = 'hive_tokens_select';
GRANT SELECT ON hive.plain_versions, hive.dist_versions TO regress_ht_tapp;
-- C: project 1 whole; in project 2, target 3's service "reviews" only
SELECT token AS "C" FROM hive_tokens.issue(:'a1', 'token C', '{project:describe,schemaVersion:publish}',
    format('{"mode": "granular", "projects": [{"type": "project", "id": "00000000-0000-4000-8000-0000000000b1", "targets": {"mode": "*"}},
        {"type": "project", "id": "%s", "targets": {"mode": "granular", "targets": [
        {"type": "target", "id": "00000000-0000-4000-8000-0000000000c3", "services": {"mode": "granular", "services": [{"type": "service", "serviceName": "reviews"}]}, "appDeployments": {"mode": "*"}}]}}]}', :'b2')::jsonb) \gset
BEGIN;
SET LOCAL hive_tokens.issue_tickets = on;
SET LOCAL ROLE regress_ht_tapp;
SELECT hive_tokens.authenticate(:'C') IS NOT NULL AS c;
SELECT (SELECT array_agg(id ORDER BY id) FROM hive.plain_versions) = (SELECT array_agg(id ORDER BY id) FROM hive.dist_versions) AS same_rows,
       (SELECT array_agg(target_id || ' ' || service_name ORDER BY id) FROM hive.dist_versions) AS c_rows;
SELECT current_setting('hive_tokens.ticket') AS "TC", :binding AS "BC" \gset
ROLLBACK;
-- a row without a project is admitted by neither form, even to an organization-wide grant
CREATE TABLE hive.loose_versions (organization_id uuid NOT NULL, project_id uuid, target_id uuid, service_name text);
INSERT INTO hive.loose_versions VALUES (:'a2', NULL, NULL, 'x'), (:'a2', '00000000-0000-4000-8000-0000000000b3', '00000000-0000-4000-8000-0000000000c4', 'x');
ALTER TABLE hive.loose_versions ENABLE ROW LEVEL SECURITY;
SELECT format('CREATE POLICY p ON hive.loose_versions USING (%s)',
    hive_tokens_internal.policy_expression('usage:report', 'organization_id', 'project_id', 'target_id', NULL, true)) \gexec
GRANT SELECT ON hive.loose_versions TO regress_ht_tapp;
SELECT token AS "U" FROM hive_tokens.issue(:'a2', 'token U', '{usage:report}') \gset
BEGIN;
SET LOCAL ROLE regress_ht_tapp;
SELECT hive_tokens.authenticate(:'U') IS NOT NULL AS u;
SELECT count(*) AS u_rows, count(project_id) AS with_project FROM hive.loose_versions;
ROLLBACK;
-- the same rows through C's ticket: a granular grant survives the trip
BEGIN;
SET LOCAL hive_tokens.accept_tickets = on;
SELECT set_config('hive_tokens.ticket', public.selftest_rebind_ticket(:'TC', :'keyfile', current_database(), 'regress_ht_tapp', :'BC', :binding, now()), true) IS NOT NULL AS handed;
SET LOCAL ROLE regress_ht_tapp;
SELECT (SELECT array_agg(id ORDER BY id) FROM hive.plain_versions) = (SELECT array_agg(id ORDER BY id) FROM hive.dist_versions) AS same_rows,
       (SELECT array_agg(target_id || ' ' || service_name ORDER BY id) FROM hive.dist_versions) AS c_rows_by_ticket;
ROLLBACK;

-- Under Citus a ticket is bound to the global pid of the backend that sealed it, which Citus
-- reads from application_name ("citus_internal gpid=<n>") and stamps into every connection it
-- opens. Only a superuser (or a startup packet, which pg_hba.conf admits) may claim such a name:
-- a session of the application's role cannot pose as another backend.
SET ROLE regress_ht_tapp;
SET application_name = 'citus_internal gpid=10000000042';
SELECT set_config('application_name', 'citus_run_command gpid=10000000042', false);
BEGIN;
SET LOCAL application_name = 'citus_rebalancer gpid=10000000042';
ROLLBACK;
ALTER ROLE regress_ht_tapp SET application_name = 'citus_internal gpid=10000000042';
SET application_name = 'citus_internal report';  -- no global pid: any name not claiming one is fine
SHOW application_name;
RESET application_name;
RESET ROLE;
SET application_name = 'citus_internal gpid=10000000042';  -- a superuser may (Citus's own run_command_on_*)
SHOW application_name;
RESET application_name;

DROP SCHEMA hive CASCADE;
REVOKE EXECUTE ON FUNCTION hive_tokens.revoke(uuid) FROM regress_ht_tapp;
DROP ROLE regress_ht_tapp;
DROP ROLE regress_ht_tother;
DROP FUNCTION public.selftest_rebind_ticket(text, text, text, text, text, text, timestamptz);
