#!/bin/sh
# Build the fuzz targets with clang and run each for $1 seconds.
# Writes a JUnit report (one case per target) to $2 so the summary counts them.
set -eu
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
report="${2:-}"
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
log=$(mktemp)
status=0
cases=""
if ! ninja -C build-fuzz tests/fuzz-config tests/fuzz-parsers >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  cases="<testcase classname=\"fuzz\" name=\"build\"><failure message=\"fuzz targets failed to build\"/></testcase>"
  status=2
else
  for target in config parsers; do
    work="tests/fuzz/corpus-work/$target"
    mkdir -p "$work"
    seeds=tests/fuzz/seeds
    [ "$target" = parsers ] && seeds=tests/fuzz/seeds-parsers
    rc=0
    ./build-fuzz/tests/fuzz-$target -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 "$work" "$seeds" >"$log" 2>&1 || rc=$?
    tail -n 3 "$log"
    if [ "$rc" -eq 0 ]; then
      cases="$cases<testcase classname=\"fuzz\" name=\"${target}_${seconds}s\"/>"
    else
      tail -n 60 "$log" >&2
      cases="$cases<testcase classname=\"fuzz\" name=\"${target}_${seconds}s\"><failure message=\"exit $rc\"/></testcase>"
      status=1
    fi
  done
fi
[ -z "$report" ] || printf '<testsuite name="fuzz">%s</testsuite>\n' "$cases" >"$report"
rm -f "$log"
exit "$status"
