#!/bin/sh
# The benchmark: installs runc, crun, strace and busybox-static, builds an optimised berth in
# build-release/, and compares berth with runc and crun (bench/bench.py; --help for options).
set -eu
cd "$(dirname "$0")/.."
sh tests/deps.sh
for p in crun strace binutils; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p"
done
sh tests/build.sh build-release -Dbuildtype=release -Db_ndebug=true
exec /usr/bin/python3 bench/bench.py --berth build-release/berth "$@"
