#!/bin/sh
# Build the fuzz targets with clang and run the config fuzzer for $1 seconds.
# Writes a one-case JUnit report to $2 so the summary counts it.
set -eu
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
report="${2:-}"
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
log=$(mktemp)
status=0
if ! ninja -C build-fuzz tests/fuzz-config >"$log" 2>&1; then
  status=2
fi
work=tests/fuzz/corpus-work
mkdir -p "$work"
[ "$status" -ne 0 ] || ./build-fuzz/tests/fuzz-config -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$work" tests/fuzz/seeds >"$log" 2>&1 || status=$?
tail -n 5 "$log"
if [ -n "$report" ]; then
  if [ "$status" -eq 0 ]; then
    body=""
  else
    body="<failure message=\"fuzz target failed to build or found a crash (exit $status)\"/>"
    tail -n 60 "$log" >&2
  fi
  printf '<testsuite name="fuzz"><testcase classname="fuzz" name="config_parser_%ss">%s</testcase></testsuite>\n' \
    "$seconds" "$body" >"$report"
fi
rm -f "$log"
exit "$status"
