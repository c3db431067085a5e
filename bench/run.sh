#!/bin/sh
# The benchmark: installs crun, strace and busybox-static, builds runc 1.5 (tests/gotools.sh) and an
# optimised berth in build-release/, and compares berth with runc and crun (bench/bench.py; --help for options).
set -eu
cd "$(dirname "$0")/.."
sh tests/deps.sh
for p in crun strace binutils; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p"
done
sh tests/build.sh build-release -Dbuildtype=release -Db_ndebug=true
# runc 1.5, the reference runtime (Debian's is 1.1), from its Go module.
sh tests/gotools.sh
exec /usr/bin/python3 bench/bench.py --berth build-release/berth --runc "$(ls -d build/gotools/runc-v*/runc | tail -1)" "$@"
