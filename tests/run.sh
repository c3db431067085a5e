#!/bin/sh
# The whole test suite: installs what it needs, builds, runs every suite, and
# ends with one line "N passed, M failed, K skipped" summing them all.
# Exits non-zero when anything failed.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
results="$top/build/test-results"

sh tests/deps.sh
sh tests/build.sh build
# containerd 2, runc 1.5 and cri-tools from their Go modules (cached under build/gotools by version).
sh tests/gotools.sh
echo "== versions: $(./build/berth --version | head -1); $(build/gotools/runc-*/runc --version | head -1);" \
  "containerd $(build/gotools/containerd-*/containerd --version | awk '{print $3}');" \
  "$(build/gotools/cri-tools-*/crictl --version); containerd (Debian) $(containerd --version | awk '{print $3}')"
rm -rf "$results" && mkdir -p "$results"

status=0
echo "== unit (criterion)"
BERTH_TEST_DATA="$top/tests/data" ./build/tests/unit-tests --jobs=2 --xml="$results/unit.xml" || status=1

echo "== unit under ASan+UBSan"
sh tests/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false
BERTH_TEST_DATA="$top/tests/data" ./build-asan/tests/unit-tests --jobs=2 --xml="$results/unit-asan.xml" || status=1

echo "== integration (pytest)"
BERTH="$top/build/berth" /usr/bin/python3 -m pytest -q -p no:cacheprovider --junitxml="$results/integration.xml" \
  tests/integration || status=1

echo "== integration under ASan+UBSan"
BERTH_LOAD_COUNT=300 BERTH="$top/build-asan/berth" /usr/bin/python3 -m pytest -q -p no:cacheprovider -o junit_suite_name=asan \
  --junitxml="$results/integration-asan.xml" tests/integration || status=1

echo "== integration on a cgroup v2 host (qemu VM, Debian's 6.1 kernel)"
if /usr/bin/python3 tests/vm/vm.py prepare; then
  /usr/bin/python3 tests/vm/vm.py run --timeout 1500 "BERTH_LOAD_COUNT=60 BERTH=$top/build/berth python3 -m pytest -q -p no:cacheprovider \
    -o junit_suite_name=vm --junitxml=$results/vm.xml tests/integration" || status=1
  [ -f "$results/vm.xml" ] || { echo "the VM produced no results"; status=1; }
else
  echo "the VM could not be prepared"; status=1
fi

echo "== the systemd cgroup driver (the VM again, systemd as PID 1)"
/usr/bin/python3 tests/vm/vm.py run --systemd --timeout 600 "BERTH=$top/build/berth python3 -m pytest -q -p no:cacheprovider \
  -o junit_suite_name=systemd --junitxml=$results/systemd.xml tests/integration/test_systemd.py" || status=1
[ -f "$results/systemd.xml" ] || { echo "the systemd VM produced no results"; status=1; }

echo "== clients (containerd, podman, docker with berth as their runtime)"
BERTH="$top/build/berth" /usr/bin/python3 -m pytest -q -p no:cacheprovider -o junit_suite_name=clients \
  --junitxml="$results/clients.xml" tests/clients || status=1

echo "== cri (a Kubernetes node without a kubelet: containerd 2 with CRI, critest on berth and runc 1.5, crictl scenarios)"
BERTH="$top/build/berth" /usr/bin/python3 -m pytest -q -p no:cacheprovider -o junit_suite_name=cri \
  --junitxml="$results/cri.xml" tests/cri || status=1
for f in "$results"/critest-*.txt; do [ -f "$f" ] && head -1 "$f"; done

echo "== cri on the systemd cgroup driver (the systemd VM: containerd 2 with SystemdCgroup, the cgroup scenarios on berth)"
# The scenarios whose cgroups the driver makes (each takes ~40 s under emulation; the rest ran above). Not the
# OOMKilled one: systemd removes an emptied scope's cgroup, memory.events with it, before the shim may read it,
# and containerd then reports "Error" (one run in three here; README, Kubernetes, names the limit).
/usr/bin/python3 tests/vm/vm.py run --systemd --timeout 1200 "CI=${CI:-} BERTH_CRI_CGROUP_DRIVER=systemd BERTH=$top/build/berth \
  python3 -m pytest -q -p no:cacheprovider -o junit_suite_name=cri-systemd --junitxml=$results/cri-systemd.xml \
  -k 'systemd_cgroup_driver or stats_and_update or containerd_restart or pod_removed' tests/cri/test_scenarios.py" \
  || status=1
[ -f "$results/cri-systemd.xml" ] || { echo "the systemd VM produced no cri results"; status=1; }

echo "== packaging (a .deb built with dpkg-buildpackage)"
/usr/bin/python3 -m pytest -q -p no:cacheprovider -o junit_suite_name=package \
  --junitxml="$results/package.xml" tests/package || status=1

echo "== fuzz (libFuzzer: kept crashes, then ${BERTH_FUZZ_SECONDS:-60}s per parser, twice that for the config)"
sh tests/fuzz/run.sh "${BERTH_FUZZ_SECONDS:-60}" "$results/fuzz.xml" || status=1

python3 tests/summary.py "$results"/*.xml || status=1
exit $status
