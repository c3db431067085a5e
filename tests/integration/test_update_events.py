"""update (live limits), limits from the config at create, and events (stats and OOM)."""
import json
import os
import subprocess
import time

import pytest

import cgroupfs
from cgroupfs import V2
from conftest import BERTH, MEMORY_HOG, berth, state, wait_for


@pytest.fixture
def running(bundle, root, container):
    bundle.args("sleep", "60").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    return state(root, container)["pid"]


def test_limits_from_the_config_are_applied_at_create(bundle, root, container):
    bundle.config["linux"]["resources"].update({
        "memory": {"limit": 64 << 20, "reservation": 32 << 20},
        "cpu": {"shares": 512, "quota": 50000, "period": 100000},
        "pids": {"limit": 42}})
    bundle.args("sleep", "60").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    pid = state(root, container)["pid"]
    cgroupfs.expect(pid, "memory", "memory.limit_in_bytes", str(64 << 20))
    cgroupfs.expect(pid, "memory", "memory.soft_limit_in_bytes", str(32 << 20))
    cgroupfs.expect(pid, "cpu", "cpu.shares", "512")
    cgroupfs.expect(pid, "cpu", "cpu.cfs_quota_us", "50000")
    cgroupfs.expect(pid, "pids", "pids.max", "42")


def test_update_pids_limit_live_makes_forks_fail(root, container, running):
    assert berth("update", "--pids-limit", "5", container, root=root).rc == 0
    cgroupfs.expect(running, "pids", "pids.max", "5")
    r = berth("exec", container, "sh", "-c", "for i in 1 2 3 4 5 6 7; do sleep 5 & done; wait", root=root, timeout=30)
    # init + sh + 3 sleeps = 5: the next fork is refused by the pids controller.
    assert r.rc != 0 and "can't fork: Resource temporarily unavailable" in r.err, r
    assert int(cgroupfs.read(running, "pids", "pids.current")) <= 5


def test_update_flags(root, container, running):
    r = berth("update", "--memory", "128m", "--memory-reservation", "64M", "--cpu-shares", "256",
              "--cpu-period", "200000", "--cpu-quota", "100000", "--cpuset-cpus", "0", container, root=root)
    assert r.rc == 0, r
    cgroupfs.expect(running, "memory", "memory.limit_in_bytes", str(128 << 20))
    cgroupfs.expect(running, "memory", "memory.soft_limit_in_bytes", str(64 << 20))
    cgroupfs.expect(running, "cpu", "cpu.shares", "256")
    cgroupfs.expect(running, "cpu", "cpu.cfs_period_us", "200000")
    cgroupfs.expect(running, "cpu", "cpu.cfs_quota_us", "100000")
    cgroupfs.expect(running, "cpuset", "cpuset.cpus", "0")


def test_update_resources_from_stdin_and_file(root, container, running, tmp_path):
    r = berth("update", "--resources", "-", container, root=root, input='{"memory":{"limit":100663296},"pids":{"limit":9}}')
    assert r.rc == 0, r
    cgroupfs.expect(running, "memory", "memory.limit_in_bytes", "100663296")
    cgroupfs.expect(running, "pids", "pids.max", "9")
    path = tmp_path / "res.json"
    path.write_text('{"memory":{"limit":134217728,"swap":268435456},"cpu":{"shares":512}}')  # podman's shape
    assert berth("update", "--resources", path, container, root=root).rc == 0
    cgroupfs.expect(running, "cpu", "cpu.shares", "512")


def test_update_errors_are_checked_before_writing(root, container, running):
    before = cgroupfs.read(running, "pids", "pids.max")
    r = berth("update", "--resources", "-", container, root=root, input='{"pids":{"limit":"many"}}')
    assert r.rc == 1 and r.err == f'berth: update "{container}": stdin: pids.limit: expected an integer, got "many"\n'
    if not V2:
        r = berth("update", "--resources", "-", container, root=root, input='{"unified":{"pids.max":"3"}}')
        assert r.rc == 1 and "needs a cgroup v2 host" in r.err
    r = berth("update", "--memory", "lots", container, root=root)
    assert r.rc == 1 and r.err == 'berth: update: --memory: expected a size such as 512m, got "lots"\n'
    r = berth("update", "--memory", "64m", "--memory-swap", "32m", container, root=root)
    assert r.rc == 1 and "is below the limit" in r.err
    cgroupfs.expect(running, "pids", "pids.max", before)


def test_events_stats(root, container, running):
    berth("update", "--pids-limit", "77", container, root=root)
    r = berth("events", "--stats", container, root=root)
    assert r.rc == 0, r
    event = json.loads(r.out)
    assert event["type"] == "stats" and event["id"] == container
    data = event["data"]
    assert set(data) >= {"cpu", "memory", "pids", "blkio", "hugetlb"}
    assert data["pids"]["current"] >= 1 and data["pids"]["limit"] == 77
    assert data["memory"]["usage"]["usage"] > 0
    assert data["cpu"]["usage"]["total"] > 0


def test_events_stream_reports_stats_and_oom(bundle, root, container):
    bundle.config["linux"]["resources"]["memory"] = {"limit": 16 << 20, "swap": 16 << 20}
    bundle.args("sleep", "60").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    events = subprocess.Popen([BERTH, "--root", str(root), "events", "--interval", "200ms", container],
                              stdout=subprocess.PIPE, text=True)
    try:
        first = json.loads(events.stdout.readline())
        assert first["type"] == "stats"
        # A process that outgrows the limit: the kernel OOM-kills it.
        berth("exec", container, *MEMORY_HOG, root=root, timeout=60)
        deadline = time.monotonic() + 20
        seen = []
        while time.monotonic() < deadline:
            line = events.stdout.readline()
            if not line:
                break
            seen.append(json.loads(line)["type"])
            if "oom" in seen:
                break
        assert "oom" in seen, seen
    finally:
        events.kill()
        events.wait()


def test_events_of_a_stopped_container(bundle, root, container):
    bundle.args("true").write()
    assert berth("run", "--keep", "-b", bundle.path, container, root=root).rc == 0
    r = berth("events", "--stats", container, root=root)
    assert r.rc == 1 and r.err == f'berth: cannot watch "{container}": container not running\n'
    r = berth("events", "--interval", "soon", container, root=root)
    assert r.rc == 1 and "--interval" in r.err


def test_remaining_update_flags_apply_or_name_the_missing_cgroup_file(root, container, running):
    """Each flag lands in its file where this host's cgroup has that file, and fails naming the field and the
    file where it has not (a kernel without CFQ/BFQ has no blkio weight; v2 has no realtime limits)."""
    v2_weight = "io.bfq.weight" if os.path.exists(os.path.join(cgroupfs.container_dir(running, "blkio"),
                                                                "io.bfq.weight")) else "io.weight"
    cases = [("--cpu-idle", "1", "cpu", "cpu.idle", "cpu.idle", "1", "cpu.idle"),
             ("--cpu-burst", "1000", "cpu", "cpu.cfs_burst_us", "cpu.max.burst", "1000", "cpu.burst"),
             ("--cpu-rt-period", "1000000", "cpu", "cpu.rt_period_us", None, "1000000", "cpu.realtimePeriod"),
             ("--cpu-rt-runtime", "1000", "cpu", "cpu.rt_runtime_us", None, "1000", "cpu.realtimeRuntime"),
             ("--blkio-weight", "500", "blkio", "blkio.weight", v2_weight, None, "blockIO.weight"),
             ("--cpuset-mems", "0", "cpuset", "cpuset.mems", "cpuset.mems", "0", "cpu.mems")]
    for flag, value, controller, v1_file, v2_file, expected, field in cases:
        directory = cgroupfs.container_dir(running, controller)
        file = v2_file if V2 else v1_file
        exists = file is not None and os.path.exists(os.path.join(directory, file))
        if controller == "blkio" and not V2 and not exists:
            exists = os.path.exists(os.path.join(directory, "blkio.bfq.weight"))
        r = berth("update", flag, value, container, root=root)
        if exists:
            assert r.rc == 0, (flag, r)
            if expected is not None:
                with open(os.path.join(directory, file)) as f:
                    assert f.read().strip() == expected, (flag, file)
        else:
            prefix = f'berth: update "{container}": linux.resources.{field}: '
            assert r.rc == 1, (flag, r)
            assert r.err.startswith(prefix + "write ") or (
                V2 and r.err == prefix + "cgroup v2 has no realtime limits\n"), (flag, r.err)
    # memory-swap -1 lifts the swap limit wherever swap is accounted.
    r = berth("update", "--memory-swap", "-1", container, root=root)
    assert r.rc == 0, r


def test_device_rules_deny_what_is_not_allowed(bundle, root, container):
    # podman sends only deny-all: berth's defaults keep /dev/null & co usable, every other device stays denied.
    bundle.add_capabilities("CAP_MKNOD")
    bundle.config["linux"]["resources"]["devices"] = [{"allow": False, "access": "rwm"}]
    r = run(bundle, root, container, "sh", "-c",
            "mknod /dev/x c 1 1 && echo made; head -c1 /dev/x; head -c1 /dev/null && echo null-ok; "
            "echo hi > /dev/tty 2>/dev/null; cat /sys/fs/cgroup/devices/devices.list 2>/dev/null; true")
    assert r.rc == 0, r
    assert "made" in r.out and "null-ok" in r.out
    assert "head: /dev/x: Operation not permitted" in r.err
    if not V2:
        assert "c 136:* rwm" in r.out and "a *:* rwm" not in r.out


def test_device_rules_from_the_config_come_first(bundle, root, container):
    bundle.add_capabilities("CAP_MKNOD")
    # loop0 (block 7:0) opens without special capabilities: only the cgroup decides.
    bundle.config["linux"]["resources"]["devices"] = [
        {"allow": False, "access": "rwm"}, {"allow": True, "type": "b", "major": 7, "minor": 0, "access": "r"}]
    r = run(bundle, root, container, "sh", "-c", "mknod /dev/l0 b 7 0; mknod /dev/l1 b 7 1; "
            "head -c0 /dev/l0 && echo loop0-ok; head -c0 /dev/l1")
    assert "loop0-ok" in r.out, r
    assert "/dev/l1: Operation not permitted" in r.err


@pytest.mark.skipif(V2, reason="devices.list is cgroup v1's")
def test_no_device_rules_give_exactly_the_defaults(bundle, root, container):
    """An allowlist (test_devices_allowlist.py attacks it): without rules, the v1 list is runc's defaults alone."""
    bundle.config["linux"]["resources"].pop("devices", None)
    r = run(bundle, root, container, "cat", "/sys/fs/cgroup/devices/devices.list")
    assert sorted(r.out.split("\n")[:-1]) == sorted([
        "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm",
        "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm"]), r


def run(bundle, root, cid, *argv):
    from conftest import run as run_container
    return run_container(bundle, root, cid, *argv)


def test_oom_verdict_is_recorded_and_reported(bundle, root, container):
    bundle.config["linux"]["resources"]["memory"] = {"limit": 16 << 20, "swap": 16 << 20}
    bundle.args(*MEMORY_HOG).write()
    r = berth("run", "--keep", "-b", bundle.path, container, root=root, timeout=60)
    assert r.rc != 0
    s = state(root, container)
    assert s["status"] == "stopped" and s["oomKilled"] is True
    r = berth("delete", container, root=root)
    assert r.rc == 0
    assert "warning: container" in r.err and "OOM killer killed" in r.err


def test_no_oom_no_verdict(bundle, root, container):
    bundle.args("true").write()
    assert berth("run", "--keep", "-b", bundle.path, container, root=root).rc == 0
    assert "oomKilled" not in state(root, container)
