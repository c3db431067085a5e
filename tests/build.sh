#!/bin/sh
# Configure (once) and build berth into build/ (or $1); extra arguments go to meson setup.
set -eu
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift 2>/dev/null || true
[ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null
# Quiet when it works; the compiler's messages when it does not.
if ! ninja -C "$dir" > "$dir/.ninja-output" 2>&1; then
  cat "$dir/.ninja-output" >&2
  exit 1
fi
