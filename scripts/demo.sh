#!/usr/bin/env bash
# The hive_tokens demo: installs what is missing, builds and installs the extension, starts a
# throwaway PostgreSQL cluster (as the postgres OS user) and walks through issuing, verifying,
# mistyping and revoking a token in psql, then row-level security on a model of Hive's tables
# (a CI token, a usage-reporting token and a member, each seeing exactly its rows), then token
# management under a principal (an issuer token minting a narrower CI token, a refused
# escalation, a rotation, the audit trail). Tokens travel only inside SQL (a table stands
# in for the pipeline's secret store), so no token appears in a statement or in the log,
# which shows them masked; every ERROR is announced ("EXPECTED ERROR") before it happens. It
# installs only what building and running the extension needs, not the test toolchain.
# Run as root on Debian 12:  bash scripts/demo.sh
# Stop the cluster afterwards with:  bash scripts/demo.sh stop
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
DEMO_DIR=${HT_DEMO_DIR:-/tmp/hive_tokens_demo}

if [ "${1:-}" = "stop" ]; then
    ht_stop_cluster "$DEMO_DIR"
    rm -rf "$DEMO_DIR"
    echo "demo cluster stopped and removed"
    exit 0
fi

ht_install_deps "$HT_RUNTIME_PACKAGES"
ht_build_install
ht_stop_cluster "$DEMO_DIR"
rm -rf "$DEMO_DIR"
DEMO_PORT=$(ht_free_port "${HT_DEMO_PORT:-55432}")
ht_log "starting a throwaway cluster in $DEMO_DIR on port $DEMO_PORT"
ht_start_cluster "$DEMO_DIR" "$DEMO_PORT"
runuser -u postgres -- "$PG_BIN/createdb" -h "$DEMO_DIR" -p "$DEMO_PORT" hive

ht_log "the walkthrough (each statement is shown before its result)"
runuser -u postgres -- "$PG_BIN/psql" -X -q -h "$DEMO_DIR" -p "$DEMO_PORT" -d hive \
    -v ON_ERROR_STOP=0 -v ECHO=queries -v modelpath="$HT_ROOT/sql/include/hive_model.sql" \
    -f "$HT_ROOT/scripts/demo.sql" 2>&1

cat <<EOM

The demo cluster is still running.
  connect:  runuser -u postgres -- psql -h $DEMO_DIR -p $DEMO_PORT -d hive
  stop:     bash scripts/demo.sh stop
EOM
