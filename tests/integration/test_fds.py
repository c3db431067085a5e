"""CVE-2024-21626 class: a process entering a container gets stdio, the fds its caller passed and nothing else.

Protection guarded: cmd/create_options.c preserve_fds_reserve (create, run and exec fill the caller's holes in
[0, 3+N) with /dev/null before berth opens anything) and the child's close_fds_from/child_prepare_fds. Each test
lists /proc/self/fd from inside, for one way in, with a caller that leaves holes in the range it asks for; a fd
of berth's there (a cgroup directory, a pidfd, a namespace, the state directory, the log) fails it.
"""
import json
import os
import subprocess

import pytest

from conftest import BERTH, ConsoleSocket, berth, state

# The shell's own fds, as ls (its child, writing straight to stdout) sees them.
LIST = 'ls -l /proc/$$/fd'


def listed(text):
    fds = {}
    for line in text.replace("\r", "").splitlines():
        if " -> " in line:
            left, target = line.split(" -> ", 1)
            fds[int(left.split()[-1])] = target
    return fds


def check(fds, passed, n, stdio_ok=lambda t: True):
    """fds 0-2 are stdio, 3..3+n-1 are what the caller passed (or /dev/null for a hole), nothing beyond."""
    assert set(fds) <= set(range(3 + n)), f"fds beyond the caller's: {fds}"
    for fd in range(3, 3 + n):
        want = passed.get(fd, "/dev/null")
        assert fds.get(fd) == want, (fd, fds)
    for fd in (0, 1, 2):
        assert stdio_ok(fds.get(fd, "")), fds


def sh(script, timeout=30, env=None):
    """Run a shell script whose only open fds are stdio (and what it opens itself)."""
    r = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=timeout, env=env,
                       stdin=subprocess.DEVNULL, close_fds=True)
    return r


@pytest.fixture
def marked(tmp_path):
    """Two host files the caller passes; inside the container their paths read as seen from the host mount."""
    a, b = tmp_path / "passed-a", tmp_path / "passed-b"
    a.write_text("a")
    b.write_text("b")
    return str(a), str(b)


def no_berth_target(fds):
    for t in fds.values():
        assert "cgroup" not in t and "pidfd" not in t and ":[" not in t.replace("pipe:[", "").replace("socket:[", "") \
            and "berth" not in t, fds


@pytest.mark.parametrize("how", ["run", "create-start"])
def test_run_and_create_with_holes(bundle, root, container, marked, how):
    a, b = marked
    bundle.args("sh", "-c", LIST).write()
    if how == "run":
        cmd = f"{BERTH} --root {root} --log {root}/log run --preserve-fds 6 -b {bundle.path} {container}"
    else:
        cmd = (f"{BERTH} --root {root} --log {root}/log create --preserve-fds 6 -b {bundle.path} {container} && "
               f"{BERTH} --root {root} start {container} && sleep 1")
    # fd 3 and 6 passed, 4, 5, 7 and 8 left as holes; the log is open too.
    r = sh(f"exec 3<{a} 6<{b}; {cmd}")
    assert r.returncode == 0, r
    fds = listed(r.stdout)
    no_berth_target(fds)
    check(fds, {3: a, 6: b}, 6, stdio_ok=lambda t: t != "" and "log" not in t)


@pytest.fixture
def running(bundle, root, container):
    bundle.args("sleep", "60").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    return container


def test_exec_with_holes(root, running, marked):
    """The report's attack: exec --preserve-fds 8 from a caller with few fds handed berth's own fds over."""
    a, _ = marked
    r = sh(f"exec 4<{a}; {BERTH} --root {root} --log {root}/log exec --preserve-fds 8 {running} sh -c '{LIST}'")
    assert r.returncode == 0, r
    fds = listed(r.stdout)
    no_berth_target(fds)
    check(fds, {4: a}, 8)


def test_exec_without_preserve_fds_from_a_caller_with_stdin_closed(root, running):
    """With fd 0 closed, berth's first open would take it: it must be /dev/null, never berth's."""
    r = sh(f"{BERTH} --root {root} exec {running} sh -c '{LIST}' <&-")
    assert r.returncode == 0, r
    fds = listed(r.stdout)
    no_berth_target(fds)
    check(fds, {}, 0)
    assert fds[0] == "/dev/null", fds


def test_exec_process_json_with_holes(root, running, marked, tmp_path):
    a, _ = marked
    process = {"args": ["sh", "-c", LIST], "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}}
    (tmp_path / "process.json").write_text(json.dumps(process))
    r = sh(f"exec 5<{a}; {BERTH} --root {root} exec --process {tmp_path}/process.json --preserve-fds 4 {running}")
    assert r.returncode == 0, r
    fds = listed(r.stdout)
    no_berth_target(fds)
    check(fds, {5: a}, 4)


def test_exec_tty_with_holes(root, running, tmp_path):
    sock = ConsoleSocket(tmp_path / "console.sock")
    r = sh(f"{BERTH} --root {root} exec -t -d --console-socket {sock.path} --preserve-fds 5 {running} "
           f"sh -c '{LIST}; sleep 0.5'")
    assert r.returncode == 0, r
    assert sock.wait() is not None
    fds = listed(sock.read_all())
    no_berth_target(fds)
    check(fds, {}, 5, stdio_ok=lambda t: t.startswith("/dev/pts/"))


def test_listen_fds_with_a_hole(bundle, root, container, marked):
    """Socket activation: LISTEN_FDS=3 from a caller that has only fd 3 and 5."""
    a, b = marked
    bundle.args("sh", "-c", LIST).write()
    r = sh(f"exec 3<{a} 5<{b}; LISTEN_PID=$$ LISTEN_FDS=3 exec {BERTH} --root {root} run -b {bundle.path} {container}")
    assert r.returncode == 0, r
    fds = listed(r.stdout)
    no_berth_target(fds)
    check(fds, {3: a, 5: b}, 3)


OLD_PROFILE = """
import ctypes, errno, os, sys
lib = ctypes.CDLL("libseccomp.so.2")
lib.seccomp_init.restype = ctypes.c_void_p
lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
lib.seccomp_load.argtypes = [ctypes.c_void_p]
ctx = lib.seccomp_init(0x7fff0000)  # SCMP_ACT_ALLOW
for name in (b"openat2", b"close_range"):
    nr = lib.seccomp_syscall_resolve_name(name)
    assert lib.seccomp_rule_add(ctx, 0x00050000 | errno.EPERM, nr, 0) == 0  # SCMP_ACT_ERRNO(EPERM)
assert lib.seccomp_load(ctx) == 0
os.execv(sys.argv[1], sys.argv[1:])
"""


def test_under_a_seccomp_profile_older_than_openat2_and_close_range(bundle, root, container, marked):
    """berth nested in a container whose (old Docker) profile answers EPERM for syscalls it does not know: the
    rootfs is still resolved (by the careful walker) and berth's fds still closed (one by one), so nothing of
    berth's reaches the container."""
    import sys
    a, _ = marked
    bundle.args("sh", "-c", LIST).write()
    r = sh(f"exec 3<{a}; {sys.executable} -c '{OLD_PROFILE}' {BERTH} --root {root} run --preserve-fds 2 "
           f"-b {bundle.path} {container}")
    assert r.returncode == 0, r
    fds = listed(r.stdout)
    no_berth_target(fds)
    check(fds, {3: a}, 2)
