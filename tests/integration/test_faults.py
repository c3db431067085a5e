"""berth killed (SIGKILL, injected with BERTH_FAULT) at every phase of create, start, exec and delete, and state
that is corrupt or cannot be written: afterwards `state` tells the truth and `delete --force` removes every trace."""
import json
import os
import random
import subprocess

import pytest

import cgroupfs
from conftest import BERTH, assert_nothing_left, berth, processes_with, state, wait_for


def faulty(point, *args, root, **kw):
    r = berth(*args, root=root, env=dict(os.environ, BERTH_FAULT=point), **kw)
    assert r.rc == -9 or r.rc == 137, f"BERTH_FAULT={point} did not kill berth: {r}"
    return r


@pytest.fixture
def marker(bundle):
    # A sleep nobody else runs: after delete, no process may still carry it (nor the container's id).
    m = str(random.randint(10**8, 10**9))
    bundle.args("sleep", m).write()
    return m


def assert_clean(root, cid, bundle, marker):
    r = berth("delete", "--force", cid, root=root)
    assert r.rc == 0, r
    assert wait_for(lambda: not processes_with(marker) and not processes_with(cid), timeout=10), \
        (processes_with(marker), processes_with(cid))
    assert_nothing_left(root, cid, bundle.path)


def assert_state_is_truthful(root, cid):
    r = berth("state", cid, root=root)
    if r.rc == 0:
        s = json.loads(r.out)
        if s["pid"]:
            alive = os.path.exists(f"/proc/{s['pid']}")
            assert (s["status"] != "stopped") == alive, s
    else:
        assert r.err.startswith("berth: container"), r


@pytest.mark.parametrize("point", ["create:state-dir", "create:cgroups", "create:init-cloned", "create:init-ready",
                                   "create:committed"])
def test_killed_during_create(bundle, root, cid, marker, point):
    faulty(point, "create", "-b", bundle.path, cid, root=root)
    assert_state_is_truthful(root, cid)
    assert_clean(root, cid, bundle, marker)


def test_killed_before_start_writes_the_fifo(bundle, root, cid, marker):
    assert berth("create", "-b", bundle.path, cid, root=root).rc == 0
    faulty("start:before-fifo", "start", cid, root=root)
    assert state(root, cid)["status"] == "created"
    assert berth("start", cid, root=root).rc == 0
    assert state(root, cid)["status"] == "running"
    assert_clean(root, cid, bundle, marker)


def test_killed_after_start_wrote_the_fifo(bundle, root, cid, marker):
    assert berth("create", "-b", bundle.path, cid, root=root).rc == 0
    faulty("start:after-fifo", "start", cid, root=root)
    # The fifo is still there, but the process runs: running, and a second start is refused.
    assert wait_for(lambda: state(root, cid)["status"] == "running")
    r = berth("start", cid, root=root)
    assert r.rc == 1 and "already running" in r.err, r
    assert_clean(root, cid, bundle, marker)


@pytest.mark.parametrize("point", ["delete:killed", "delete:cgroups-removed"])
def test_killed_during_delete(bundle, root, cid, marker, point):
    assert berth("run", "-d", "-b", bundle.path, cid, root=root).rc == 0
    faulty(point, "delete", "--force", cid, root=root)
    assert_state_is_truthful(root, cid)
    assert_clean(root, cid, bundle, marker)


def test_killed_during_exec(bundle, root, cid, marker):
    assert berth("run", "-d", "-b", bundle.path, cid, root=root).rc == 0
    faulty("exec:cloned", "exec", cid, "sleep", marker + "1", root=root)
    assert state(root, cid)["status"] == "running"
    assert_clean(root, cid, bundle, marker)


@pytest.mark.parametrize("garbage", ["", '{"id": ', "not json at all", '{"ociVersion": 5}'])
def test_corrupt_state_is_named_and_delete_force_cleans_up(bundle, root, cid, marker, garbage):
    assert berth("run", "-d", "-b", bundle.path, cid, root=root).rc == 0
    (root / cid / "state.json").write_text(garbage)
    r = berth("state", cid, root=root)
    assert r.rc == 1 and r.err.startswith(f'berth: container "{cid}": state.json') and r.err.count("\n") == 1, r
    assert_clean(root, cid, bundle, marker)


def test_init_dying_before_start(bundle, root, cid, marker):
    assert berth("create", "-b", bundle.path, cid, root=root).rc == 0
    os.kill(state(root, cid)["pid"], 9)
    assert wait_for(lambda: state(root, cid)["status"] == "stopped")
    r = berth("start", cid, root=root)
    assert r.rc == 1 and "cannot start a container that has stopped" in r.err, r
    assert_clean(root, cid, bundle, marker)


def test_root_on_a_full_filesystem(bundle, tmp_path, cid):
    bundle.args("true").write()
    full = tmp_path / "full"
    full.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k,nr_inodes=4", "tmpfs", str(full)], check=True)
    try:
        for i in range(16):  # fill it
            try:
                (full / f"fill{i}").write_bytes(b"x" * 4096)
            except OSError:
                break
        r = berth("create", "-b", bundle.path, cid, root=full)
        assert r.rc == 1 and r.err.count("\n") == 1, r
        assert "No space left on device" in r.err or "Disk quota" in r.err, r
        assert not (full / cid).exists(), "nothing half-written"
    finally:
        subprocess.run(["umount", "-l", str(full)], check=False)
    assert_nothing_left(tmp_path / "full", cid, bundle.path)


def own_memory_cgroup():
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.strip().split(":", 2)
            if cgroupfs.V2 and controllers == "":
                return "/sys/fs/cgroup" + path
            if not cgroupfs.V2 and "memory" in controllers.split(","):
                return "/sys/fs/cgroup/memory" + path
    pytest.skip("no memory cgroup")


def test_a_memory_cgroup_too_small_for_berth(bundle, root, cid, marker):
    """berth itself is OOM-killed or fails to allocate: either way, nothing half-made survives delete --force."""
    tiny = os.path.join(own_memory_cgroup(), "berth-tiny-" + os.urandom(4).hex())
    os.mkdir(tiny)
    try:
        limit = "memory.max" if cgroupfs.V2 else "memory.limit_in_bytes"
        with open(os.path.join(tiny, limit), "w") as f:
            f.write(str(192 * 1024))

        def enter():
            with open(os.path.join(tiny, "cgroup.procs"), "w") as f:
                f.write("0")
        with open(os.devnull, "w") as null:
            rc = subprocess.run([BERTH, "--root", str(root), "create", "-b", str(bundle.path), cid],
                                preexec_fn=enter, stdin=subprocess.DEVNULL, stdout=null, stderr=null,
                                timeout=60).returncode
        assert rc != 0, "berth ran in 192 KiB: make the limit smaller"
        assert_state_is_truthful(root, cid)
        assert_clean(root, cid, bundle, marker)
    finally:
        def removed():
            try:
                os.rmdir(tiny)
                return True
            except OSError:
                return False
        assert wait_for(removed)
