#!/usr/bin/env bash
# One benchmark command: builds and installs the extension, starts a tuned throwaway cluster,
# measures verification as clients see it (pgbench, one statement per transaction, prepared)
# against baselines run side by side in the same run, as the token table grows and as clients
# grow, repeats each measure, and writes a Markdown table and a PNG chart.
#
#   bash bench/report.sh          (as root; about 12 minutes on 2 cores)
#
# Measures, each a pgbench run of BENCH_SECONDS (default 3), BENCH_REPEATS times (default 3):
#   SELECT 1                     the round trip alone
#   verify($1)                   hive_tokens.verify() of a random one of 1000 live tokens
#   SQL + pgcrypto               the do-it-yourself baseline: sha256 with pgcrypto's digest() and
#                                a primary-key probe, in SQL, over a table of the same size
#   bcrypt (cost 10)             how Hive stores tokens: crypt() of the secret against its bcrypt
#                                hash (pgcrypto), at the smallest size only (it does not depend on it)
# for token tables of BENCH_SIZES (default "1000 100000 1000000") and BENCH_CLIENTS (default
# "1 2 4 8") clients. Every measure reads its token from the same kind of table by a random
# key, so the baselines pay the same extra lookup.
#
# Output: bench/results/latest.md and bench/results/latest.png (committed with the README's
# copy of the table), and the raw numbers in bench/results/latest.csv (BENCH_OUT: another folder).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
SECONDS_PER_RUN=${BENCH_SECONDS:-3}
REPEATS=${BENCH_REPEATS:-3}
SIZES=${BENCH_SIZES:-"1000 100000 1000000"}
CLIENTS=${BENCH_CLIENTS:-"1 2 4 8"}
OUT=${BENCH_OUT:-$HT_ROOT/bench/results}

ht_install_deps "$HT_RUNTIME_PACKAGES postgresql-contrib gnuplot-nox"
ht_build_install
ht_bench_cluster report 56532 "shared_buffers = '1GB'" "max_connections = 50" \
    "shared_preload_libraries = 'hive_tokens'" "synchronous_commit = off" "max_parallel_workers_per_gather = 0"
sql() { as_pg "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d bench "$@"; }
sql -c "CREATE EXTENSION pgcrypto" -c "CREATE EXTENSION hive_tokens"
# the tokens the clients present: 1000 of each kind, picked by a random key
sql -c "CREATE TABLE pick (n int PRIMARY KEY, token text NOT NULL)" \
    -c "CREATE TABLE diy (id uuid PRIMARY KEY, hash bytea NOT NULL)" \
    -c "CREATE TABLE diy_pick (n int PRIMARY KEY, id uuid NOT NULL, secret text NOT NULL)" \
    -c "CREATE TABLE bcrypt_pick (n int PRIMARY KEY, secret text NOT NULL, hash text NOT NULL)"
cat >"$DIR/select1.sql" <<'EOF'
SELECT 1;
EOF
cat >"$DIR/verify.sql" <<'EOF'
\set i random(1, 1000)
SELECT v.id FROM hive_tokens.verify((SELECT p.token FROM pick AS p WHERE p.n = :i)) AS v;
EOF
cat >"$DIR/diy.sql" <<'EOF'
\set i random(1, 1000)
SELECT d.id FROM diy_pick AS p JOIN diy AS d ON d.id = p.id AND d.hash = digest(p.secret, 'sha256') WHERE p.n = :i;
EOF
cat >"$DIR/bcrypt.sql" <<'EOF'
\set i random(1, 1000)
SELECT p.hash = crypt(p.secret, p.hash) FROM bcrypt_pick AS p WHERE p.n = :i;
EOF
chmod a+r "$DIR"/*.sql
tps() { # script clients
    as_pg "$PG_BIN/pgbench" -n -M prepared -T "$SECONDS_PER_RUN" -c "$2" -j "$2" -f "$DIR/$1" bench 2>/dev/null |
        sed -nE 's/^tps = ([0-9.]+).*/\1/p'
}

mkdir -p "$OUT"
CSV="$OUT/latest.csv"
echo "size,clients,measure,repeat,tps" >"$CSV"
have=0
for size in $SIZES; do
    ht_log "token table of $size: filling"
    add=$((size - have))
    for ((from = have + 1; from <= size; from += 100000)); do  # 100k tokens per transaction
        to=$((from + 99999 < size ? from + 99999 : size))
        sql -c "SELECT count(*) FROM (SELECT hive_tokens.issue('99999999-9999-4999-8999-999999999999', 'bench ' || g, '{usage:report}')
                  FROM generate_series($from, $to) AS g) AS i" >/dev/null
    done
    sql -c "INSERT INTO diy SELECT gen_random_uuid(), digest(encode(gen_random_bytes(32), 'hex'), 'sha256') FROM generate_series(1, $add)" \
        -c "VACUUM ANALYZE hive_tokens.access_tokens" -c "VACUUM ANALYZE diy" >/dev/null
    if [ "$have" -eq 0 ]; then
        # the presented tokens are issued like the others and stay in the table as it grows
        sql -c "INSERT INTO pick SELECT g, t.token FROM generate_series(1, 1000) AS g,
                  hive_tokens.issue('99999999-9999-4999-8999-999999999999', 'picked ' || g, '{usage:report}') AS t" \
            -c "INSERT INTO diy_pick SELECT g, gen_random_uuid(), encode(gen_random_bytes(32), 'hex') FROM generate_series(1, 1000) AS g" \
            -c "INSERT INTO diy SELECT id, digest(secret, 'sha256') FROM diy_pick" \
            -c "INSERT INTO bcrypt_pick SELECT n, secret, crypt(secret, gen_salt('bf', 10)) FROM diy_pick" >/dev/null
    fi
    have=$size
    for c in $CLIENTS; do
        measures="select1 verify diy"
        [ "$size" = "${SIZES%% *}" ] && measures="$measures bcrypt"
        for r in $(seq 1 "$REPEATS"); do
            for m in $measures; do
                echo "$size,$c,$m,$r,$(tps "$m.sql" "$c")" >>"$CSV"
            done
        done
        ht_log "size $size, $c clients: done"
    done
done

# The table: median tps and its spread (min-max) per size, clients and measure; ratios of medians.
MACHINE="$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"
python3 - "$CSV" "$OUT/latest.md" "$OUT/latest.dat" "$MACHINE" "$SECONDS_PER_RUN" "$REPEATS" <<'PY'
import csv, statistics, sys, datetime
src, md, dat, machine, secs, reps = sys.argv[1:7]
runs = {}
for row in csv.DictReader(open(src)):
    runs.setdefault((int(row['size']), int(row['clients']), row['measure']), []).append(float(row['tps'] or 0))
names = {'select1': 'SELECT 1', 'verify': 'verify($1)', 'diy': 'SQL + pgcrypto', 'bcrypt': 'bcrypt (cost 10)'}
med = {k: statistics.median(v) for k, v in runs.items()}
sizes = sorted({k[0] for k in runs}); clients = sorted({k[1] for k in runs})
out = [f'Benchmark of {datetime.date.today()}: {machine}. pgbench, prepared, one statement per transaction, '
       f'{secs} s per run, {reps} runs per cell: median transactions per second, and min-max in brackets.', '',
       '| tokens | clients | SELECT 1 | verify($1) | SQL + pgcrypto | bcrypt (cost 10) | verify / SELECT 1 | verify / SQL + pgcrypto |',
       '|---:|---:|---:|---:|---:|---:|---:|---:|']
def cell(k):
    if k not in runs: return '-'
    v = runs[k]; return f'{statistics.median(v):,.0f} ({min(v):,.0f}-{max(v):,.0f})'
for s in sizes:
    for c in clients:
        v, b, d = med.get((s, c, 'verify')), med.get((s, c, 'select1')), med.get((s, c, 'diy'))
        out.append(f'| {s:,} | {c} | {cell((s, c, "select1"))} | {cell((s, c, "verify"))} | {cell((s, c, "diy"))} | '
                   f'{cell((s, c, "bcrypt"))} | {v / b:.2f} | {v / d:.2f} |')
open(md, 'w').write('\n'.join(out) + '\n')
with open(dat, 'w') as f:
    for s in sizes:
        f.write(f'# tokens {s}\n')
        for c in clients:
            f.write(f'{c} {med.get((s, c, "select1"), 0):.0f} {med.get((s, c, "verify"), 0):.0f} {med.get((s, c, "diy"), 0):.0f}\n')
        f.write('\n\n')
PY
{
    echo 'set terminal pngcairo size 1200,440 font ",10"'
    echo "set output \"$OUT/latest.png\""
    echo "set multiplot layout 1,$(echo "$SIZES" | wc -w) title \"verify against SELECT 1 and SQL + pgcrypto: median tps ($MACHINE)\" font \",9\""
    echo 'set xlabel "clients"; set ylabel "transactions per second"; set key bottom right; set logscale x 2'
    echo "set xtics ($(echo "$CLIENTS" | sed 's/ /, /g')); set xrange [0.8:$(echo "$CLIENTS" | awk '{print $NF * 1.25}')]; set yrange [0:*]"
    n=0
    for s in $SIZES; do
        echo "set title \"$s tokens\""
        echo "plot \"$OUT/latest.dat\" index $n using 1:2 with linespoints title \"SELECT 1\", '' index $n using 1:3 with linespoints title \"verify\", '' index $n using 1:4 with linespoints title \"SQL + pgcrypto\""
        n=$((n + 1))
    done
    echo 'unset multiplot'
} >"$DIR/chart.gp"
gnuplot "$DIR/chart.gp"
rm -f "$OUT/latest.dat"
ht_log "results: $OUT/latest.md, $OUT/latest.png, $OUT/latest.csv"
cat "$OUT/latest.md"
