"""What callers send, and what runc does with it: configs from containerd, Podman and Kubernetes run as on runc."""
import json
import os
import subprocess

import pytest

import cgroupfs
from cgroupfs import V2
from conftest import berth, run, state


def without_home(bundle):
    bundle.config["process"]["env"] = [e for e in bundle.config["process"]["env"] if not e.startswith("HOME=")]
    return bundle


def test_home_comes_from_the_containers_passwd(bundle, root, container, tmp_path):
    without_home(bundle)
    r = run(bundle, root, container, "sh", "-c", 'echo "HOME=$HOME"')
    assert r.rc == 0 and r.out == "HOME=/root\n", r


def test_home_of_a_user_not_in_passwd_is_slash(bundle, root, container):
    without_home(bundle).config["process"]["user"] = {"uid": 4242, "gid": 4242}
    r = run(bundle, root, container, "sh", "-c", 'echo "HOME=$HOME"')
    assert r.rc == 0 and r.out == "HOME=/\n", r


def test_home_given_by_the_config_is_kept(bundle, root, container):
    bundle.config["process"]["env"].append("HOME=/work")
    r = run(bundle, root, container, "sh", "-c", 'echo "HOME=$HOME"')
    assert r.rc == 0 and r.out.count("HOME=") == 1 and r.out == "HOME=/work\n", r


def test_exec_sets_home_for_its_user(bundle, root, container):
    without_home(bundle).args("sleep", "60").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    r = berth("exec", "--user", "65534:65534", "--env", "X=1", container, "sh", "-c", 'echo "HOME=$HOME"', root=root)
    # nobody's home in the test image's /etc/passwd is "/".
    assert r.rc == 0 and r.out == "HOME=/\n", r
    r = berth("exec", container, "sh", "-c", 'echo "HOME=$HOME"', root=root)
    assert r.rc == 0 and r.out == "HOME=/root\n", r


def test_unknown_capability_is_a_warning_and_the_known_ones_apply(bundle, root, container):
    bundle.add_capabilities("CAP_FROM_A_NEWER_KERNEL", "CAP_SYS_PTRACE")
    r = run(bundle, root, container, "sh", "-c", "grep CapEff /proc/self/status")
    assert r.rc == 0, r
    assert "ignoring unknown or unavailable capabilities: [CAP_FROM_A_NEWER_KERNEL]" in r.err, r
    eff = int(r.out.split()[1], 16)
    assert eff & (1 << 19), f"CAP_SYS_PTRACE (19) missing from {r.out!r}"


def test_exec_cap_unknown_is_a_warning(bundle, root, container):
    bundle.args("sleep", "60").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    r = berth("exec", "--cap", "CAP_NOT_YET", container, "true", root=root)
    assert r.rc == 0 and 'ignoring unknown or unavailable capability "CAP_NOT_YET"' in r.err, r


def swap_file(pid):
    if V2:
        with open(os.path.join(cgroupfs.container_dir(pid, "memory"), "memory.swap.max")) as f:
            return f.read().strip()
    with open(os.path.join(cgroupfs.container_dir(pid, "memory"), "memory.memsw.limit_in_bytes")) as f:
        return f.read().strip()


UNLIMITED = ("max", "9223372036854771712")


def test_swap_zero_means_unset(bundle, root, container):
    bundle.config["linux"]["resources"]["memory"] = {"limit": 64 << 20, "swap": 0}
    bundle.args("sleep", "60").write()
    r = berth("run", "-d", "-b", bundle.path, container, root=root)
    assert r.rc == 0, r
    pid = state(root, container)["pid"]
    cgroupfs.expect(pid, "memory", "memory.limit_in_bytes", str(64 << 20))
    assert swap_file(pid) in UNLIMITED


def test_update_memory_unlimited_under_a_swap_limit(bundle, root, container):
    bundle.config["linux"]["resources"]["memory"] = {"limit": 64 << 20, "swap": 96 << 20}
    bundle.args("sleep", "60").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    pid = state(root, container)["pid"]
    assert swap_file(pid) == (str(32 << 20) if V2 else str(96 << 20))
    r = berth("update", "--memory", "-1", container, root=root)
    assert r.rc == 0, r
    assert cgroupfs.read(pid, "memory", "memory.limit_in_bytes") in UNLIMITED
    assert swap_file(pid) in UNLIMITED
    # Growing again: swap is written before the limit it must stay above.
    r = berth("update", "--memory", "32m", "--memory-swap", "48m", container, root=root)
    assert r.rc == 0, r
    r = berth("update", "--memory", "80m", "--memory-swap", "160m", container, root=root)
    assert r.rc == 0, r
    cgroupfs.expect(pid, "memory", "memory.limit_in_bytes", str(80 << 20))


def test_missing_cwd_is_created(public_bundle, root, cid):
    b = public_bundle
    b.config["root"]["readonly"] = False
    b.config["process"]["cwd"] = "/made/by/berth"
    try:
        r = run(b, root, cid, "sh", "-c", "pwd; stat -c '%a %u' /made/by/berth")
        assert r.rc == 0 and r.out == "/made/by/berth\n755 0\n", r
        assert os.path.isdir(os.path.join(b.config["root"]["path"], "made/by/berth"))
    finally:
        berth("delete", "-f", cid, root=root)


def test_missing_cwd_never_leaves_the_rootfs(public_bundle, root, cid, tmp_path):
    b = public_bundle
    rootfs = b.config["root"]["path"]
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(str(outside), os.path.join(rootfs, "escape"))
    b.config["root"]["readonly"] = False
    b.config["process"]["cwd"] = "/escape/made"
    try:
        r = run(b, root, cid, "pwd")
        assert r.rc == 0, r
        assert not (outside / "made").exists(), "the cwd was made outside the rootfs"
        assert os.path.isdir(os.path.join(rootfs, str(outside).lstrip("/"), "made"))
    finally:
        berth("delete", "-f", cid, root=root)


def test_relative_bind_source_is_the_bundles(bundle, root, container):
    (bundle.path / "srcdir").mkdir()
    (bundle.path / "srcdir" / "marker").write_text("from the bundle\n")
    bundle.config["mounts"] += [
        {"destination": "/work", "type": "bind", "source": "srcdir", "options": ["rbind", "ro"]},
        {"destination": "/mnt", "type": "bind", "source": ".", "options": ["bind", "ro"]}]
    r = run(bundle, root, container, "sh", "-c", "cat /work/marker; ls /mnt")
    assert r.rc == 0 and r.out == "from the bundle\nconfig.json\nsrcdir\n", r


@pytest.fixture
def tree_with_submount(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "berth-test-sub", str(src / "sub")], check=True)
    yield src
    subprocess.run(["umount", "-l", str(src / "sub")], check=True)


@pytest.mark.parametrize("ro,sub_writable", [("ro", True), ("rro", False)])
def test_ro_on_an_rbind_is_the_top_mount_only(bundle, root, container, tree_with_submount, ro, sub_writable):
    bundle.config["mounts"].append({"destination": "/work", "type": "bind", "source": str(tree_with_submount),
                                    "options": ["rbind", ro]})
    r = run(bundle, root, container, "sh", "-c",
            "touch /work/top 2>/dev/null && echo top-rw || echo top-ro; touch /work/sub/x 2>/dev/null && echo sub-rw || echo sub-ro")
    assert r.rc == 0, r
    assert r.out == "top-ro\n" + ("sub-rw\n" if sub_writable else "sub-ro\n"), r


def test_read_only_dev_keeps_what_goes_under_it(bundle, root, container):
    for m in bundle.config["mounts"]:
        if m["destination"] == "/dev":
            m["options"].append("ro")
    r = run(bundle, root, container, "sh", "-c",
            "ls /dev/pts/ptmx /dev/null >/dev/null && echo ok; touch /dev/new 2>/dev/null && echo dev-rw || echo dev-ro; "
            "echo x > /dev/null && echo null-ok")
    assert r.rc == 0 and r.out == "ok\ndev-ro\nnull-ok\n", r


def test_read_only_tmpfs_with_a_mount_under_it(bundle, root, container):
    bundle.config["mounts"] += [
        {"destination": "/work", "type": "tmpfs", "source": "tmpfs", "options": ["ro", "size=1m"]},
        {"destination": "/work/inner", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]
    r = run(bundle, root, container, "sh", "-c",
            "touch /work/x 2>/dev/null && echo outer-rw || echo outer-ro; touch /work/inner/x && echo inner-rw")
    assert r.rc == 0 and r.out == "outer-ro\ninner-rw\n", r


def test_tmpfs_without_mode_takes_the_mountpoints_mode(public_bundle, root, cid):
    b = public_bundle
    os.chmod(os.path.join(b.config["root"]["path"], "work"), 0o711)
    b.config["mounts"] += [
        {"destination": "/work", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=1m"]},
        {"destination": "/newdir", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["mode=700"]}]
    try:
        r = run(b, root, cid, "stat", "-c", "%a", "/work", "/newdir", "/tmp")
        assert r.rc == 0 and r.out == "711\n1777\n700\n", r
    finally:
        berth("delete", "-f", cid, root=root)


def test_device_path_with_a_trailing_slash(bundle, root, container):
    bundle.config["linux"]["devices"] = [{"path": "/dev/mynull/", "type": "c", "major": 1, "minor": 3,
                                          "fileMode": 0o666}]
    r = run(bundle, root, container, "sh", "-c", "stat -c '%F %t:%T' /dev/mynull; echo x > /dev/mynull && echo written")
    assert r.rc == 0 and r.out == "character special file 1:3\nwritten\n", r


def test_sysctl_kernel_hostname_is_refused(bundle, root, cid):
    bundle.config["linux"]["sysctl"] = {"kernel.hostname": "sneaky"}
    r = run(bundle, root, cid, "hostname")
    assert r.rc != 0 and r.err.count("\n") == 1, r
    assert "linux.sysctl.kernel.hostname: conflicts with the hostname field" in r.err, r
    assert not (root / cid).exists()


# ---- exec, terminals, signals, update --------------------------------------------------------

from conftest import ConsoleSocket, wait_for  # noqa: E402


@pytest.fixture
def sleeping(bundle, root, container):
    bundle.args("sleep", "60").write()
    r = berth("run", "-d", "-b", bundle.path, container, root=root)
    assert r.rc == 0, r
    return container


def test_exec_without_t_has_no_terminal_even_if_the_config_has_one(bundle, root, container, tmp_path):
    console = ConsoleSocket(tmp_path / "console.sock")
    bundle.config["process"]["terminal"] = True
    bundle.args("sleep", "60").write()
    assert berth("run", "-d", "--console-socket", console.path, "-b", bundle.path, container, root=root).rc == 0
    console.wait()
    r = berth("exec", container, "sh", "-c", "tty; echo done", root=root)
    os.close(console.fd)
    assert r.rc == 0 and r.out == "not a tty\ndone\n", r


def test_exec_without_a_tty_is_a_session_leader(root, sleeping):
    # /proc/self/stat fields 1 and 6: pid and session id.
    r = berth("exec", sleeping, "sh", "-c", "cut -d' ' -f1,6 /proc/self/stat", root=root)
    assert r.rc == 0, r
    pid, sid = r.out.split()
    # cut runs as a child of the sh that exec started, which leads the session.
    r2 = berth("exec", sleeping, "sh", "-c", "echo $$; cut -d' ' -f6 /proc/$$/stat", root=root)
    me, my_sid = r2.out.split()
    assert me == my_sid, r2
    assert sid != "0"


def test_the_terminal_belongs_to_the_process_user(bundle, root, container, tmp_path):
    console = ConsoleSocket(tmp_path / "console.sock")
    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["user"] = {"uid": 1234, "gid": 1234}
    bundle.args("sh", "-c", "stat -c '%u' $(tty)").write()
    r = berth("create", "--console-socket", console.path, "-b", bundle.path, container, root=root)
    console.wait()
    assert r.rc == 0, r
    assert berth("start", container, root=root).rc == 0
    assert console.read_all().split() == ["1234"]


def test_exec_t_terminal_belongs_to_the_exec_user(root, sleeping, tmp_path):
    console = ConsoleSocket(tmp_path / "exec.sock")
    r = berth("exec", "-t", "-d", "--console-socket", console.path, "--user", "4321:4321", sleeping, "sh", "-c",
              "stat -c '%u' $(tty)", root=root)
    console.wait()
    assert r.rc == 0, r
    assert console.read_all().split() == ["4321"]


def test_kill_signal_zero_checks_the_init(bundle, root, container):
    bundle.args("sleep", "60").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    r = berth("kill", container, "0", root=root)
    assert r.rc == 0, r
    assert state(root, container)["status"] == "running"
    assert berth("kill", container, "KILL", root=root).rc == 0
    assert wait_for(lambda: state(root, container)["status"] == "stopped")
    r = berth("kill", container, "0", root=root)
    # containerd's shim matches runc's words: "container not running" is a finished process, not a failure.
    assert r.rc != 0 and f'"{container}": container not running' in r.err, r


def test_ps_options_after_the_id_go_to_ps(root, sleeping):
    for argv in (["ps", sleeping, "-e", "-o", "pid,comm"], ["ps", sleeping, "--", "-e", "-o", "pid,comm"]):
        r = berth(*argv, root=root)
        assert r.rc == 0, r
        lines = r.out.splitlines()
        assert lines[0].split() == ["PID", "COMMAND"], r
        assert [line.split()[1] for line in lines[1:]] == ["sleep"], r


def test_update_cpu_share_is_runcs_spelling(root, sleeping):
    pid = state(root, sleeping)["pid"]
    r = berth("update", "--cpu-share", "300", sleeping, root=root)
    assert r.rc == 0, r
    cgroupfs.expect(pid, "cpu", "cpu.shares", "300")


def test_state_during_create_is_creating(bundle, root, cid, tmp_path):
    gate = tmp_path / "gate"
    bundle.config["hooks"] = {"createRuntime": [{"path": "/bin/sh", "args": [
        "sh", "-c", f"touch {gate}.in; while [ ! -e {gate} ]; do sleep 0.05; done"]}]}
    bundle.args("true").write()
    import subprocess as sp
    from conftest import BERTH
    proc = sp.Popen([BERTH, "--root", str(root), "create", "-b", str(bundle.path), cid], stdout=sp.DEVNULL, stderr=sp.DEVNULL)
    try:
        assert wait_for(lambda: os.path.exists(f"{gate}.in"))
        s = state(root, cid)
        assert s["status"] == "creating", s
        gate.touch()
        assert proc.wait(timeout=20) == 0
        assert state(root, cid)["status"] == "created"
    finally:
        gate.touch()
        proc.wait(timeout=20)
        berth("delete", "-f", cid, root=root)


def test_debug_logs_the_steps(bundle, root, container, tmp_path):
    log = tmp_path / "log.json"
    bundle.config["hooks"] = {"poststart": [{"path": "/bin/true"}]}
    bundle.args("true").write()
    r = berth("--debug", "--log", log, "--log-format", "json", "run", "-b", bundle.path, container, root=root)
    assert r.rc == 0, r
    records = [json.loads(line) for line in log.read_text().splitlines()]
    debug = [x["msg"] for x in records if x["level"] == "debug"]
    assert any(m.startswith("run: ") for m in debug), records
    assert "running 1 poststart hook(s), each whatever the others do" in debug, records
    # Without --debug: no debug record.
    log.unlink()
    r = berth("--log", log, "--log-format", "json", "delete", container, root=root)
    assert not log.exists() or all(json.loads(x)["level"] != "debug" for x in log.read_text().splitlines())


# ---- hooks -----------------------------------------------------------------------------------

def marker_hook(path, name, fail=False):
    return {"path": "/bin/sh", "args": ["sh", "-c", f"echo {name} >> {path}" + ("; exit 3" if fail else "")]}


@pytest.mark.parametrize("kind", ["poststart", "poststop"])
def test_a_failing_hook_does_not_stop_the_others(bundle, root, container, tmp_path, kind):
    out = tmp_path / "ran"
    bundle.config["hooks"] = {kind: [marker_hook(out, "one", fail=True), marker_hook(out, "two")]}
    bundle.args("true").write()
    # A foreground run deletes the container as it exits: poststop runs there too.
    r = berth("run", "-b", bundle.path, container, root=root)
    assert r.rc == 0, r
    assert f"{kind} hook" in r.err and "status 3" in r.err, r
    assert out.read_text() == "one\ntwo\n"


def test_poststop_runs_after_a_failed_create(bundle, root, cid, tmp_path):
    out = tmp_path / "ran"
    bundle.config["hooks"] = {"poststop": [{"path": "/bin/sh", "args": ["sh", "-c", f"cat > {out}"]}]}
    bundle.config["process"]["cwd"] = "/etc/passwd"  # not a directory: the init fails after the state exists
    bundle.args("true").write()
    r = berth("create", "-b", bundle.path, cid, root=root)
    assert r.rc != 0, r
    hook_state = json.loads(out.read_text())
    assert hook_state["id"] == cid and hook_state["status"] == "stopped"
    from conftest import assert_nothing_left
    assert_nothing_left(root, cid, bundle.path)


def test_hook_without_env_inherits_berths(bundle, root, container, tmp_path):
    out = tmp_path / "env"
    bundle.config["hooks"] = {"poststart": [
        {"path": "/bin/sh", "args": ["sh", "-c", f"echo \"$BERTH_TEST_MARK\" > {out}"]},
        {"path": "/bin/sh", "args": ["sh", "-c", f"echo \"[$BERTH_TEST_MARK]\" >> {out}"], "env": []}]}
    bundle.args("true").write()
    env = dict(os.environ, BERTH_TEST_MARK="inherited")
    r = berth("run", "-b", bundle.path, container, root=root, env=env)
    assert r.rc == 0, r
    assert out.read_text() == "inherited\n[]\n"


# ---- --no-pivot ------------------------------------------------------------------------------

def test_no_pivot_hides_the_hosts_procfs(bundle, root, container):
    """Guards hide_host_kernel_filesystems (namespaces/rootfs.c): with --no-pivot the host's /proc stays in the
    mount namespace; a nested user namespace could then mount an unmasked procfs (it did before the fix)."""
    bundle.add_capabilities("CAP_SETFCAP")
    bundle.args("sh", "-c", "unshare -Urmpf sh -c 'mount -t proc proc /tmp && echo MOUNTED || echo refused'").write()
    r = berth("run", "--no-pivot", "-b", bundle.path, container, root=root)
    assert r.rc == 0, r
    assert r.out == "refused\n", r
    # The host's own /proc is untouched.
    assert os.path.exists("/proc/self/mountinfo")
