"""CVE-2019-5736 class: no process a container can see may run from a host file it could write.

Protection guarded by every test here: runtime/exe_guard.c (exe_guard_protect, called by cmd/main.c for create,
run and exec) re-executes berth from a sealed memfd unless its binary is sealed or on a read-only mount already.
Each attack holds /proc/PID/exe of a process of berth's from inside a container with CAP_SYS_PTRACE, waits until
no berth runs any more (the kernel's ETXTBSY is gone) and appends to the file it holds. Without the protection
the host's binary (here a private copy of it) is rewritten.
"""
import hashlib
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import BERTH, Bundle, berth as _berth, state, wait_for

# Hold the exe of pid $1 on fd 3, say so, then append to it until that works or 4 s pass.
ATTACK = ("exec 3</proc/$1/exe || { echo NOFD > /out/result; exit; }; readlink /proc/self/fd/3 > /out/held; "
          "i=0; while [ $i -lt 80 ]; do "
          "if echo PWNED >> /proc/self/fd/3; then echo WROTE > /out/result; exit; fi; "
          "i=$((i+1)); sleep 0.05; done; echo REFUSED > /out/result")


@pytest.fixture
def victim_binary(tmp_path):
    """A private copy of berth: an attack that works rewrites this file, never the build."""
    path = tmp_path / "bin" / "berth"
    path.parent.mkdir()
    shutil.copy2(BERTH, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    yield str(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, "a container rewrote berth's binary"


def berth_as(binary, *args, **kw):
    import conftest
    saved = conftest.BERTH
    conftest.BERTH = binary
    try:
        return _berth(*args, **kw)
    finally:
        conftest.BERTH = saved


def attacker_bundle(tmp_path, rootfs, name, out):
    b = Bundle(tmp_path / name, rootfs)
    b.path.mkdir()
    b.add_capabilities("CAP_SYS_PTRACE")
    b.config["mounts"].append({"destination": "/out", "type": "bind", "source": str(out), "options": ["rbind", "rw"]})
    return b


def ns_pid(host_pid):
    """The pid of host_pid in its innermost pid namespace."""
    with open(f"/proc/{host_pid}/status") as f:
        for line in f:
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    raise AssertionError("no NSpid")


def result(out):
    assert wait_for(lambda: (out / "result").exists(), timeout=30), "the attack did not finish"
    time.sleep(0.1)
    return (out / "result").read_text().strip()


def start_attack(binary, root, attacker, pid, out):
    r = berth_as(binary, "exec", "-d", attacker, "sh", "-c", ATTACK, "attack", str(pid), root=root)
    assert r.rc == 0, r
    assert wait_for(lambda: (out / "held").exists() or (out / "result").exists(), timeout=15)
    assert not (out / "result").exists(), (out / "result").read_text()


def pod(tmp_path, rootfs, root, binary, sidecar, out, *victim_args):
    """A running sidecar with CAP_SYS_PTRACE and a bundle whose container joins its pid namespace."""
    a = attacker_bundle(tmp_path, rootfs, "sidecar", out)
    a.args("sleep", "60").write()
    assert berth_as(binary, "run", "-d", "-b", a.path, sidecar, root=root).rc == 0
    pid = state(root, sidecar)["pid"]
    b = Bundle(tmp_path / "bundle", rootfs)
    b.path.mkdir()
    b.config["linux"]["namespaces"] = [
        {"type": "pid", "path": f"/proc/{pid}/ns/pid"} if n["type"] == "pid" else n
        for n in b.config["linux"]["namespaces"]]
    b.args(*victim_args).write()
    return b


def test_init_waiting_for_start_is_out_of_reach_of_ptrace_in_the_container(tmp_path, rootfs, root, cid,
                                                                           victim_binary):
    """The attack of the report: a CAP_SYS_PTRACE process exec'd between create and start holds /proc/1/exe."""
    out = tmp_path / "out"
    out.mkdir()
    b = attacker_bundle(tmp_path, rootfs, "bundle", out)
    b.args("sleep", "30").write()
    try:
        assert berth_as(victim_binary, "create", "-b", b.path, cid, root=root).rc == 0
        start_attack(victim_binary, root, cid, 1, out)
        assert berth_as(victim_binary, "start", cid, root=root).rc == 0
        assert result(out) == "REFUSED"
    finally:
        berth_as(victim_binary, "delete", "-f", cid, root=root)


def test_new_container_in_a_shared_pid_namespace_is_out_of_reach_of_a_sidecar(tmp_path, rootfs, root, cid,
                                                                              victim_binary):
    """A pod: the sidecar has CAP_SYS_PTRACE, the new container only the default capabilities."""
    out = tmp_path / "out"
    out.mkdir()
    sidecar = cid + "-sidecar"
    try:
        b = pod(tmp_path, rootfs, root, victim_binary, sidecar, out, "sleep", "30")
        assert berth_as(victim_binary, "create", "-b", b.path, cid, root=root).rc == 0
        start_attack(victim_binary, root, sidecar, ns_pid(state(root, cid)["pid"]), out)
        assert berth_as(victim_binary, "start", cid, root=root).rc == 0
        assert result(out) == "REFUSED"
    finally:
        berth_as(victim_binary, "delete", "-f", cid, root=root)
        berth_as(victim_binary, "delete", "-f", sidecar, root=root)


def test_exec_child_is_out_of_reach_of_a_sidecar(tmp_path, rootfs, root, cid, victim_binary):
    """berth exec's child is berth's image until it executes the program. Held there by a paused container (it is
    born frozen), it is found by a sidecar sharing the pid namespace, which holds its exe past berth's exit."""
    out = tmp_path / "out"
    out.mkdir()
    sidecar = cid + "-sidecar"
    exec_proc = None
    try:
        b = pod(tmp_path, rootfs, root, victim_binary, sidecar, out, "sleep", "60")
        assert berth_as(victim_binary, "run", "-d", "-b", b.path, cid, root=root).rc == 0
        assert berth_as(victim_binary, "pause", cid, root=root).rc == 0
        exec_proc = subprocess.Popen([victim_binary, "--root", str(root), "exec", "--ignore-paused", cid, "true"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def child():
            try:
                with open(f"/proc/{exec_proc.pid}/task/{exec_proc.pid}/children") as f:
                    kids = f.read().split()
                return int(kids[0]) if kids else None
            except OSError:
                return None
        assert wait_for(lambda: child() is not None, timeout=15), "berth exec made no child"
        start_attack(victim_binary, root, sidecar, ns_pid(child()), out)
        exec_proc.send_signal(signal.SIGKILL)
        exec_proc.wait(timeout=10)
        assert berth_as(victim_binary, "resume", cid, root=root).rc == 0
        assert result(out) == "REFUSED"
    finally:
        if exec_proc and exec_proc.poll() is None:
            exec_proc.kill()
            exec_proc.wait()
        berth_as(victim_binary, "delete", "-f", cid, root=root)
        berth_as(victim_binary, "delete", "-f", sidecar, root=root)


def test_the_guard_decides_from_the_binary_not_from_the_environment(bundle, root, container):
    """An inherited variable (the old _BERTH_EXE_GUARDED) cannot switch the protection off."""
    bundle.args("sh", "-c", "readlink /proc/self/exe").write()
    env = dict(os.environ, _BERTH_EXE_GUARDED="1")
    assert _berth("create", "-b", bundle.path, container, root=root, env=env).rc == 0
    pid = state(root, container)["pid"]
    link = os.readlink(f"/proc/{pid}/exe")
    assert link.startswith("/memfd:berth"), link
    _berth("delete", "-f", container, root=root)


def test_a_binary_on_a_read_only_mount_runs_as_it_is(tmp_path, bundle, root, cid):
    """The fast path: a berth bound read-only over itself (as the package sets up) is not copied."""
    binary = tmp_path / "ro" / "berth"
    binary.parent.mkdir()
    shutil.copy2(BERTH, binary)
    script = (f"mount --bind {binary} {binary} && mount -o remount,bind,ro {binary} && "
              f"{binary} --root {root} create -b {bundle.path} {cid} && "
              f"readlink /proc/$({binary} --root {root} state {cid} | sed -n 's/.*\"pid\": *\\([0-9]*\\).*/\\1/p')/exe; "
              f"{binary} --root {root} delete -f {cid}")
    bundle.args("sleep", "10").write()
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r
    assert r.stdout.strip() == str(binary), r
