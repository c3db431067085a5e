"""The container is placed in its cgroups: every v1 hierarchy and cgroup2 here, and on v2-only and v1-only layouts."""
import json
import os
import shutil
import subprocess

import pytest

import cgroupfs
from cgroupfs import V2
from conftest import BERTH, MEMORY_HOG, assert_nothing_left, berth, cgroup_dirs_named, state


def own_cgroups():
    with open("/proc/self/cgroup") as f:
        return {line.split(":")[1]: line.strip().split(":", 2)[2] for line in f}


def test_placed_in_every_hierarchy_of_this_host(bundle, root, container):
    bundle.args("sleep", "30").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    pid = state(root, container)["pid"]
    with open(f"/proc/{pid}/cgroup") as f:
        theirs = {line.split(":")[1]: line.strip().split(":", 2)[2] for line in f}
    ours = own_cgroups()
    assert set(theirs) == set(ours)
    for controllers, path in theirs.items():
        # Default placement: berth-<id> under the caller's own cgroup in that hierarchy.
        assert path == os.path.join(ours[controllers], "berth-" + container), controllers
    assert len(cgroup_dirs_named("berth-" + container)) == len(ours)


def test_relative_and_absolute_cgroups_path(bundle, root, container):
    bundle.config["linux"]["cgroupsPath"] = f"berthtest/{container}"
    bundle.args("sleep", "30").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    pid = state(root, container)["pid"]
    assert cgroupfs.container_dir(pid, "pids").endswith(f"/berthtest/{container}")
    assert berth("delete", "-f", container, root=root).rc == 0
    # berth made "berthtest" and removes it again; nothing of ours is left.
    assert cgroup_dirs_named("berthtest") == []


def test_existing_parent_cgroup_is_not_removed(bundle, root, container):
    parent = os.path.join(cgroupfs.hierarchy_dir("pids"), "berth-keep-parent")
    os.makedirs(parent, exist_ok=True)
    try:
        bundle.config["linux"]["cgroupsPath"] = f"/berth-keep-parent/{container}"
        bundle.args("true").write()
        assert berth("run", "-b", bundle.path, container, root=root).rc == 0
        assert os.path.isdir(parent), "a cgroup berth did not create must survive delete"
        assert not os.path.exists(os.path.join(parent, container))
    finally:
        for d in cgroup_dirs_named("berth-keep-parent"):
            os.rmdir(d)


def test_cgroup_mount_shows_the_containers_cgroup(bundle, root, container):
    procs = "/sys/fs/cgroup/cgroup.procs" if V2 else "/sys/fs/cgroup/pids/cgroup.procs"
    bundle.args("sh", "-c", f"ls /sys/fs/cgroup; cat {procs}").write()
    r = berth("run", "-b", bundle.path, container, root=root)
    assert r.rc == 0, r
    lines = r.out.split()
    assert ("pids.max" in lines and "memory.max" in lines) if V2 else ("pids" in lines and "memory" in lines)
    assert lines[-1] == "1", "the container's own cgroup, with only its init in it"


def test_cgroups_disabled(bundle, root, container):
    bundle.args("cat", "/proc/self/cgroup").write()
    r = berth("--cgroup-manager", "disabled", "run", "-b", bundle.path, container, root=root)
    assert r.rc == 0, r
    assert container not in r.out
    assert cgroup_dirs_named(container) == []


V2_ONLY = r"""
set -e
mount -t cgroup2 none /sys/fs/cgroup
"$BERTH" --root "$ROOT" run -d -b "$BUNDLE" "$CID"
pid=$("$BERTH" --root "$ROOT" state "$CID" | sed 's/.*"pid":\([0-9]*\).*/\1/')
cat /proc/$pid/cgroup
ls -d /sys/fs/cgroup/berth-"$CID"
"$BERTH" --root "$ROOT" delete -f "$CID"
ls /sys/fs/cgroup | grep -c "$CID" || true
"""


@pytest.mark.skipif(not shutil.which("unshare") or V2, reason="needs unshare(1) and a host that is not v2-only")
def test_placement_on_a_cgroup_v2_only_layout(bundle, root, container):
    """berth sees only cgroup2 at /sys/fs/cgroup (a private mount namespace): a v2 host's layout."""
    bundle.args("sleep", "30").write()
    env = dict(os.environ, BERTH=BERTH, ROOT=str(root), BUNDLE=str(bundle.path), CID=container)
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", V2_ONLY], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    lines = r.stdout.split()
    assert f"0::/berth-{container}" in lines, "placed in the unified hierarchy"
    # The v1 hierarchies exist in the kernel but are not mounted here: berth leaves them alone.
    ours = own_cgroups()
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) == 3 and parts[1]:
            assert parts[2] == ours[parts[1]], f"v1 {parts[1]} must stay the caller's"
    assert lines[-1] == "0"
    assert_nothing_left(root, container)


V1_ONLY = r"""
set -e
umount -l /sys/fs/cgroup/unified
[ ! -e /sys/fs/cgroup/unified/cgroup.procs ]
b() { "$BERTH" --root "$ROOT" "$@"; }
b run -d -b "$BUNDLE" "$CID"
pid=$(b state "$CID" | sed 's/.*"pid":\([0-9]*\).*/\1/')
cat /proc/$pid/cgroup
d() { echo "/sys/fs/cgroup/$1$(grep ":$1:" /proc/$pid/cgroup | cut -d: -f3)"; }
echo "memory $(cat $(d memory)/memory.limit_in_bytes) pids $(cat $(d pids)/pids.max)"
b pause "$CID"; echo "paused $(cat $(d freezer)/freezer.state)"
b resume "$CID"; echo "resumed $(cat $(d freezer)/freezer.state)"
b update --memory 100663296 "$CID"; echo "updated $(cat $(d memory)/memory.limit_in_bytes)"
echo "exec $(b exec "$CID" sh -c 'echo $((6 * 7))')"
b delete -f "$CID"
b run --keep -b "$BUNDLE_OOM" "$CID"o || true
b state "$CID"o | grep -o '"oomKilled":true'
b delete "$CID"o 2>&1 | grep -o "OOM killer killed"
"""


@pytest.mark.skipif(not shutil.which("unshare") or V2 or not os.path.ismount("/sys/fs/cgroup/unified"),
                    reason="needs unshare(1) and a hybrid host (its cgroup2 hidden gives a v1-only view; on a v2-only "
                           "host every controller is bound to cgroup2 and none can be mounted as v1)")
def test_a_cgroup_v1_only_layout(bundle, root, container, tmp_path):
    """berth sees only v1 hierarchies (cgroup2 hidden in a private mount namespace), as on a legacy host: placement,
    limits, freezer, update, exec, the OOM verdict and removal all go through v1 alone."""
    oom = tmp_path / "oom"
    oom.mkdir()
    bundle.config["linux"]["resources"] = {"memory": {"limit": 64 << 20}, "pids": {"limit": 40}}
    bundle.args("sleep", "30").write()
    config = json.loads(json.dumps(bundle.config))
    config["linux"]["resources"]["memory"] = {"limit": 16 << 20, "swap": 16 << 20}
    config["process"]["args"] = list(MEMORY_HOG)
    (oom / "config.json").write_text(json.dumps(config))
    env = dict(os.environ, BERTH=BERTH, ROOT=str(root), BUNDLE=str(bundle.path), BUNDLE_OOM=str(oom), CID=container)
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", V1_ONLY], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    ours = own_cgroups()
    placed = {line.split(":")[1]: line.split(":", 2)[2] for line in lines if line.count(":") >= 2 and line[0].isdigit()}
    assert placed[""] == ours[""], "cgroup2 is not mounted here: berth must leave the caller's cgroup2 place alone"
    for controllers, path in placed.items():
        if controllers:
            assert path == os.path.join(ours[controllers], "berth-" + container), controllers
    assert f"memory {64 << 20} pids 40" in lines, r.stdout
    assert "paused FROZEN" in lines and "resumed THAWED" in lines, r.stdout
    assert f"updated {96 << 20}" in lines, r.stdout
    assert "exec 42" in lines, r.stdout
    assert lines[-2:] == ['"oomKilled":true', "OOM killer killed"], r.stdout
    assert_nothing_left(root, container)
    assert_nothing_left(root, container + "o")


def a_whole_disk():
    """major, minor of a block device the io/blkio controller takes: a loop device, or the disk under /."""
    for candidate in ("7:0", "%d:%d" % (os.major(os.stat("/").st_dev), os.minor(os.stat("/").st_dev))):
        if os.path.isdir(f"/sys/dev/block/{candidate}/queue"):
            return tuple(int(x) for x in candidate.split(":"))
    pytest.skip("no whole block device here")


def test_block_io_throttles(bundle, root, container):
    major, minor = a_whole_disk()
    bundle.config["linux"]["resources"]["blockIO"] = {
        "throttleReadBpsDevice": [{"major": major, "minor": minor, "rate": 1048576}],
        "throttleWriteIOPSDevice": [{"major": major, "minor": minor, "rate": 100}]}
    bundle.args("sleep", "30").write()
    r = berth("run", "-d", "-b", bundle.path, container, root=root)
    assert r.rc == 0, r
    d = cgroupfs.container_dir(state(root, container)["pid"], "blkio")
    key = f"{major}:{minor}"
    if V2:
        assert f"{key} rbps=1048576 wbps=max riops=max wiops=100" in open(os.path.join(d, "io.max")).read()
    else:
        assert f"{key} 1048576" in open(os.path.join(d, "blkio.throttle.read_bps_device")).read()
        assert f"{key} 100" in open(os.path.join(d, "blkio.throttle.write_iops_device")).read()


def test_block_io_device_needs_major_and_minor(bundle, root, container):
    bundle.config["linux"]["resources"]["blockIO"] = {"throttleReadBpsDevice": [{"major": 7, "rate": 1}]}
    bundle.args("true").write()
    r = berth("run", "-b", bundle.path, container, root=root)
    assert r.rc == 1 and r.err.endswith("config.json: linux.resources.blockIO.throttleReadBpsDevice[0].minor: "
                                        "required field is missing\n"), r
    bundle.config["linux"]["resources"]["blockIO"] = {"weightDevice": [{"major": -1, "minor": 0, "weight": 10}]}
    bundle.write()
    r = berth("run", "-b", bundle.path, container, root=root)
    assert r.rc == 1 and r.err == (f'berth: run "{container}": linux.resources.blockIO.weightDevice[0]: '
                                   'needs a major and a minor\n'), r
    assert_nothing_left(root, container)


def test_nested_cgroups_path_gets_its_controllers(bundle, root, container):
    # On v2 each level berth makes must enable the controllers for the next (cgroup.subtree_control).
    bundle.config["linux"]["cgroupsPath"] = f"berthnest-{container}/a/{container}"
    bundle.config["linux"]["resources"]["pids"] = {"limit": 33}
    bundle.config["linux"]["resources"]["memory"] = {"limit": 64 << 20}
    bundle.args("sleep", "30").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    pid = state(root, container)["pid"]
    cgroupfs.expect(pid, "pids", "pids.max", 33)
    cgroupfs.expect(pid, "memory", "memory.limit_in_bytes", 64 << 20)
    assert berth("delete", "-f", container, root=root).rc == 0
    assert cgroup_dirs_named(f"berthnest-{container}") == []


def test_network_and_rdma_limits_name_what_the_host_lacks(bundle, root, container):
    bundle.args("true").write()
    bundle.config["linux"]["resources"]["network"] = {"classID": 1048577}
    bundle.write()  # (the test once ran the config from before this line: it passed whatever berth did)
    prefix = f'berth: run "{container}": linux.resources.network'
    if V2:
        r = berth("run", "-b", bundle.path, container, root=root)
        assert r.rc == 1 and r.err == prefix + ": cgroup v2 has no net_cls or net_prio controller\n", r
    elif not os.path.isdir(cgroupfs.hierarchy_dir("net_cls")):
        r = berth("run", "-b", bundle.path, container, root=root)
        assert r.rc == 1 and r.err == prefix + ".classID: this host has no net_cls cgroup\n", r
    else:
        bundle.args("cat", "/proc/self/cgroup").write()
        r = berth("run", "-b", bundle.path, container, root=root)
        assert r.rc == 0, r
        path = next(line.split(":", 2)[2] for line in r.out.splitlines() if "net_cls" in line.split(":")[1])
        with open(os.path.join(cgroupfs.hierarchy_dir("net_cls"), path.lstrip("/"), "net_cls.classid")) as f:
            assert f.read().strip() == "1048577"
        bundle.args("true")
    assert_nothing_left(root, container)
    del bundle.config["linux"]["resources"]["network"]
    bundle.config["linux"]["resources"]["rdma"] = {"mlx5_0": {"hcaHandles": 3, "hcaObjects": 10000}}
    bundle.write()
    r = berth("run", "-b", bundle.path, container + "r", root=root)
    assert r.rc == 1 and r.err.startswith(f'berth: run "{container}r": linux.resources.rdma'), r  # no such rdma device here
    assert_nothing_left(root, container + "r")


@pytest.mark.skipif(not V2, reason="checkBeforeUpdate is checked against memory.current (cgroup v2)")
def test_check_before_update_refuses_a_limit_below_usage(bundle, root, container):
    bundle.args("sleep", "30").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    pid = state(root, container)["pid"]
    r = berth("update", "--resources", "-", container, root=root,
              input=json.dumps({"memory": {"limit": 4096, "checkBeforeUpdate": True}}))
    assert r.rc == 1 and "is below the" in r.err and "(checkBeforeUpdate)" in r.err, r
    assert cgroupfs.read(pid, "memory", "memory.limit_in_bytes") == "max"


def test_leaf_weight_is_refused_on_v2_and_written_on_v1(bundle, root, container):
    bundle.config["linux"]["resources"]["blockIO"] = {"leafWeight": 300}
    bundle.args("true").write()
    r = berth("run", "-b", bundle.path, container, root=root)
    if V2:
        assert r.rc == 1 and r.err == (f'berth: run "{container}": linux.resources.blockIO.leafWeight: '
                                       'cgroup v2 has no leaf weights\n'), r
    elif not os.path.exists(os.path.join(cgroupfs.hierarchy_dir("blkio"), "blkio.leaf_weight")):
        # Kernels without CFQ (5.0 and later) have no blkio.leaf_weight: the file is named.
        assert r.rc == 1 and r.err.startswith(f'berth: run "{container}": linux.resources.blockIO.leafWeight: '
                                              'write blkio.leaf_weight'), r
    else:
        assert r.rc == 0, r
    assert_nothing_left(root, container, bundle.path)


def test_state_records_each_cgroup_once(bundle, root, container):
    """state.json listed every cgroup twice (recorded at prepare and again at commit), and delete removed each
    twice. Counted in the raw file: a JSON parser keeps only the last of duplicate keys."""
    import re
    bundle.args("sleep", "30").write()
    assert berth("create", "-b", bundle.path, container, root=root).rc == 0
    raw = (root / container / "state.json").read_text()
    block = re.search(r'"cgroupPaths":\s*\{([^}]*)\}', raw).group(1)
    keys = re.findall(r'"([^"]+)":', block)
    assert keys and len(keys) == len(set(keys)), keys


def test_unified_keys_take_effect_on_v2_and_are_refused_elsewhere(bundle, root, container):
    # pids.max 3 through linux.resources.unified: the shell and two sleeps, then the third fork is refused.
    bundle.config["linux"]["resources"]["unified"] = {"pids.max": "3"}
    bundle.args("sh", "-c", "sleep 5 & sleep 5 & sleep 5 & kill %1 %2 %3 2>/dev/null; true").write()
    r = berth("run", "-b", bundle.path, container, root=root)
    if V2:
        assert "can't fork" in r.err, r
    else:
        assert r.rc == 1 and r.err == (f'berth: run "{container}": linux.resources.unified: needs a cgroup v2 host '
                                       '(this one uses v1 controllers)\n'), r
    assert_nothing_left(root, container)
