#!/usr/bin/env bash
# Benchmarks (targets: docs/architecture.md, "Performance targets"): every measure is printed as a ratio against a baseline run
# side by side in the same run, on a throwaway cluster. Not part of the test suite.
#   bash bench/run.sh            (BENCH_SECONDS=10 per pgbench run, BENCH_TOKENS=100000; ~4 minutes)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
TOKENS=${BENCH_TOKENS:-100000}

ht_install_deps
ht_build_install
# preloaded, as a deployment that tracks usage runs it (every measure below counts uses unless
# it says otherwise)
ht_bench_cluster bench 56432 "shared_buffers = '512MB'" "max_connections = 50" \
    "shared_preload_libraries = 'hive_tokens'"
cp "$HT_ROOT"/bench/*.sql "$DIR/"
chmod a+r "$DIR"/*.sql

ht_log "round trip: verify(\$1) against SELECT 1, pgbench -M prepared, ${SECONDS_PER_RUN}s per run"
as_pg "$PG_BIN/psql" -X -q -d bench -c "CREATE EXTENSION hive_tokens"
read -r TOKEN_ID TOKEN < <(as_pg "$PG_BIN/psql" -X -A -t -q -F ' ' -d bench -c \
    "SELECT token_id, token FROM hive_tokens.issue('99999999-9999-4999-8999-999999999999', 'pgbench', '{usage:report}')")
tps() { # script clients (PGOPTIONS from $OPTS)
    as_pg env PGOPTIONS="${OPTS:-}" "$PG_BIN/pgbench" -n -M prepared -T "$SECONDS_PER_RUN" -c "$2" -j "$2" -D token="$TOKEN" -D id="$TOKEN_ID" -D action=usage:report \
        -f "$DIR/$1" bench 2>/dev/null | sed -nE 's/^tps = ([0-9.]+).*/\1/p'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
printf '%-8s %12s %14s %8s %16s %8s %16s %8s %16s %8s\n' clients "SELECT 1" "verify(\$1)" ratio "verify_reason" ratio \
    "authorize(\$1..)" ratio "pk lookup (SQL)" ratio
for c in 1 8; do
    base=$(tps select1.sql "$c")
    ver=$(tps verify.sql "$c")
    reason=$(tps verify_reason.sql "$c")
    auth=$(tps authorize.sql "$c")
    pk=$(tps pk_lookup.sql "$c")
    printf '%-8s %12.0f %14.0f %8s %16.0f %8s %16.0f %8s %16.0f %8s\n' "$c" "$base" "$ver" "$(ratio "$ver" "$base")" \
        "$reason" "$(ratio "$reason" "$base")" "$auth" "$(ratio "$auth" "$base")" "$pk" "$(ratio "$pk" "$base")"
done
echo "(tps; ratio = tps / SELECT 1 tps. Target for verify and authorize: >= 0.95. 'pk lookup' is the"
echo " plainest possible table access, SELECT first_characters ... WHERE id = \$1, as a reference.)"

ht_log "usage tracking: verify(\$1) of one hot token, 8 clients, hive_tokens.track_usage off and on (twice each)"
off1=$(OPTS="-c hive_tokens.track_usage=off" tps verify.sql 8)
on1=$(tps verify.sql 8)
off2=$(OPTS="-c hive_tokens.track_usage=off" tps verify.sql 8)
on2=$(tps verify.sql 8)
off=$(awk -v a="$off1" -v b="$off2" 'BEGIN { print (a + b) / 2 }')
on=$(awk -v a="$on1" -v b="$on2" 'BEGIN { print (a + b) / 2 }')
printf '%-22s %12.0f\n%-22s %12.0f\n%-22s %12s\n' "tracking off (tps)" "$off" "tracking on (tps)" "$on" "ratio on / off" "$(ratio "$on" "$off")"
echo "(target: >= 0.95)"
as_pg "$PG_BIN/psql" -X -A -t -q -d bench -c "SELECT 'uses written so far: ' || flushed_uses || ', dropped: ' || dropped_uses FROM hive_tokens.usage_tracking()"

ht_log "in-backend verification of $TOKENS tokens"
as_pg "$PG_BIN/psql" -X -q -d bench -v n="$TOKENS" -f "$DIR/in_backend.sql"

ht_log "tokens imported from Hive: a legacy token's first use (bcrypt) against its later uses (keyed hash)"
as_pg "$PG_BIN/psql" -X -q -d bench -f "$DIR/legacy.sql"

ht_log "scopes operators: 10M evaluations against text[] and int8"
as_pg "$PG_BIN/psql" -X -q -d bench -f "$DIR/scopes.sql"

ht_log "authorization: compiled check against the jsonb evaluator"
as_pg "$PG_BIN/psql" -X -q -d bench -f "$DIR/authz.sql"

ht_log "micro-benchmark: CompiledPolicy::check against the reference evaluator (Google Benchmark)"
if cmake -S "$HT_ROOT" -B "$HT_ROOT/build" >/dev/null && cmake --build "$HT_ROOT/build" --target micro_policy >/dev/null 2>&1; then
    "$HT_ROOT/build/micro_policy" --benchmark_min_time=1
else
    echo "(Google Benchmark not installed: apt-get install libbenchmark-dev)"
fi

ht_log "row-level security: protected count over 1M rows against the hand-written WHERE"
as_pg "$PG_BIN/psql" -X -q -d bench -f "$DIR/rls.sql"
