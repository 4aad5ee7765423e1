#!/usr/bin/env bash
# Runs every test of hive_tokens on this machine, as root, from a clean checkout:
# installs missing Debian packages, builds, runs the GoogleTest unit tests (ctest), installs the
# extension, starts a temporary PostgreSQL cluster as the postgres OS user, runs the pg_regress
# suites and the TAP tests against it, stops it, and ends with one line "N passed, N failed".
# Exit status: 0 only if nothing failed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$HT_ROOT"

PASSED=0
FAILED=0
count() { PASSED=$((PASSED + $1)); FAILED=$((FAILED + $2)); }
finish() {
    echo
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
    exit $?
}

ht_install_deps || { count 0 1; finish; }

# 1. Unit tests of the pure C++ core.
ht_log "unit tests (GoogleTest via ctest)"
if cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >build.cmake.log 2>&1 && cmake --build build -j"$(nproc)" >>build.cmake.log 2>&1; then
    out=$(cd build && ctest --output-on-failure 2>&1)
    echo "$out" | tail -n 15
    line=$(echo "$out" | grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' | tail -n 1)
    if [ -n "$line" ]; then
        total=$(echo "$line" | sed -E 's/.*out of ([0-9]+).*/\1/')
        bad=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed.*/\1/')
        count $((total - bad)) "$bad"
    else
        count 0 1
    fi
else
    cat build.cmake.log
    count 0 1
fi

# 1b. Fuzz targets of the core's parsers (libFuzzer, ASan, UBSan), HT_FUZZ_SECONDS each.
ht_log "fuzz targets (libFuzzer)"
out=$(bash test/fuzz/run.sh "${HT_FUZZ_SECONDS:-15}" 2>&1)
echo "$out" | tail -n 60
count "$(echo "$out" | grep -c '^fuzz .*: ok')" "$(echo "$out" | grep -c '^fuzz .*: FAILED')"

# 2. Build and install the extension.
if ! ht_build_install; then
    count 0 1
    finish
fi

# 3. A temporary cluster owned by the postgres OS user.
WORK=$(mktemp -d /tmp/hive_tokens_test.XXXXXX)
chmod 0755 "$WORK"
PORT=$(ht_free_port "${HT_TEST_PORT:-54329}")
trap 'ht_stop_cluster "$WORK/pg"' EXIT
ht_log "starting a temporary cluster in $WORK/pg on port $PORT"
if ! ht_start_cluster "$WORK/pg" "$PORT"; then
    cat "$WORK/pg/initdb.log" "$WORK/pg/server.log" 2>/dev/null
    count 0 1
    finish
fi
export PGHOST="$WORK/pg" PGPORT="$PORT"
bash test/fixtures/make_key_files.sh "$WORK/pg/data/keys"

# 4. pg_regress suites (sql/ + expected/), run by the postgres user in a directory it owns.
ht_log "regression suites (pg_regress)"
mkdir -p "$WORK/regress"
cp -r sql expected test/schedule "$WORK/regress/"
chown -R postgres:postgres "$WORK/regress"
PG_REGRESS=$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/regress/pg_regress
out=$(cd "$WORK/regress" && runuser -u postgres -- "$PG_REGRESS" --inputdir=. --outputdir=. \
    --bindir="$PG_BIN" --host="$PGHOST" --port="$PORT" --dbname=contrib_regression \
    --schedule=schedule 2>&1)
echo "$out"
ok=$(echo "$out" | grep -cE '^(test| ) .* \.\.\. ok' || true)
bad=$(echo "$out" | grep -cE '^(test| ) .* \.\.\. FAILED' || true)
if [ $((ok + bad)) -eq 0 ]; then bad=1; fi
count "$ok" "$bad"
[ -f "$WORK/regress/regression.diffs" ] && head -c 20000 "$WORK/regress/regression.diffs"

# 4b. Isolation specs (pg_isolation_regress): races between sessions.
ht_log "isolation specs (pg_isolation_regress)"
mkdir -p "$WORK/isolation"
cp -r test/isolation/specs test/isolation/expected test/isolation/schedule "$WORK/isolation/"
chown -R postgres:postgres "$WORK/isolation"
PG_ISOLATION=$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/isolation/pg_isolation_regress
out=$(cd "$WORK/isolation" && runuser -u postgres -- "$PG_ISOLATION" --inputdir=. --outputdir=. \
    --bindir="$PG_BIN" --host="$PGHOST" --port="$PORT" --dbname=isolation_regression \
    --schedule=schedule 2>&1)
echo "$out"
ok=$(echo "$out" | grep -cE '^(test| ) .* \.\.\. ok' || true)
bad=$(echo "$out" | grep -cE '^(test| ) .* \.\.\. FAILED' || true)
if [ $((ok + bad)) -eq 0 ]; then bad=1; fi
count "$ok" "$bad"
[ -f "$WORK/isolation/regression.diffs" ] && head -c 20000 "$WORK/isolation/regression.diffs"

# 5. TAP tests (prove, PostgreSQL::Test::Cluster), each starting its own nodes.
ht_log "TAP tests (prove)"
mkdir -p "$WORK/tap"
cp -r test/t "$WORK/tap/"
chown -R postgres:postgres "$WORK/tap"
PERL_TEST=$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/perl
out=$(cd "$WORK/tap" && runuser -u postgres -- env PATH="$PG_BIN:$PATH" PG_REGRESS="$PG_REGRESS" \
    prove -I "$PERL_TEST" t/*.pl 2>&1)
echo "$out" | tail -n 30
tests=$(echo "$out" | grep -E '^Files=[0-9]+, Tests=[0-9]+' | sed -E 's/.*Tests=([0-9]+).*/\1/')
if echo "$out" | grep -q '^Result: PASS'; then
    count "${tests:-0}" 0
else
    nfail=$(echo "$out" | grep -oE 'Failed [0-9]+/[0-9]+ subtests' | awk '{s+=$2} END {print s+0}')
    [ "${nfail:-0}" -gt 0 ] || nfail=1
    count $(( ${tests:-0} > nfail ? ${tests:-0} - nfail : 0 )) "$nfail"
fi

finish
