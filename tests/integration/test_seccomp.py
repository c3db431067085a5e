"""linux.seccomp: actions, errno values, argument conditions, flags, the notify listener, and exec."""
import ctypes
import fcntl
import json
import os
import platform
import shutil
import socket
import struct
import subprocess
import threading

import pytest

from conftest import berth, run, state, wait_for
from needs import tools

ALLOW = "SCMP_ACT_ALLOW"


def with_filter(bundle, syscalls, default=ALLOW, **extra):
    bundle.config["linux"]["seccomp"] = {"defaultAction": default, "syscalls": syscalls, **extra}


def test_a_real_default_profile(bundle, root, container):
    with open(os.path.join(os.path.dirname(__file__), "..", "data", "kubernetes-config.json")) as f:
        bundle.config["linux"]["seccomp"] = json.load(f)["linux"]["seccomp"]
    r = run(bundle, root, container, "sh", "-c", "grep Seccomp: /proc/self/status; ls / > /dev/null && echo ok")
    assert r.rc == 0, r
    assert r.out.split() == ["Seccomp:", "2", "ok"]


def test_errno_actions_and_values(bundle, root, container):
    with_filter(bundle, [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
                         {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO"},
                         {"names": ["not_a_syscall_anywhere"], "action": "SCMP_ACT_KILL"}])
    bundle.config["mounts"].append({"destination": "/scratch", "type": "tmpfs", "source": "tmpfs"})
    r = run(bundle, root, container, "sh", "-c", "mkdir /scratch/a; rmdir /scratch; true")
    assert r.rc == 0, r
    assert "Function not implemented" in r.err  # errnoRet 38 (ENOSYS)
    assert "Operation not permitted" in r.err or "Device or resource busy" in r.err  # default errno: EPERM


def test_default_errno_ret(bundle, root, container):
    # Everything not listed fails with defaultErrnoRet; what the shell needs is allowed by name.
    with open(os.path.join(os.path.dirname(__file__), "..", "data", "kubernetes-config.json")) as f:
        profile = json.load(f)["linux"]["seccomp"]
    profile["defaultErrnoRet"] = 38
    for rule in profile["syscalls"]:
        if rule["action"] == ALLOW:
            rule["names"] = [n for n in rule["names"] if n not in ("mkdir", "mkdirat")]
    bundle.config["linux"]["seccomp"] = profile
    bundle.config["mounts"].append({"destination": "/scratch", "type": "tmpfs", "source": "tmpfs"})
    r = run(bundle, root, container, "sh", "-c", "mkdir /scratch/a")
    assert r.rc != 0 and "Function not implemented" in r.err, r


def test_argument_conditions(bundle, root, container):
    # kill(pid, sig): deny sig == 0; deny (sig & 0x10) == 0x10 (SIGCONT is 18); let SIGUSR1 (10) through.
    with_filter(bundle, [
        {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["kill"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 1, "value": 16, "valueTwo": 16, "op": "SCMP_CMP_MASKED_EQ"}]}])
    r = run(bundle, root, container, "sh", "-c",
            "trap '' USR1; kill -0 $$ 2>/dev/null && echo sig0-ok || echo sig0-denied; "
            "kill -CONT $$ 2>/dev/null && echo cont-ok || echo cont-denied; "
            "kill -USR1 $$ && echo usr1-ok")
    assert r.out.split() == ["sig0-denied", "cont-denied", "usr1-ok"], r


def test_conditions_on_one_argument_mean_any_of(bundle, root, container):
    with_filter(bundle, [{"names": ["kill"], "action": "SCMP_ACT_ERRNO",
                          "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"},
                                   {"index": 1, "value": 18, "op": "SCMP_CMP_EQ"}]}])
    r = run(bundle, root, container, "sh", "-c",
            "kill -0 $$ 2>/dev/null || echo a; kill -CONT $$ 2>/dev/null || echo b; trap '' USR2; kill -USR2 $$ && echo c")
    assert r.out.split() == ["a", "b", "c"], r


def test_kill_process_action(bundle, root, container):
    with_filter(bundle, [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}])
    r = run(bundle, root, container, "mkdir", "/tmp/x")
    assert r.rc == 128 + 31, r  # SIGSYS


@pytest.mark.parametrize("action,effect", [
    ("SCMP_ACT_KILL", "killed"), ("SCMP_ACT_KILL_THREAD", "killed"), ("SCMP_ACT_TRAP", "killed"),
    ("SCMP_ACT_TRACE", "enosys"), ("SCMP_ACT_LOG", "allowed")])
def test_each_action_has_its_effect(bundle, root, container, tmp_path, action, effect):
    # On the init itself (one thread): a kill or an unhandled SIGSYS ends it; TRACE without a tracer fails the
    # call with ENOSYS; LOG lets it through.
    out = tmp_path / "out"
    out.mkdir()
    bundle.config["mounts"].append({"destination": "/out", "type": "bind", "source": str(out), "options": ["rbind"]})
    with_filter(bundle, [{"names": ["mkdir", "mkdirat"], "action": action}])
    r = run(bundle, root, container, "mkdir", "/out/made")
    if effect == "killed":
        assert r.rc == 128 + 31 and not (out / "made").exists(), r  # SIGSYS
    elif effect == "enosys":
        assert r.rc == 1 and "Function not implemented" in r.err and not (out / "made").exists(), r
    else:
        assert r.rc == 0 and (out / "made").is_dir(), r


SIGNALS = {"0": 0, "USR1": 10, "USR2": 12, "CONT": 18}


@pytest.mark.parametrize("op,value,denied", [
    ("SCMP_CMP_NE", 10, {"0", "USR2", "CONT"}), ("SCMP_CMP_LT", 11, {"0", "USR1"}),
    ("SCMP_CMP_LE", 10, {"0", "USR1"}), ("SCMP_CMP_GT", 12, {"CONT"}), ("SCMP_CMP_GE", 12, {"USR2", "CONT"})])
def test_each_comparison_operator(bundle, root, container, op, value, denied):
    # kill(pid, sig): the rule denies the signals its comparison on argument 1 matches, and only those.
    with_filter(bundle, [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": value, "op": op}]}])
    script = "trap '' USR1 USR2 CONT; " + "; ".join(
        f"kill -{name} $$ 2>/dev/null && echo {name}=ok || echo {name}=denied" for name in SIGNALS)
    r = run(bundle, root, container, "sh", "-c", script)
    assert r.rc == 0, r
    got = dict(line.split("=") for line in r.out.split())
    assert got == {name: "denied" if name in denied else "ok" for name in SIGNALS}, (op, value, r.out)


def test_flags(bundle, root, container, cid):
    with_filter(bundle, [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}],
                flags=["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"])
    assert run(bundle, root, container, "true").rc == 0
    with_filter(bundle, [], flags=["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"])
    r = run(bundle, root, container + "-2", "true")
    assert r.rc == 1
    assert r.err.startswith(f'berth: run "{container}-2": linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV '
                            'is not supported')


def test_filter_also_without_no_new_privileges_and_for_another_user(bundle, root, container):
    bundle.config["process"]["noNewPrivileges"] = False
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    with_filter(bundle, [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}])
    r = run(bundle, root, container, "sh", "-c", "grep Seccomp: /proc/self/status; id -u; mkdir /tmp/x")
    assert r.out.split() == ["Seccomp:", "2", "1000"] and "Function not implemented" in r.err, r


def test_exec_applies_the_containers_filter(bundle, root, container):
    with_filter(bundle, [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}])
    bundle.args("sleep", "30").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    r = berth("exec", container, "sh", "-c", "grep Seccomp: /proc/self/status; mkdir /tmp/y", root=root)
    assert "Seccomp:\t2" in r.out and "Function not implemented" in r.err, r


# struct seccomp_notif (80 bytes) and seccomp_notif_resp (24 bytes), and their ioctls.
NOTIF_RECV = 0xC0502100
NOTIF_SEND = 0xC0182101


def listener(path, box):
    """A seccomp agent: receives the notify fd and the state, then answers each notification with success."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(1)
    box["ready"].set()
    conn, _ = sock.accept()
    msg, fds, _, _ = socket.recv_fds(conn, 65536, 1)
    box["state"] = json.loads(msg)
    fd = fds[0]
    conn.close()
    sock.close()
    for _ in range(2):
        buf = bytearray(80)
        try:
            fcntl.ioctl(fd, NOTIF_RECV, buf)
        except OSError:
            break
        notif_id, pid = struct.unpack_from("<QI", buf)
        nr = struct.unpack_from("<i", buf, 16)[0]
        box.setdefault("syscalls", []).append(nr)
        resp = bytearray(struct.pack("<QqiI", notif_id, 0, 0, 0))  # pretend it worked
        fcntl.ioctl(fd, NOTIF_SEND, resp)
    os.close(fd)


def test_notify_listener(bundle, root, container, tmp_path):
    path = str(tmp_path / "agent.sock")
    box = {"ready": threading.Event()}
    t = threading.Thread(target=listener, args=(path, box), daemon=True)
    t.start()
    box["ready"].wait(5)
    with_filter(bundle, [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}],
                listenerPath=path, listenerMetadata="agent-meta")
    bundle.config["mounts"].append({"destination": "/scratch", "type": "tmpfs", "source": "tmpfs"})
    r = run(bundle, root, container, "sh", "-c", "mkdir /scratch/made && echo mkdir-ok; ls /scratch | wc -l")
    t.join(10)
    assert r.rc == 0, r
    # The agent said "success" without doing it: the call returned 0, the directory does not exist.
    assert r.out.split() == ["mkdir-ok", "0"]
    s = box["state"]
    assert s["fds"] == ["seccompFd"] and s["metadata"] == "agent-meta"
    assert s["state"]["id"] == container and s["pid"] == s["state"]["pid"] > 0
    assert box["syscalls"], "the agent received the notification"


def test_notify_without_listener_path_is_refused(bundle, root, cid):
    with_filter(bundle, [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}])
    r = run(bundle, root, cid, "true")
    assert r.rc == 1 and r.err == f'berth: run "{cid}": linux.seccomp: SCMP_ACT_NOTIFY needs listenerPath\n'
    from conftest import assert_nothing_left
    assert_nothing_left(root, cid, bundle.path)


def test_seccomp_leaves_no_new_privs_to_the_config(bundle, root, container):
    # libseccomp sets no_new_privs by default; berth applies only process.noNewPrivileges.
    bundle.config["process"]["noNewPrivileges"] = False
    with_filter(bundle, [{"names": ["fanotify_init"], "action": "SCMP_ACT_ERRNO"}])
    r = run(bundle, root, container, "grep", "NoNewPrivs", "/proc/self/status")
    assert r.rc == 0 and r.out.split() == ["NoNewPrivs:", "0"], r


# What a static glibc program and the init's last steps need, all older than rseq (334 on x86_64).
STATIC_PROGRAM_SYSCALLS = [
    "execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64", "mprotect",
    "readlinkat", "readlink", "getrandom", "uname", "write", "exit_group", "exit", "newfstatat", "fstat", "read",
    "close", "sendmsg", "sendto", "recvmsg", "poll", "rt_sigprocmask", "rt_sigaction", "getpid", "mmap", "munmap",
    "futex", "ioctl", "lseek", "openat", "fcntl"]


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the syscall numbers are x86_64's")
@tools("cc")
def test_enosys_stub_for_syscalls_newer_than_the_profile(bundle, root, container, tmp_path):
    helpers = tmp_path / "helpers"
    helpers.mkdir()
    subprocess.run(["cc", "-O2", "-static", "-o", str(helpers / "syscall"),
                    os.path.join(os.path.dirname(__file__), "helpers", "syscall.c")], check=True)
    bundle.config["mounts"].append({"destination": "/helpers", "type": "bind", "source": str(helpers),
                                    "options": ["rbind", "ro"]})
    with_filter(bundle, [{"names": STATIC_PROGRAM_SYSCALLS, "action": ALLOW}], default="SCMP_ACT_ERRNO")
    # 300 (fanotify_init) is older than rseq: the default, EPERM. 435 (clone3) and 437 (openat2) are newer than
    # anything the profile names: ENOSYS, so a libc would fall back to clone and openat.
    r = run(bundle, root, container, "/helpers/syscall", "300", "435", "437")
    assert r.rc == 0, r
    assert r.out.split() == ["300:EPERM", "435:ENOSYS", "437:ENOSYS"]


def cache_entries(root):
    cache = root / ".seccomp:cache"
    return sorted(os.listdir(cache)) if cache.exists() else []


def test_compiled_profiles_are_cached_and_checked(bundle, root, cid):
    # Compiling a Docker-sized profile costs libseccomp ~20 ms; the program is kept under the root, keyed by the
    # profile itself, for the next create and exec (bench/ measures the difference).
    with_filter(bundle, [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}])
    bundle.config["mounts"].append({"destination": "/scratch", "type": "tmpfs", "source": "tmpfs"})
    script = "mkdir /scratch/a 2>&1; true"
    r = run(bundle, root, cid + "-1", "sh", "-c", script)
    assert r.rc == 0 and "Function not implemented" in r.out, r
    entries = cache_entries(root)
    assert len(entries) == 1
    entry = root / ".seccomp:cache" / entries[0]
    written = entry.stat().st_mtime_ns
    # A hit: the same program, not rewritten.
    r = run(bundle, root, cid + "-2", "sh", "-c", script)
    assert r.rc == 0 and "Function not implemented" in r.out, r
    assert entry.stat().st_mtime_ns == written
    # exec of the cached program applies it too.
    bundle.args("sleep", "30").write()
    assert berth("run", "-d", "--bundle", bundle.path, cid + "-3", root=root).rc == 0
    r = berth("exec", cid + "-3", "sh", "-c", script, root=root)
    assert "Function not implemented" in r.out, r
    berth("delete", "-f", cid + "-3", root=root)
    # The cache is no container.
    assert json.loads(berth("list", "--format", "json", root=root).out) is None

    # An entry that does not hold this profile is never used: a forged program that allows everything.
    data = bytearray(entry.read_bytes())
    data[-8:] = struct.pack("<HBBI", 0x06, 0, 0, 0x7FFF0000)  # its last instruction: return ALLOW
    header = struct.calcsize("<8sIIII")
    data[header:header + 6] = b"{XXXX:"  # the stored profile no longer matches
    entry.write_bytes(bytes(data))
    r = run(bundle, root, cid + "-4", "sh", "-c", script)
    assert r.rc == 0 and "Function not implemented" in r.out, r
    assert entry.read_bytes()[header:header + 6] != b"{XXXX:", "the bad entry is replaced"

    # Another profile, another entry.
    with_filter(bundle, [{"names": ["rmdir"], "action": "SCMP_ACT_ERRNO"}])
    assert run(bundle, root, cid + "-5", "true").rc == 0
    assert len(cache_entries(root)) == 2
    for i in range(1, 6):
        berth("delete", "-f", f"{cid}-{i}", root=root)
