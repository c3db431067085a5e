"""The systemd cgroup driver (--systemd-cgroup): transient scopes made by systemd over sd-bus.

These need systemd as PID 1: tests/run.sh boots the v2 VM with systemd for this file
(`vm.py run --systemd`). Elsewhere they are skipped, with the reason.
"""
import os
import subprocess

import pytest

from conftest import assert_nothing_left, berth, state, wait_for


def systemd_is_init():
    try:
        return os.path.basename(os.readlink("/proc/1/exe")) == "systemd"
    except OSError:
        return False


needs_systemd = pytest.mark.skipif(not systemd_is_init(), reason="systemd is not PID 1 here (the VM runs these)")


@pytest.mark.skipif(systemd_is_init(), reason="systemd is PID 1 here")
def test_without_systemd_the_driver_says_so_and_leaves_nothing(bundle, root, cid):
    r = create(bundle, root, cid)
    assert r.rc == 1, r
    assert r.err == (f'berth: create "{cid}": --systemd-cgroup: cannot reach systemd (is it running as PID 1?): '
                     'No such file or directory\n'), r
    assert_nothing_left(root, cid, bundle.path)


def show(unit, prop):
    return subprocess.run(["systemctl", "show", "-p", prop, "--value", unit], capture_output=True,
                          text=True).stdout.strip()


def cgroup_of(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        return next(line.strip().split(":", 2)[2] for line in f if line.startswith("0::"))


def create(bundle, root, cid, *argv):
    bundle.args(*(argv or ("sleep", "60")))
    bundle.write()
    return berth("--systemd-cgroup", "create", "--bundle", bundle.path, cid, root=root)


@needs_systemd
def test_scope_with_limits_and_delete(bundle, root, cid):
    bundle.config["linux"]["resources"] = {"memory": {"limit": 64 << 20}, "pids": {"limit": 30},
                                           "cpu": {"shares": 512}}
    r = create(bundle, root, cid)
    assert r.rc == 0, r
    unit = f"berth-{cid}.scope"
    pid = state(root, cid)["pid"]
    assert cgroup_of(pid) == f"/system.slice/{unit}"
    assert show(unit, "ActiveState") == "active"
    assert show(unit, "Delegate") == "yes"
    # systemd knows the limits (a daemon-reload keeps them), and they are in the cgroup.
    assert show(unit, "MemoryMax") == str(64 << 20)
    assert show(unit, "TasksMax") == "30"
    d = f"/sys/fs/cgroup/system.slice/{unit}"
    assert open(f"{d}/memory.max").read().strip() == str(64 << 20)
    assert open(f"{d}/pids.max").read().strip() == "30"
    assert berth("start", cid, root=root).rc == 0
    # Operations that go through the cgroup work on the scope.
    assert berth("pause", cid, root=root).rc == 0
    assert open(f"{d}/cgroup.freeze").read().strip() == "1"
    assert berth("resume", cid, root=root).rc == 0
    assert berth("delete", "--force", cid, root=root).rc == 0
    assert not os.path.exists(d)
    assert show(unit, "ActiveState") in ("inactive", "")
    assert_nothing_left(root, cid, bundle.path)


@needs_systemd
def test_update_survives_a_daemon_reload(bundle, root, cid):
    """systemd writes a unit's limits to its cgroup again on daemon-reload: an update that only wrote the cgroup
    (kubelet resizing a pod) would be undone by the next `systemctl daemon-reload` on the node."""
    bundle.config["linux"]["resources"] = {"memory": {"limit": 64 << 20}, "pids": {"limit": 30},
                                           "cpu": {"shares": 512}}
    assert create(bundle, root, cid).rc == 0
    unit = f"berth-{cid}.scope"
    d = f"/sys/fs/cgroup/system.slice/{unit}"
    try:
        r = berth("update", "--memory", str(96 << 20), "--pids-limit", "40", "--cpu-share", "1024", cid, root=root)
        assert r.rc == 0, r
        assert show(unit, "MemoryMax") == str(96 << 20)
        assert show(unit, "TasksMax") == "40"
        subprocess.run(["systemctl", "daemon-reload"], check=True)
        assert open(f"{d}/memory.max").read().strip() == str(96 << 20)
        assert open(f"{d}/pids.max").read().strip() == "40"
        assert open(f"{d}/cpu.weight").read().strip() == show(unit, "CPUWeight")
        # Unlimited (-1) is systemd's infinity.
        assert berth("update", "--memory", "-1", cid, root=root).rc == 0
        subprocess.run(["systemctl", "daemon-reload"], check=True)
        assert show(unit, "MemoryMax") == "infinity"
        assert open(f"{d}/memory.max").read().strip() == "max"
    finally:
        assert berth("delete", "--force", cid, root=root).rc == 0
    assert_nothing_left(root, cid, bundle.path)


@needs_systemd
def test_slice_prefix_name_and_properties_from_annotations(bundle, root, cid):
    bundle.config["linux"]["cgroupsPath"] = f"machine-test.slice:ctr:{cid}"
    bundle.config["annotations"] = {"org.systemd.property.TimeoutStopUSec": "uint64 7000000",
                                    "org.systemd.property.CollectMode": "'inactive-or-failed'"}
    r = create(bundle, root, cid)
    assert r.rc == 0, r
    unit = f"ctr-{cid}.scope"
    assert cgroup_of(state(root, cid)["pid"]) == f"/machine.slice/machine-test.slice/{unit}"
    assert show(unit, "TimeoutStopUSec") == "7s"
    assert show(unit, "CollectMode") == "inactive-or-failed"
    assert berth("delete", "--force", cid, root=root).rc == 0
    assert_nothing_left(root, cid, bundle.path)


@needs_systemd
def test_unit_that_exists_is_refused_and_nothing_is_left(bundle, root, cid):
    bundle.config["linux"]["cgroupsPath"] = f"system.slice:berth:shared-{cid}"
    assert create(bundle, root, cid).rc == 0
    r = create(bundle, root, cid + "-2")
    assert r.rc == 1 and len(r.err.splitlines()) == 1, r
    # systemd's own words: "Unit ... already exists" or "... was already loaded or has a fragment file".
    assert f"--systemd-cgroup: start berth-shared-{cid}.scope: Unit berth-shared-{cid}.scope " in r.err, r
    assert "already" in r.err, r
    assert not (root / (cid + "-2")).exists()
    assert berth("delete", "--force", cid, root=root).rc == 0
    assert wait_for(lambda: show(f"berth-shared-{cid}.scope", "ActiveState") in ("inactive", ""))


@pytest.mark.parametrize("path,message", [
    ("a:b", 'linux.cgroupsPath: "a:b": the systemd driver expects "slice:prefix:name"'),
    ("user:x:y", 'linux.cgroupsPath: "user:x:y": "user" is not a slice name'),
])
def test_bad_cgroups_path(bundle, root, cid, path, message):
    # Checked before systemd is asked: the same everywhere.
    bundle.config["linux"]["cgroupsPath"] = path
    r = create(bundle, root, cid)
    assert r.rc == 1 and r.err == f'berth: create "{cid}": {message}\n', r
    assert_nothing_left(root, cid, bundle.path)


@needs_systemd
def test_a_scope_without_device_rules_is_an_allowlist(bundle, root, cid):
    """The device allowlist holds in a systemd scope too (berth's filter on the scope's cgroup): a container with
    CAP_MKNOD and no linux.resources reaches neither block 7:0 nor anything the defaults leave out."""
    bundle.add_capabilities("CAP_MKNOD")
    bundle.config["linux"].pop("resources", None)
    bundle.args("sh", "-c", "mknod /dev/l0 b 7 0 && echo mknod; head -c0 /dev/l0 && echo read-block; "
                "head -c0 /dev/null && echo null; true").write()
    try:
        r = berth("--systemd-cgroup", "run", "--bundle", bundle.path, cid, root=root)
        assert r.rc == 0, r
        assert set(r.out.split()) == {"mknod", "null"}, r
    finally:
        berth("delete", "-f", cid, root=root)
