#!/usr/bin/env bash
# Runs the pg_regress, isolation and TAP suites against hive_tokens built with AddressSanitizer, inside
# a PostgreSQL 15 built with AddressSanitizer too (an uninstrumented server cannot load an
# instrumented library: the sanitizer's runtime must come first, and preloading it into Debian's
# server deadlocks in glibc's locale code on this platform). Slow (a PostgreSQL build: about 10
# minutes on 2 cores the first time), so it is not part of scripts/test.sh; run it as root:
#
#   bash scripts/asan-regress.sh            # ends with "N passed, N failed"; non-zero on failure
#
# It takes PostgreSQL 15's source from Debian's source packages (adding a deb-src entry for
# deb.debian.org if there is none), builds it with -fsanitize=address into $HT_ASAN_PREFIX
# (default /opt/hive_tokens_asan), builds and installs a copy of this tree against it (so the
# extension inherits the server's flags), starts a throwaway cluster as the postgres OS user with
# ASAN_OPTIONS making any report abort the process, runs test/schedule, test/isolation/schedule
# and the TAP tests (test/t, each with nodes of its own), and fails if a test fails or any process
# wrote a sanitizer report.
# Leak detection is off: PostgreSQL frees by memory context, not by free().
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$HT_ROOT"

PREFIX=${HT_ASAN_PREFIX:-/opt/hive_tokens_asan}
SRC=$PREFIX/src
PG=$PREFIX/pg
ASAN_FLAGS="-O1 -g -fsanitize=address -fno-omit-frame-pointer"
# detect_odr_violation=0: the test-only self-test module is built from the extension's own guard
# and error sources (it tests that code), so both libraries define the same globals.
export ASAN_OPTIONS="detect_leaks=0:detect_odr_violation=0:abort_on_error=1:halt_on_error=1:log_path=$PREFIX/reports/asan"
# The server preloads libstdc++ after the sanitizer's runtime: the runtime binds its C++
# exception interceptor (__cxa_throw) at startup, before the extension would load libstdc++.
SERVER_PRELOAD="$(gcc -print-file-name=libasan.so) $(g++ -print-file-name=libstdc++.so)"

ht_install_deps || exit 1
for p in dpkg-dev libssl-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null || exit 1
done

# 1. PostgreSQL 15 with AddressSanitizer, once.
if [ ! -x "$PG/bin/postgres" ]; then
    mkdir -p "$SRC"
    if ! ls "$SRC"/postgresql-15.*/configure >/dev/null 2>&1; then
        if ! apt-cache showsrc postgresql-15 2>/dev/null | grep -q '^Version:'; then
            ht_log "adding Debian's source packages to apt's sources"
            cat >/etc/apt/sources.list.d/hive-tokens-deb-src.sources <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
            apt-get update -qq || exit 1
        fi
        # the newest version whose files the mirror still has
        got=""
        for v in $(apt-cache showsrc postgresql-15 | sed -n 's/^Version: //p' | sort -rV); do
            if (cd "$SRC" && apt-get source -qq --download-only "postgresql-15=$v" >/dev/null 2>&1); then
                got=$v
                break
            fi
        done
        [ -n "$got" ] || { echo "no postgresql-15 source package could be downloaded" >&2; exit 1; }
        ht_log "PostgreSQL source: postgresql-15 $got"
        (cd "$SRC" && tar xjf postgresql-15_*.orig.tar.bz2) || exit 1
    fi
    pgsrc=$(ls -d "$SRC"/postgresql-15.*/ | head -n 1)
    ht_log "building PostgreSQL with AddressSanitizer into $PG (about 10 minutes)"
    (cd "$pgsrc" &&
        ./configure --prefix="$PG" --without-readline --without-icu --without-llvm --with-openssl \
            CFLAGS="$ASAN_FLAGS" CXXFLAGS="$ASAN_FLAGS" LDFLAGS="-fsanitize=address" >"$PREFIX/configure.log" 2>&1 &&
        make -s -j"$(nproc)" >"$PREFIX/build.log" 2>&1 && make -s install >>"$PREFIX/build.log" 2>&1 &&
        make -s -C src/test/isolation >>"$PREFIX/build.log" 2>&1) ||
        { tail -n 40 "$PREFIX/configure.log" "$PREFIX/build.log" >&2; exit 1; }
fi
pgsrc=$(ls -d "$SRC"/postgresql-15.*/ | head -n 1)
# the contrib modules the suites use
for m in pgcrypto dblink file_fdw; do
    make -s -C "$pgsrc/contrib/$m" install >>"$PREFIX/build.log" 2>&1 || { tail -n 20 "$PREFIX/build.log" >&2; exit 1; }
done
PG_CONFIG_ASAN=$PG/bin/pg_config

# 2. This tree, built against it (PGXS takes the server's CFLAGS/CXXFLAGS: instrumented too).
BUILD=$PREFIX/build
rm -rf "$BUILD" "$PREFIX/reports"
mkdir -p "$BUILD" "$PREFIX/reports"
chmod 0777 "$PREFIX/reports"
tar --exclude=./build --exclude=./build-sanitize --exclude='*.o' --exclude='*.so' -cf - . | tar -xf - -C "$BUILD"
ht_log "building hive_tokens and its self-test module with AddressSanitizer"
make -C "$BUILD" -s PG_CONFIG="$PG_CONFIG_ASAN" clean >/dev/null 2>&1
(make -C "$BUILD" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG_ASAN" && make -C "$BUILD" -s PG_CONFIG="$PG_CONFIG_ASAN" install &&
    make -C "$BUILD/test/selftest" -s PG_CONFIG="$PG_CONFIG_ASAN" install) >"$PREFIX/extension.log" 2>&1 ||
    { tail -n 40 "$PREFIX/extension.log" >&2; exit 1; }

# 3. A throwaway cluster of the instrumented server.
WORK=$(mktemp -d /tmp/hive_tokens_asan.XXXXXX)
chmod 0755 "$WORK"
PORT=$(ht_free_port "${HT_ASAN_PORT:-54429}")
mkdir -p "$WORK/pg" && chown postgres:postgres "$WORK/pg" && chmod 0700 "$WORK/pg"
trap 'runuser -u postgres -- env ASAN_OPTIONS="$ASAN_OPTIONS" "$PG/bin/pg_ctl" -D "$WORK/pg/data" -m fast -w stop >/dev/null 2>&1' EXIT
runuser -u postgres -- env ASAN_OPTIONS="$ASAN_OPTIONS" "$PG/bin/initdb" -D "$WORK/pg/data" -A trust -E UTF8 --locale=C.UTF-8 \
    >"$WORK/pg/initdb.log" 2>&1 || { cat "$WORK/pg/initdb.log"; exit 1; }
cat >>"$WORK/pg/data/postgresql.conf" <<EOF
port = $PORT
listen_addresses = 'localhost'
unix_socket_directories = '$WORK/pg'
fsync = off
log_line_prefix = '%m [%p] %q%a '
# instrumented frames are larger: PostgreSQL's own jsonb parser would hit the default 2MB before
# the extension's nesting limits that the suites check
max_stack_depth = '6MB'
EOF
runuser -u postgres -- env ASAN_OPTIONS="$ASAN_OPTIONS" LD_PRELOAD="$SERVER_PRELOAD" "$PG/bin/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w start \
    >/dev/null || { cat "$WORK/pg/server.log"; exit 1; }
bash test/fixtures/make_key_files.sh "$WORK/pg/data/keys"

# 4. The suites.
PASSED=0
FAILED=0
count() { PASSED=$((PASSED + $1)); FAILED=$((FAILED + $2)); }
run() {
    local label=$1 tool=$2 dir="$WORK/$1"
    shift 2
    mkdir -p "$dir"
    cp -r "$@" "$dir/"
    chown -R postgres:postgres "$dir"
    ht_log "$label (AddressSanitizer)"
    local out rc
    out=$(cd "$dir" && runuser -u postgres -- env ASAN_OPTIONS="$ASAN_OPTIONS" "$tool" --inputdir=. --outputdir=. \
        --bindir="$PG/bin" --host="$WORK/pg" --port="$PORT" --dbname="asan_$label" --schedule=schedule 2>&1)
    rc=$?
    echo "$out"
    count $(ht_regress_counts "$out" "$rc")
    [ -f "$dir/regression.diffs" ] && head -c 20000 "$dir/regression.diffs"
}
run regress "$pgsrc/src/test/regress/pg_regress" sql expected test/schedule
run isolation "$pgsrc/src/test/isolation/pg_isolation_regress" test/isolation/specs test/isolation/expected test/isolation/schedule

# The TAP tests too, each starting its own nodes of the instrumented server (usage worker,
# crashes, standbys, the soak; its memory bound is skipped: the sanitizer keeps freed memory).
ht_log "TAP tests (AddressSanitizer)"
mkdir -p "$WORK/tap"
cp -r test/t "$WORK/tap/"
chown -R postgres:postgres "$WORK/tap"
out=$(cd "$WORK/tap" && runuser -u postgres -- env PATH="$PG/bin:$PATH" PG_REGRESS="$pgsrc/src/test/regress/pg_regress" \
    ASAN_OPTIONS="$ASAN_OPTIONS" LD_PRELOAD="$SERVER_PRELOAD" prove -I "$pgsrc/src/test/perl" t/*.pl 2>&1)
echo "$out" | tail -n 30
count $(ht_prove_counts "$out")

reports=$(ls "$PREFIX/reports" 2>/dev/null | wc -l)
if [ "$reports" -gt 0 ]; then
    ht_log "AddressSanitizer reports ($reports), in $PREFIX/reports:"
    head -n 80 "$PREFIX"/reports/*
    count 0 "$reports"
else
    ht_log "no AddressSanitizer report"
fi
# crashes: the suites' server, and every TAP node's
grep -E 'terminated by signal|PANIC' "$WORK/pg/server.log" "$WORK"/tap/tmp_check/log/*.log 2>/dev/null |
    grep -v '011_crash' && count 0 1
echo
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
