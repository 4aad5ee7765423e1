# Shared by scripts/demo.sh, scripts/test.sh and bench/run.sh: dependencies, build, clusters.
# Sourced, not executed. Everything here is idempotent.

HT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
export PG_CONFIG=$PG_BIN/pg_config
[ -x "$PG_CONFIG" ] || PG_CONFIG=$(command -v pg_config || true)

# What building and running the extension needs (the demo), and what the tests add.
HT_RUNTIME_PACKAGES="postgresql-$PG_MAJOR postgresql-client-$PG_MAJOR postgresql-server-dev-$PG_MAJOR
  libsodium-dev libcrypt-dev g++ make"
HT_PACKAGES="$HT_RUNTIME_PACKAGES postgresql-contrib cmake googletest libgtest-dev libipc-run-perl pgbouncer
  clang-14 libclang-rt-14-dev libbenchmark-dev"

ht_log() { printf '\n==> %s\n' "$*" >&2; }

# Installs the Debian packages that are missing (apt-get update only when something is):
# HT_PACKAGES, or the list given.
ht_install_deps() {
    local missing=() p
    for p in ${1:-$HT_PACKAGES}; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        ht_log "installing ${missing[*]}"
        if [ "$(id -u)" -ne 0 ]; then
            echo "missing packages and not root: ${missing[*]}" >&2
            return 1
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    PG_CONFIG=$PG_BIN/pg_config
}

# Node.js and npm for the example in examples/node (Debian's packages when missing).
ht_node_deps() {
    command -v node >/dev/null && command -v npm >/dev/null && return 0
    [ "$(id -u)" -eq 0 ] || { echo "node or npm missing and not root" >&2; return 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
}

# Builds and installs the extension into the system PostgreSQL.
ht_build_install() {
    ht_log "building and installing the extension"
    make -C "$HT_ROOT" -s PG_CONFIG="$PG_CONFIG" >/dev/null
    make -C "$HT_ROOT" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
}

# ht_start_cluster DIR PORT [postgresql.conf lines...]: initdb + start as the postgres OS user,
# socket in DIR, listening on localhost only.
ht_start_cluster() {
    local dir=$1 port=$2
    shift 2
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    chmod 0700 "$dir"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$dir/data" -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
    {
        echo "port = $port"
        echo "listen_addresses = 'localhost'"
        echo "unix_socket_directories = '$dir'"
        echo "fsync = off"
        echo "log_line_prefix = '%m [%p] %q%a '"
        local line
        for line in "$@"; do echo "$line"; done
    } >>"$dir/data/postgresql.conf"
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
}

# ht_regress_counts OUTPUT STATUS: "passed failed" of a pg_regress or pg_isolation_regress run,
# from its output and exit status (a runner that stopped early, no test line saying so, fails once).
ht_regress_counts() {
    local ok bad
    ok=$(grep -cE '^(test| ) .* \.\.\. ok' <<<"$1" || true)
    bad=$(grep -cE '^(test| ) .* \.\.\. FAILED' <<<"$1" || true)
    if [ $((ok + bad)) -eq 0 ] || { [ "$2" -ne 0 ] && [ "$bad" -eq 0 ]; }; then bad=$((bad + 1)); fi
    echo "$ok $bad"
}

# ht_prove_counts OUTPUT: "passed failed" of a prove run (a failed run without a count fails once).
ht_prove_counts() {
    local tests nfail
    tests=$(grep -E '^Files=[0-9]+, Tests=[0-9]+' <<<"$1" | sed -E 's/.*Tests=([0-9]+).*/\1/')
    tests=${tests:-0}
    if grep -q '^Result: PASS' <<<"$1"; then
        echo "$tests 0"
        return
    fi
    nfail=$(grep -oE 'Failed [0-9]+/[0-9]+ subtests' <<<"$1" | awk '{s+=$2} END {print s+0}')
    [ "${nfail:-0}" -gt 0 ] || nfail=1
    echo "$((tests > nfail ? tests - nfail : 0)) $nfail"
}

# Prints the first port from $1 on that nothing listens on.
ht_free_port() {
    local port=$1
    while runuser -u postgres -- "$PG_BIN/pg_isready" -q -h localhost -p "$port" >/dev/null 2>&1 ||
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        port=$((port + 1))
    done
    echo "$port"
}

# ht_bench_cluster NAME PORT [postgresql.conf lines...]: for the benchmarks, a throwaway cluster
# in a fresh /tmp/hive_tokens_NAME.* directory (DIR), removed at exit, with its database "bench";
# exports PGHOST and PGPORT and defines as_pg (a command as the postgres OS user on it).
ht_bench_cluster() {
    local name=$1 port
    port=$(ht_free_port "$2")
    shift 2
    DIR=$(mktemp -d "/tmp/hive_tokens_$name.XXXXXX")
    chmod 0755 "$DIR"
    trap 'ht_stop_cluster "$DIR/pg"; rm -rf "$DIR"' EXIT
    ht_start_cluster "$DIR/pg" "$port" "$@"
    export PGHOST="$DIR/pg" PGPORT="$port"
    as_pg() { runuser -u postgres -- env PGHOST="$PGHOST" PGPORT="$PGPORT" "$@"; }
    as_pg "$PG_BIN/createdb" bench
}

ht_stop_cluster() {
    local dir=$1
    [ -f "$dir/data/postmaster.pid" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
    return 0
}
