#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for SECONDS seconds
# (default 30) from the seed corpus. Prints one line per target: "fuzz <name>: ok" or
# "fuzz <name>: FAILED". Exit status non-zero if any target failed.
#   bash test/fuzz/run.sh [SECONDS]
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-30}
out=${FUZZ_OUT:-$root/build/fuzz}
mkdir -p "$out"
CXX=${FUZZ_CXX:-$(command -v clang++-14 || command -v clang++)}
status=0
for target in hrn assignment token scopes ticket; do
    bin="$out/fuzz_$target"
    if ! "$CXX" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -I"$root/src/core" -I"$root/test/support" "$root"/src/core/*.cpp "$root/test/support/json_text.cpp" \
        "$here/fuzz_$target.cpp" -lsodium -lcrypt -o "$bin" 2>"$out/build_$target.log"; then
        cat "$out/build_$target.log" >&2
        echo "fuzz $target: FAILED (build)"
        status=1
        continue
    fi
    work=$(mktemp -d)
    cp "$here/corpus/$target"/* "$work/"
    if "$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=1024 "$work" >"$out/run_$target.log" 2>&1; then
        echo "fuzz $target: ok ($(grep -c '' "$out/run_$target.log") log lines, $(ls "$work" | wc -l) corpus entries)"
    else
        tail -n 40 "$out/run_$target.log" >&2
        echo "fuzz $target: FAILED"
        status=1
    fi
    rm -rf "$work"
done
exit $status
