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

# 1. Unit tests of the pure C++ core, built plainly and under AddressSanitizer and
# UndefinedBehaviorSanitizer (a report aborts its test): run_unit_tests BUILD_DIR LABEL CMAKE_ARGS...
run_unit_tests() {
    local dir=$1 label=$2
    shift 2
    ht_log "unit tests ($label, GoogleTest via ctest)"
    if cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$dir.cmake.log" 2>&1 &&
        cmake --build "$dir" -j"$(nproc)" --target unit_tests >>"$dir.cmake.log" 2>&1; then
        local out line total bad
        out=$(cd "$dir" && ctest --output-on-failure 2>&1)
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
        cat "$dir.cmake.log"
        count 0 1
    fi
}
run_unit_tests build plain
run_unit_tests build-sanitize "ASan + UBSan" -DHT_SANITIZE=ON

# 1b. Fuzz targets of the core's parsers (libFuzzer, ASan, UBSan), HT_FUZZ_SECONDS each.
ht_log "fuzz targets (libFuzzer)"
out=$(bash test/fuzz/run.sh "${HT_FUZZ_SECONDS:-15}" 2>&1)
echo "$out" | tail -n 60
count "$(echo "$out" | grep -c '^fuzz .*: ok')" "$(echo "$out" | grep -c '^fuzz .*: FAILED')"

# 2. Build and install the extension, and the test-only self-test module the suites use.
if ! ht_build_install || ! make -C test/selftest -s PG_CONFIG="$PG_CONFIG" install >/dev/null; then
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

# run_suites LABEL TOOL SOURCE_DIRS... : runs a pg_regress-style tool (pg_regress or
# pg_isolation_regress) on the given schedule as the postgres user, in a directory it owns, and
# counts the "... ok" and "... FAILED" lines.
run_suites() {
    local label=$1 tool=$2 dir="$WORK/$1"
    shift 2
    ht_log "$label"
    mkdir -p "$dir"
    cp -r "$@" "$dir/"
    chown -R postgres:postgres "$dir"
    local out rc
    out=$(cd "$dir" && runuser -u postgres -- "$tool" --inputdir=. --outputdir=. \
        --bindir="$PG_BIN" --host="$PGHOST" --port="$PORT" --dbname="${label//[^a-z]/_}" \
        --schedule=schedule 2>&1)
    rc=$?
    echo "$out"
    count $(ht_regress_counts "$out" "$rc")
    [ -f "$dir/regression.diffs" ] && head -c 20000 "$dir/regression.diffs"
    return 0
}

# 4. pg_regress suites (sql/ + expected/, scheduled by test/schedule) and isolation specs.
PGXS_TEST=$("$PG_CONFIG" --pkglibdir)/pgxs/src/test
PG_REGRESS=$PGXS_TEST/regress/pg_regress
run_suites regress "$PG_REGRESS" sql expected test/schedule
run_suites isolation "$PGXS_TEST/isolation/pg_isolation_regress" \
    test/isolation/specs test/isolation/expected test/isolation/schedule

# 5. TAP tests (prove, PostgreSQL::Test::Cluster), each starting its own nodes. The Node.js
# example's tests (t/013) run from a copy the postgres OS user can read, with the dependencies
# its lockfile names (npm ci).
ht_log "Node.js example: npm ci"
ht_node_deps && (cd examples/node && npm ci --no-audit --no-fund --loglevel=error) || echo "npm ci failed" >&2
mkdir -p "$WORK/ex/examples" "$WORK/ex/sql/include"
cp -r examples/node "$WORK/ex/examples/"
cp sql/include/hive_model.sql "$WORK/ex/sql/include/"
chown -R postgres:postgres "$WORK/ex"
ht_log "TAP tests (prove)"
mkdir -p "$WORK/tap"
cp -r test/t "$WORK/tap/"
chown -R postgres:postgres "$WORK/tap"
PERL_TEST=$PGXS_TEST/perl
out=$(cd "$WORK/tap" && runuser -u postgres -- env PATH="$PG_BIN:$PATH" PG_REGRESS="$PG_REGRESS" HT_ROOT="$WORK/ex" \
    prove -I "$PERL_TEST" t/*.pl 2>&1)
echo "$out" | tail -n 30
count $(ht_prove_counts "$out")

finish
