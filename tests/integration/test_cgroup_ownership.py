"""berth signals, freezes and removes only what it created (issue class 5), on v1/hybrid and v2.

Each test makes its own uniquely named cgroups beside the test's own, and removes them.
"""
import os
import subprocess
import time
import uuid

import pytest

from conftest import BERTH, berth, state, wait_for

V2_ROOT = "/sys/fs/cgroup"


def hierarchies(pid="self"):
    """(directory of the process' cgroup, hierarchy mount) for every hierarchy it is in, cpuset left out (a new
    cpuset cgroup takes no task before its cpus and mems are set)."""
    unified_only = not os.path.isdir(os.path.join(V2_ROOT, "memory"))
    found = []
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, controllers, path = line.strip().split(":", 2)
            if controllers == "":
                mount = V2_ROOT if unified_only else os.path.join(V2_ROOT, "unified")
            elif "cpuset" in controllers.split(","):
                continue
            else:
                mount = os.path.join(V2_ROOT, controllers.replace("name=", ""))
            if os.path.isdir(mount):
                found.append((mount + path.rstrip("/"), mount))
    return found


class Cgroups:
    """Directories made by a test, one per hierarchy, removed (with what they hold killed) at the end."""

    def __init__(self):
        self.made = []

    def make(self, base, name):
        path = os.path.join(base, name)
        os.makedirs(path, exist_ok=True)
        self.made.append(path)
        return path

    def put(self, path, pid):
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def cleanup(self):
        for path in reversed(self.made):
            for _ in range(200):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


@pytest.fixture
def cgroups():
    c = Cgroups()
    yield c
    c.cleanup()


def sleeper():
    return subprocess.Popen(["sleep", "300"], stdin=subprocess.DEVNULL)


def test_create_refuses_a_cgroup_with_someone_elses_processes(bundle, root, cid, cgroups):
    """Guards cgroups/cgroup.c cgroup_set_check_empty at create: a cgroupsPath naming an existing cgroup with an
    unrelated process (a pod's, a service's) is refused; without the check the container shared it, and `run`
    and `delete` SIGKILLed the stranger. Nothing is left, the stranger lives, its cgroup stays."""
    name = "busy-" + uuid.uuid4().hex[:8]
    stranger = sleeper()
    try:
        for base, _ in hierarchies():
            cgroups.put(cgroups.make(base, name), stranger.pid)
        bundle.config["linux"]["cgroupsPath"] = name
        bundle.args("true").write()
        r = berth("run", "-b", bundle.path, cid, root=root)
        assert r.rc == 1, r
        assert "container's cgroup is not empty" in r.err and "1 process(es) of someone else's" in r.err, r
        assert r.err.count("\n") == 1, r
        assert stranger.poll() is None, "berth killed a process it did not create"
        assert all(os.path.isdir(p) for p in cgroups.made), "berth removed a cgroup it did not create"
        assert not (root / cid).exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_kill_all_and_delete_reach_a_process_moved_into_a_sub_cgroup(bundle, root, container):
    """Guards the recursive walk of cgroup_set_pids (and cgroup.kill on v2) and the removal of sub-cgroups: a
    container process that moved into a cgroup below the container's (a writable cgroupfs) survived kill --all
    and delete --force, and the container's cgroup leaked. Without a pid namespace, so that the init's death does
    not end the moved process by itself (with one, the test passed with the walk gone)."""
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "pid"]
    bundle.args("sleep", "60").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    assert berth("exec", "-d", container, "sleep", "61", root=root).rc == 0
    init = state(root, container)["pid"]

    def moved():
        for pid in os.listdir("/proc"):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if f.read() == b"sleep\x0061\x00":
                        return int(pid)
            except OSError:
                pass
        return None
    assert wait_for(lambda: moved() is not None)
    pid = moved()
    for base, _ in hierarchies(init):
        sub = os.path.join(base, "escaped")
        os.mkdir(sub)
        with open(os.path.join(sub, "cgroup.procs"), "w") as f:
            f.write(str(pid))
    r = berth("kill", "--all", container, "KILL", root=root)
    assert r.rc == 0, r
    assert wait_for(lambda: not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z",
                    timeout=10), "kill --all missed the process in the sub-cgroup"
    r = berth("delete", "--force", container, root=root)
    assert r.rc == 0, r
    # the container fixture checks that no cgroup of the container is left


def test_delete_force_without_state_never_works_out_cgroups_again(bundle, root, cid, cgroups):
    """Guards remove_broken in runtime/container.c (the cgroups come from create's record, never recomputed):
    delete --force with state.json gone worked the path out again from the deleting process' own cgroup, killed
    everything in `<that>/berth-<id>` and removed it. The deleter runs elsewhere here, where a stranger sits in
    such a cgroup; the container's own processes and cgroups still go."""
    other = "elsewhere-" + uuid.uuid4().hex[:8]
    stranger = sleeper()
    bundle.args("sleep", "60").write()
    try:
        assert berth("run", "-d", "-b", bundle.path, cid, root=root).rc == 0
        init = state(root, cid)["pid"]
        own = [base for base, _ in hierarchies(init)]
        os.unlink(root / cid / "state.json")
        moves = []
        for base, _ in hierarchies():
            there = cgroups.make(base, other)
            cgroups.put(cgroups.make(there, f"berth-{cid}"), stranger.pid)
            moves.append(os.path.join(there, "cgroup.procs"))
        script = "".join(f"echo $$ > {m}; " for m in moves) + f"exec {BERTH} --root {root} delete --force {cid}"
        r = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r
        assert stranger.poll() is None, "delete --force killed a process in a cgroup berth did not create"
        assert all(os.path.isdir(p) for p in cgroups.made), "delete --force removed a cgroup it did not create"
        assert wait_for(lambda: not os.path.exists(f"/proc/{init}"), timeout=10), "the container's init survived"
        assert not (root / cid).exists()
        assert [d for d in own if os.path.isdir(d)] == [], "the container's own cgroups were left"
        with open("/proc/self/mountinfo") as f:
            assert cid not in f.read()
    finally:
        berth("delete", "--force", cid, root=root)
        stranger.kill()
        stranger.wait()


def test_create_refuses_a_frozen_cgroup(bundle, root, cid, cgroups):
    """Guards the cgroup_frozen check in runtime/prepare.c: under a frozen parent the init is born frozen, and
    create hung with the state left "creating"; refused at once, as runc does ("unexpectedly frozen")."""
    name = "frozen-" + uuid.uuid4().hex[:8]
    frozen = None
    for base, mount in hierarchies():
        path = cgroups.make(base, name)
        if mount.endswith("/freezer") or (frozen is None and os.path.exists(os.path.join(path, "cgroup.freeze"))
                                          and not os.path.isdir(os.path.join(V2_ROOT, "freezer"))):
            frozen = path
    assert frozen, "no freezer on this host"
    v1 = os.path.exists(os.path.join(frozen, "freezer.state"))
    with open(os.path.join(frozen, "freezer.state" if v1 else "cgroup.freeze"), "w") as f:
        f.write("FROZEN" if v1 else "1")
    try:
        bundle.config["linux"]["cgroupsPath"] = f"{name}/ctr"
        bundle.args("true").write()
        r = berth("run", "-b", bundle.path, cid, root=root, timeout=20)
        assert r.rc == 1, r
        assert "container's cgroup unexpectedly frozen" in r.err and r.err.count("\n") == 1, r
        assert not (root / cid).exists()
        assert not any(os.path.exists(os.path.join(p, "ctr")) for p in cgroups.made), "the container's cgroup was left"
    finally:
        with open(os.path.join(frozen, "freezer.state" if v1 else "cgroup.freeze"), "w") as f:
            f.write("THAWED" if v1 else "0")
