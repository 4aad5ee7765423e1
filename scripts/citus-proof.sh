#!/usr/bin/env bash
# The proof of Citus tickets on a real cluster (docs/scale-out.md): a coordinator and two workers
# on this machine, the extension and one key file on all three, the token tables replicated from
# the coordinator to the workers by logical replication, two co-located tables distributed by
# organization and protected with protect(). As a login role that owns nothing and lacks
# BYPASSRLS, it checks what the tickets must guarantee and prints "N passed, N failed".
#
# Not part of the test command: Citus has no Debian package. Needs, as root, a PostgreSQL 15
# with Citus installed (CITUS_PG_BIN, its bin directory; docs/scale-out.md says how to build
# one). It installs this checkout's extension there (make install with that pg_config).
#   CITUS_PG_BIN=/opt/pgcitus/usr/lib/postgresql/15/bin bash scripts/citus-proof.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGBIN=${CITUS_PG_BIN:?set CITUS_PG_BIN to the bin directory of a PostgreSQL 15 with Citus}
R=${CITUS_PROOF_DIR:-/tmp/hive_tokens_citus_proof}
PORT=${CITUS_PROOF_PORT:-56701}  # coordinator; workers +1, +2; a server of its own +3
[ "$(id -u)" = 0 ] || { echo "run as root (servers run as the postgres OS user)" >&2; exit 2; }
[ -x "$PGBIN/pg_config" ] || { echo "$PGBIN/pg_config not found" >&2; exit 2; }
ls "$("$PGBIN/pg_config" --pkglibdir)/citus.so" >/dev/null || exit 2

echo "== installing the extension into $("$PGBIN/pg_config" --pkglibdir)"
make -s -C "$root" PG_CONFIG="$PGBIN/pg_config" install >/dev/null

stop_all() {
    for n in coord w1 w2 other; do
        [ -f "$R/$n/postmaster.pid" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$R/$n" -m immediate -w stop >/dev/null 2>&1
    done
    return 0
}
stop_all
rm -rf "$R"
mkdir -p "$R"
chown postgres "$R"
[ -n "${CITUS_PROOF_KEEP:-}" ] || trap stop_all EXIT

# psql on a node: q PORT [psql args]
q() { local port=$1; shift; runuser -u postgres -- timeout 120 "$PGBIN/psql" -X -q -h "$R" -p "$port" -d postgres "$@"; }
w1=$((PORT + 1)) w2=$((PORT + 2)) other=$((PORT + 3))

echo "== three nodes (coordinator $PORT, workers $w1 and $w2) and a server of its own ($other)"
runuser -u postgres -- bash -c "umask 077; printf '1 %s\n' \$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') > $R/cluster.key"
runuser -u postgres -- bash -c "umask 077; printf '2 %s\n' \$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') > $R/other.key"
for n in coord:$PORT w1:$w1 w2:$w2 other:$other; do
    name=${n%%:*} port=${n##*:}
    runuser -u postgres -- "$PGBIN/initdb" -D "$R/$name" -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    {
        echo "port = $port"
        echo "listen_addresses = 'localhost'"
        echo "unix_socket_directories = '$R'"
        echo "fsync = off"
        echo "max_connections = 60"
        echo "wal_level = logical"
        case $name in
            coord) echo "shared_preload_libraries = 'citus,hive_tokens'"
                   echo "track_activities = off"  # it holds reference-table placements: tickets may reach it
                   echo "hive_tokens.key_file = '$R/cluster.key'"
                   echo "hive_tokens.issue_tickets = on"
                   echo "citus.propagate_set_commands = 'local'" ;;
            w1|w2) echo "shared_preload_libraries = 'citus,hive_tokens'"
                   echo "hive_tokens.key_file = '$R/cluster.key'"
                   echo "hive_tokens.accept_tickets = on"
                   echo "track_activities = off"  # a worker that publishes its statements takes no ticket
                   echo "log_statement = 'all'" ;;  # the tickets Citus sends are logged, masked
            other) echo "shared_preload_libraries = 'hive_tokens'"
                   echo "hive_tokens.key_file = '$R/other.key'"
                   echo "hive_tokens.issue_tickets = on" ;;
        esac
    } >>"$R/$name/postgresql.conf"
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$R/$name" -l "$R/$name.log" -w start >/dev/null
    if [ "$name" = other ]; then
        q "$port" -c "CREATE EXTENSION hive_tokens"
    else
        q "$port" -c "CREATE EXTENSION citus" -c "CREATE EXTENSION hive_tokens"
    fi
done
q "$PORT" -c "SELECT citus_set_coordinator_host('localhost', $PORT)" \
    -c "SELECT citus_add_node('localhost', $w1)" -c "SELECT citus_add_node('localhost', $w2)" >/dev/null

echo "== the token tables replicated to the workers"
q "$PORT" -c "CREATE PUBLICATION hive_tokens_tables FOR TABLE hive_tokens.access_tokens, hive_tokens.revoked_tokens, hive_tokens.expiry_policies"
for port in $w1 $w2; do
    q "$port" -c "CREATE SUBSCRIPTION hive_tokens_tables_$port CONNECTION 'host=localhost port=$PORT dbname=postgres user=postgres' PUBLICATION hive_tokens_tables" 2>/dev/null
done

echo "== two distributed, co-located tables, protected"
q "$PORT" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE ROLE app LOGIN;
CREATE SCHEMA app;
CREATE TABLE app.projects (organization_id uuid NOT NULL, id uuid NOT NULL, name text NOT NULL,
    PRIMARY KEY (organization_id, id));
CREATE TABLE app.schema_versions (organization_id uuid NOT NULL, id bigserial, project_id uuid NOT NULL,
    target_id uuid NOT NULL, service_name text NOT NULL, sdl text NOT NULL, PRIMARY KEY (organization_id, id));
SELECT create_distributed_table('app.projects', 'organization_id');
SELECT create_distributed_table('app.schema_versions', 'organization_id', colocate_with => 'app.projects');
-- organizations ...a1 and ...a2, projects ...b<org><n>, targets ...c<org><n><t>, two services each
INSERT INTO app.projects
  SELECT ('00000000-0000-4000-8000-0000000000a' || o)::uuid, ('00000000-0000-4000-8000-000000000b' || o || p)::uuid, 'p' || o || p
    FROM generate_series(1, 2) AS o, generate_series(1, 2) AS p;
INSERT INTO app.schema_versions (organization_id, project_id, target_id, service_name, sdl)
  SELECT p.organization_id, p.id, ('00000000-0000-4000-8000-00000000c' || substr(p.id::text, 35, 2) || t)::uuid, s, 'type Query { x: Int }'
    FROM app.projects AS p, generate_series(1, 2) AS t, unnest(ARRAY['products', 'reviews']) AS s;
SELECT hive_tokens.protect('app.projects', 'project:describe', 'project:modifySettings', project_column => 'id');
SELECT hive_tokens.protect('app.schema_versions', 'project:describe', 'schemaVersion:publish',
    project_column => 'project_id', target_column => 'target_id', name_column => 'service_name');
GRANT USAGE ON SCHEMA app TO app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA app TO app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA app TO app;
SQL

# The coordinator's hardening docs/scale-out.md asks for: the application role may not take
# another transaction's distributed id, nor run SQL on the workers, nor read their queries.
# (authenticate() refuses to seal tickets until the first two hold; checked below.)
harden_sql="DO \$\$ DECLARE f regprocedure; BEGIN
  FOR f IN SELECT p.oid FROM pg_proc AS p WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname IN
      ('assign_distributed_transaction_id', 'run_command_on_workers', 'run_command_on_all_nodes', 'run_command_on_coordinator',
       'run_command_on_shards', 'run_command_on_placements', 'run_command_on_colocated_placements', 'master_run_on_worker',
       'citus_stat_activity', 'citus_dist_stat_activity', 'citus_worker_stat_activity') LOOP
    EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
  END LOOP;
  REVOKE SELECT ON citus_stat_activity, citus_dist_stat_activity FROM PUBLIC;
END \$\$"

issue() { q "$PORT" -Atc "SELECT token FROM hive_tokens.issue($1)"; }
A=$(issue "'00000000-0000-4000-8000-0000000000a1', 'token A', '{project:describe}', '{\"mode\": \"*\", \"deny\": [{\"type\": \"project\", \"id\": \"00000000-0000-4000-8000-000000000b12\"}]}'")
B=$(issue "'00000000-0000-4000-8000-0000000000a2', 'token B', '{project:describe}'")
W=$(issue "'00000000-0000-4000-8000-0000000000a2', 'token W', '{project:describe,schemaVersion:publish}'")
# a ticket for role app sealed by another server (another key)
q "$other" -c "CREATE ROLE app"
O=$(q "$other" -Atc "SELECT token FROM hive_tokens.issue('00000000-0000-4000-8000-0000000000a2', 'token O', '{project:describe}')")
FOREIGN=$(q "$other" -At -c "BEGIN" -c "SET LOCAL ROLE app" -c "SELECT FROM hive_tokens.authenticate('$O')" \
    -c "SELECT current_setting('hive_tokens.ticket')" -c "COMMIT" | grep '^htk1\.')
for i in $(seq 1 50); do  # the workers have the tokens once the subscriptions have copied them
    [ "$(q "$w1" -Atc 'SELECT count(*) FROM hive_tokens.access_tokens')$(q "$w2" -Atc 'SELECT count(*) FROM hive_tokens.access_tokens')" = 33 ] && break
    sleep 0.2
done

passed=0 failed=0
check() {  # check NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then
        passed=$((passed + 1)); echo "ok - $1: $3"
    else
        failed=$((failed + 1)); echo "not ok - $1: expected '$2', got '$3'"
    fi
}
# app SQL: runs SQL (psql input, with variables :A, :B, :W) as the role app through the coordinator;
# prints its unaligned output, one value per line
app() { printf '%s\n' "$1" | q "$PORT" -U app -At -v A="$A" -v B="$B" -v W="$W" -v f="$FOREIGN" -f - 2>&1; }
line() { sed -n "${1}p"; }
all='SELECT count(*) FROM app.schema_versions;'
router="SELECT count(*) FROM app.schema_versions WHERE organization_id = '00000000-0000-4000-8000-0000000000a1';"
auth() { printf '%s\n' "BEGIN;" "SELECT hive_tokens.authenticate(:'$1') \\g /dev/null" ";"; }  # ends with ";": what follows joins its line
# what a session connecting to a worker directly runs with a ticket it read (:t)
printf '%s\n' "BEGIN;" "SET LOCAL hive_tokens.ticket = :'t';" "$all" "COMMIT;" >"$R/direct.sql"
chown postgres "$R/direct.sql"

echo "== checks"
check "authenticate() refuses to seal a ticket while the role could escape its transaction" \
    "hive_tokens.issue_tickets needs a role that cannot run SQL on the workers nor take another transaction's id" \
    "$(printf '%s\n' "BEGIN;" "SELECT hive_tokens.authenticate(:'A');" | q "$PORT" -U app -At -v A="$A" -f - 2>&1 | grep -o 'hive_tokens.issue_tickets needs a role[^"]*id' | head -n 1)"
q "$PORT" -c "$harden_sql"
check "no principal, multi-shard" 0 "$(app "$all")"
check "no principal, router" 0 "$(app "$router")"
check "token A, multi-shard: only a1's project b11 (b12 denied)" "4 {00000000-0000-4000-8000-000000000b11}" \
    "$(app "$(auth A) SELECT count(*) || ' ' || array_agg(DISTINCT project_id)::text FROM app.schema_versions; COMMIT;" | line 1)"
check "token A, router" 4 "$(app "$(auth A) $router COMMIT;" | line 1)"
check "token A, router to the other organization" 0 \
    "$(app "$(auth A) SELECT count(*) FROM app.schema_versions WHERE organization_id = '00000000-0000-4000-8000-0000000000a2'; COMMIT;" | line 1)"
check "token A, a co-located join" 4 \
    "$(app "$(auth A) SELECT count(*) FROM app.schema_versions AS v JOIN app.projects AS p ON p.organization_id = v.organization_id AND p.id = v.project_id; COMMIT;" | line 1)"
check "token B, multi-shard: a2's rows" "8 {00000000-0000-4000-8000-0000000000a2}" \
    "$(app "$(auth B) SELECT count(*) || ' ' || array_agg(DISTINCT organization_id)::text FROM app.schema_versions; COMMIT;" | line 1)"
check "the next transaction on the same, reused worker connections" "8 0" \
    "$(app "$(auth B) $all COMMIT; $all" | paste -sd' ')"
check "a ticket replayed in a later transaction (same role, not expired)" "8 0 0" \
    "$(app "$(auth B)
SELECT current_setting('hive_tokens.ticket') AS t \gset
$all COMMIT;
BEGIN; SET LOCAL hive_tokens.ticket = :'t';
$all $router COMMIT;" | paste -sd' ')"
check "an altered ticket (one character of its MAC)" 0 \
    "$(app "$(auth B)
SELECT length(current_setting('hive_tokens.ticket')) - 10 AS at \gset
SELECT overlay(current_setting('hive_tokens.ticket') placing CASE WHEN substr(current_setting('hive_tokens.ticket'), :at, 1) = 'Q' THEN 'R' ELSE 'Q' END from :at) AS t \gset
SET LOCAL hive_tokens.ticket = :'t';
$all COMMIT;")"
check "a ticket sealed by another server for this role" 0 "$(app "BEGIN; SET LOCAL hive_tokens.ticket = :'f'; $all COMMIT;")"
check "a live transaction's ticket used on a worker directly" "8 0" \
    "$(app "$(auth B) $all
SELECT current_setting('hive_tokens.ticket') AS t \gset
\o $R/ticket.txt
\qecho :t
\o
\! $PGBIN/psql -X -q -At -h $R -p $w1 -d postgres -U app -v t=\"\$(cat $R/ticket.txt)\" -f $R/direct.sql
COMMIT;" | paste -sd' ')"
check "the role cannot take another transaction's distributed id on the coordinator" 1 \
    "$(app "BEGIN; SELECT assign_distributed_transaction_id(0, 1, now()); ROLLBACK;" | grep -c 'permission denied for function assign_distributed_transaction_id')"
check "nor use run_command_on_workers" 1 \
    "$(app "SELECT run_command_on_workers('SELECT 1');" | grep -c 'permission denied for function run_command_on_workers')"
check "nor read the workers' queries" 1 "$(app "SELECT count(*) FROM citus_stat_activity;" | grep -c 'permission denied')"
# The fourth review's attack: a ticket is bound to the global pid of the coordinator backend that
# sealed it, which Citus reads from application_name ("citus_internal gpid=<n>") and stamps into
# the connections a backend opens. A session that could claim another backend's global pid there
# would open worker connections the victim's tickets match. hive_tokens refuses that name from
# roles other than superusers on every node.
claim="'citus_internal gpid=10000000001'"
check "nor claim another backend's Citus global pid on the coordinator (SET, set_config, ALTER ROLE)" 3 \
    "$(app "SET application_name = $claim; SELECT set_config('application_name', $claim, false);
ALTER ROLE app SET application_name = $claim;" | grep -c 'is reserved for Citus.s own connections')"
in_shard="SELECT c.n FROM (SELECT set_config('application_name', $claim, false) AS s) AS x CROSS JOIN LATERAL
  (SELECT count(*) AS n FROM app.projects WHERE organization_id = '00000000-0000-4000-8000-0000000000a2' AND x.s IS NOT NULL) AS c;"
check "nor on a worker, from inside a distributed query" 1 \
    "$(app "$in_shard" | grep -A 2 'is reserved for Citus.s own connections' | grep -c 'while executing command on localhost')"
# A victim holds its transaction open and, standing in for a leak, hands its ticket, global pid and
# distributed transaction id over; another session of the role claims the transaction id on a worker
# (assign_distributed_transaction_id stays callable there) and sets the ticket, inside one
# distributed query, then reads. Only the global pid tells them apart, and it cannot claim that.
printf '%s\n' "BEGIN;" "SELECT hive_tokens.authenticate(:'B') \\g /dev/null" "$all" \
    "SELECT current_setting('hive_tokens.ticket') || '|' || citus_backend_gpid() || '|' || t.initiator_node_identifier || '|' || t.transaction_number || '|' || t.transaction_stamp FROM get_current_transaction_id() AS t \\g $R/handed.txt" \
    "SELECT pg_sleep(4);" "COMMIT;" >"$R/victim.sql"
replay="SELECT c.n FROM (SELECT assign_distributed_transaction_id(:vi, :vn, :'vs')::text AS a,
    set_config('hive_tokens.ticket', :'vt', true) AS s) AS x CROSS JOIN LATERAL
  (SELECT count(*) AS n FROM app.schema_versions WHERE organization_id = '00000000-0000-4000-8000-0000000000a2'
     AND x.s IS NOT NULL AND x.a IS NOT NULL) AS c;"
chown postgres "$R/victim.sql"
handed() {  # handed ROLE SQL: SQL run by ROLE (:vt, :vi, :vn, :vs, :forged) while a victim holds its ticket
    rm -f "$R/handed.txt"
    q "$PORT" -U app -At -v B="$B" -f "$R/victim.sql" >/dev/null 2>&1 &
    for i in $(seq 1 50); do [ -s "$R/handed.txt" ] && break; sleep 0.1; done
    local vt vg vi vn vs
    IFS='|' read -r vt vg vi vn vs <"$R/handed.txt"
    printf '%s\n' "$2" | q "$PORT" -U "$1" -At -v vt="$vt" -v vi="$vi" -v vn="$vn" -v vs="$vs" \
        -v forged="citus_internal gpid=$vg" -f - 2>&1
    wait
}
a2_shard=$(q "$PORT" -Atc "SELECT shard_name('app.schema_versions'::regclass, get_shard_id_for_distribution_column('app.schema_versions', '00000000-0000-4000-8000-0000000000a2'))")
claim_forged="SET application_name = :'forged'; SET citus.allow_nested_distributed_execution = on; SET ROLE app;"
# Citus sends the whole text of a multi-statement query that contains a SET LOCAL to the workers,
# where it runs at top level as the role (any SQL, whatever the coordinator revokes): the strongest
# position a session of the role has on a worker. Reads the victim's shard there and reports.
on_worker="BEGIN;
SELECT count(*) FROM app.schema_versions WHERE organization_id = '00000000-0000-4000-8000-0000000000a2' \\g /dev/null
SET LOCAL work_mem = '5MB' \\; COMMIT \\; BEGIN \\; SELECT assign_distributed_transaction_id(:vi, :vn, :'vs') \\;
  SET LOCAL hive_tokens.ticket = :'vt' \\; DO \$\$ BEGIN RAISE EXCEPTION 'on the worker: % rows, principal %',
  (SELECT count(*) FROM $a2_shard), coalesce(hive_tokens.current_principal_kind(), 'none'); END \$\$;
ROLLBACK;"
check "a ticket handed to another session of the role, replayed on a worker in the victim's transaction id" 0 \
    "$(handed app "$replay" | tail -n 1)"
check "the same replay by a superuser who claims the victim's global pid (what the refusal keeps from the role)" 8 \
    "$(handed postgres "$claim_forged $replay" | tail -n 1)"
check "arbitrary SQL on the worker (Citus propagates a SET LOCAL's whole query text): the victim's transaction and ticket" \
    "0 rows, principal none" "$(handed app "$on_worker" | grep -o '[0-9]* rows, principal [a-z]*')"
check "the same by a superuser who claims the victim's global pid" "8 rows, principal token" \
    "$(handed postgres "$claim_forged $on_worker" | grep -o '[0-9]* rows, principal [a-z]*')"
# A role that can create objects (or owns functions) could plant a function its own search_path
# finds before the one Citus calls by an unqualified name at the start of every worker
# transaction, right after the SET LOCAL carrying the ticket: it would run in other sessions'
# worker transactions with their principal (found by the fifth review). The coordinator refuses
# to seal, a worker refuses tickets.
q "$PORT" -c "GRANT CREATE ON SCHEMA app TO app" >/dev/null
check "a role that may create objects: authenticate() refuses to seal a ticket" 1 \
    "$(app "$(auth B) ROLLBACK;" | grep -c 'needs a role that owns no functions and can create no objects')"
q "$PORT" -c "REVOKE CREATE ON SCHEMA app FROM app" >/dev/null
q "$PORT" -c "CREATE FUNCTION app.owned() RETURNS int LANGUAGE sql AS 'SELECT 1'" -c "ALTER FUNCTION app.owned() OWNER TO app" >/dev/null
check "nor while it owns a function (which it may replace)" 1 \
    "$(app "$(auth B) ROLLBACK;" | grep -c 'Role app owns 1 function(s), such as owned()')"
q "$PORT" -c "ALTER FUNCTION app.owned() OWNER TO pg_monitor" -c "GRANT pg_monitor TO app" >/dev/null
check "nor while a predefined role it may become owns one" 1 \
    "$(app "$(auth B) ROLLBACK;" | grep -c 'Role app owns 1 function(s), such as owned()')"
q "$PORT" -c "REVOKE pg_monitor FROM app" -c "DROP FUNCTION app.owned()" >/dev/null
q "$w2" -c "SET citus.enable_ddl_propagation = off" -c "CREATE SCHEMA planted AUTHORIZATION app" >/dev/null  # on one worker only (a2's rows live there)
check "a worker where the role may create objects refuses tickets" 0 "$(app "$(auth B) $all COMMIT;")"
q "$w2" -c "SET citus.enable_ddl_propagation = off" -c "DROP SCHEMA planted" >/dev/null
check "and takes them again once it may not" 8 "$(app "$(auth B) $all COMMIT;")"
# The fifth review's plant: a pooled connection serves many clients, and what one leaves in the
# session (here a temporary domain found before pg_catalog.text) would run in the next one's
# transaction with its principal; on the coordinator authenticate() refuses such a session, and
# a worker backend holding such objects (left there through Citus's propagation of a
# multi-statement SET LOCAL query, which also runs on the coordinator, where it is dropped
# again) takes no ticket.
check "a session holding a temporary object: authenticate() refuses it" 1 \
    "$(app "CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (VALUE IS NOT NULL);
$(auth B) ROLLBACK;" | grep -c 'authenticate() refuses a session that holds 1 temporary object(s) (type text)')"
check "a worker backend holding one takes no ticket; the same session reads again once it is gone" "0 8" \
    "$(app "BEGIN;
SELECT count(*) FROM app.schema_versions WHERE organization_id = '00000000-0000-4000-8000-0000000000a2' \\g /dev/null
SET LOCAL work_mem = '5MB' \\; CREATE TEMP TABLE planted (x int);
DROP TABLE pg_temp.planted;
COMMIT;
$(auth B) $all COMMIT;
BEGIN;
SELECT count(*) FROM app.schema_versions WHERE organization_id = '00000000-0000-4000-8000-0000000000a2' \\g /dev/null
SET LOCAL work_mem = '5MB' \\; DISCARD TEMP;
COMMIT;
$(auth B) $all COMMIT;" | paste -sd' ')"
# A victim holds a transaction open after a distributed read, so its worker backends sit idle in
# transaction with Citus's last command (the one carrying its ticket) as their statement; the
# attacker, another session of the role without a token, looks for tickets from inside a
# distributed query (a function call Citus runs on the worker, where revoking it on the
# coordinator does not reach: found by review).
victim() { app "$(auth B) $all SELECT pg_sleep(4); COMMIT;" >/dev/null & sleep 1.5; }
peek="SELECT count(*) || ' ' || (SELECT count(*) FROM pg_stat_get_activity(NULL::int) AS a WHERE a.query LIKE '%htk1.%')
        FROM app.projects WHERE organization_id = '00000000-0000-4000-8000-0000000000a2';"
exposed() { for port in $w1 $w2; do q "$port" -c "ALTER SYSTEM SET track_activities = $1" -c "SELECT pg_reload_conf()" >/dev/null; done; sleep 0.5; }
exposed on
victim
check "workers that publish their statements: a session of the role can read a ticket there" 1 \
    "$(app "$peek" | awk '{print ($2 > 0)}')"
wait
check "and such a worker refuses tickets (fail closed)" 0 "$(app "$(auth B) $all COMMIT;")"
exposed off
victim
check "with track_activities off (as configured), no ticket can be read on the workers" "0 0" "$(app "$peek")"
wait
# The third review's attack: a session of the role sets citus.enable_local_execution = off for
# the role (any role may, on itself), so that Citus would reach the coordinator's copy of a
# reference table over a connection to itself and the coordinator would publish that statement,
# ticket included, for the attacker to catch and replay. authenticate() now refuses to seal a
# ticket where it would travel that way (and while a node holding placements publishes its
# statements): the victim gets an error, the attacker nothing.
q "$PORT" -c "CREATE TABLE app.settings (organization_id uuid, k text)" -c "SELECT create_reference_table('app.settings')" \
    -c "GRANT SELECT ON app.settings TO app" >/dev/null
app "ALTER ROLE app SET citus.enable_local_execution = off;" >/dev/null
(for i in $(seq 1 20); do app "$(auth B) SELECT count(*) FROM app.settings; ROLLBACK;" >>"$R/victims.out"; done) &
caught=$(app "DO \$\$ DECLARE t text; BEGIN
  FOR i IN 1..100000 LOOP
    PERFORM pg_stat_clear_snapshot();
    SELECT substring(a.query from 'htk1\.[A-Za-z0-9_.-]+') INTO t FROM pg_stat_get_activity(NULL::int) AS a
     WHERE a.query LIKE '%htk1.%' AND a.pid <> pg_backend_pid() LIMIT 1;
    IF t IS NOT NULL THEN RAISE NOTICE 'caught=%', t; RETURN; END IF;
  END LOOP; END \$\$;" | grep -o 'caught=htk1[A-Za-z0-9_.-]*' | head -n 1 | cut -d= -f2 || true)
wait
check "with local execution off, authenticate() refuses to seal a ticket (the victims)" 20 \
    "$(grep -c 'citus.enable_local_execution is off' "$R/victims.out" || true)"
check "and a session of the role catches no ticket on the coordinator" "" "$caught"
app "ALTER ROLE app RESET citus.enable_local_execution;" >/dev/null
check "with it on, as by default, the reference table reads under a ticket" 0 \
    "$(app "$(auth B) SELECT count(*) FROM app.settings; COMMIT;")"
check "an expired ticket (lifetime 1 s, first distributed read after 1.5 s)" 0 \
    "$(printf '%s\n' "SET hive_tokens.ticket_lifetime = 1;" "BEGIN;" "SET LOCAL ROLE app;" "SELECT hive_tokens.authenticate(:'A') \\g /dev/null" \
        "SELECT pg_sleep(1.5) \\g /dev/null" "$all" "COMMIT;" | q "$PORT" -At -v A="$A" -f - 2>&1)"
check "authenticated in a savepoint, read, rolled back, read again" "8 0 none" \
    "$(app "BEGIN; SAVEPOINT s;
SELECT hive_tokens.authenticate(:'B') \\g /dev/null
$all ROLLBACK TO SAVEPOINT s;
SELECT count(*) || ' ' || coalesce(hive_tokens.current_principal_kind(), 'none') FROM app.schema_versions; COMMIT;" | paste -sd' ')"
check "authenticated first, a savepoint with a read rolled back: the principal stays" "8 8" \
    "$(app "$(auth B) SAVEPOINT s; $all ROLLBACK TO SAVEPOINT s; $all COMMIT;" | paste -sd' ')"
insert="INSERT INTO app.schema_versions (organization_id, project_id, target_id, service_name, sdl) VALUES"
in_a2="('00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-000000000b21', '00000000-0000-4000-8000-00000000c211', 'x', 'y');"
in_a1="('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-000000000b11', '00000000-0000-4000-8000-00000000c111', 'x', 'y');"
rls_error="Missing permission for performing 'schemaVersion:publish' on resource"
check "a write the token may not do (B reads only)" 1 "$(app "$(auth B) $insert $in_a2 ROLLBACK;" | grep -c "$rls_error")"
check "W writes in its organization and sees it; not in another" "9 1" \
    "$(out=$(app "$(auth W) $insert $in_a2 $all $insert $in_a1 ROLLBACK;"); echo "$(echo "$out" | grep -x '[0-9]*') $(echo "$out" | grep -c "$rls_error")")"
check "a revoke committed on the coordinator during a transaction holding the token" 0 \
    "$(app "$(auth A)
\! $PGBIN/psql -X -q -h $R -p $PORT -d postgres -U postgres -Atc \"SELECT hive_tokens.revoke(id) FROM hive_tokens.access_tokens WHERE title = 'token A'\" >/dev/null; sleep 1
$all COMMIT;")"
check "the revoked token in the next transaction" 1 "$(app "$(auth A) ROLLBACK;" | grep -c 'access token rejected')"
refusals=$(cat "$R/w1.log" "$R/w2.log" | grep -o 'ticket refused: [a-z0-9_ ,()]*' | sed 's/ticket refused: //; s/,.*//' | sort -u | paste -sd',')
check "the workers logged why (reasons seen)" "bad_mac,expired,its token is revoked,the role may create objects in schema planted here,this session holds 1 temporary object(s) (table planted),track_activities is on here,unknown_key,wrong_transaction" "$refusals"
masked=$(cat "$R/w1.log" "$R/w2.log" | grep -c 'hive_tokens.ticket = .htk1\.\*\*\*' || true)
check "the workers' logs show the tickets Citus sent, masked" yes "$([ "$masked" -gt 0 ] && echo yes || echo "no ($masked)")"
check "no ticket in the workers' logs" 0 "$(cat "$R/w1.log" "$R/w2.log" | grep -c 'htk1\.[A-Za-z0-9_-]' || true)"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
