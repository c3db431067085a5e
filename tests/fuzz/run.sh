#!/bin/sh
# Build the fuzz targets with clang, replay every kept crash (tests/fuzz/regressions/<target>/), then fuzz
# the parsers for $1 seconds and the config parser, the largest surface, for twice that.
# A new crash is kept in build-fuzz/artifacts/: copy it into tests/fuzz/regressions/<target>/ with the fix.
# Writes a JUnit report (one case per target and run) to $2 so the summary counts them.
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
# record NAME RC: one JUnit case; a failure shows the end of the log.
record() {
  if [ "$2" -eq 0 ]; then
    cases="$cases<testcase classname=\"fuzz\" name=\"$1\"/>"
  else
    tail -n 60 "$log" >&2
    cases="$cases<testcase classname=\"fuzz\" name=\"$1\"><failure message=\"exit $2\"/></testcase>"
    status=1
  fi
}
if ! ninja -C build-fuzz tests/fuzz-config tests/fuzz-parsers >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  cases="<testcase classname=\"fuzz\" name=\"build\"><failure message=\"fuzz targets failed to build\"/></testcase>"
  status=2
else
  mkdir -p build-fuzz/artifacts
  for target in config parsers; do
    work="tests/fuzz/corpus-work/$target"
    mkdir -p "$work"
    seeds=tests/fuzz/seeds
    [ "$target" = parsers ] && seeds=tests/fuzz/seeds-parsers
    time="$seconds"
    [ "$target" = config ] && time=$((seconds * 2))
    regressions="tests/fuzz/regressions/$target"
    if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
      rc=0
      ./build-fuzz/tests/fuzz-$target -runs=1 "$regressions"/* >"$log" 2>&1 || rc=$?
      record "${target}_regressions" "$rc"
    fi
    rc=0
    ./build-fuzz/tests/fuzz-$target -max_total_time="$time" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix=build-fuzz/artifacts/$target- -print_final_stats=1 "$work" "$seeds" >"$log" 2>&1 || rc=$?
    tail -n 3 "$log"
    record "${target}_${time}s" "$rc"
  done
fi
[ -z "$report" ] || printf '<testsuite name="fuzz">%s</testsuite>\n' "$cases" >"$report"
rm -f "$log"
exit "$status"
