"""Symlinks in the image never take berth outside the rootfs; the caller's subreaper collects the init."""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import BERTH, Bundle, assert_nothing_left, berth, run


@pytest.fixture
def private_rootfs(rootfs, tmp_path):
    path = tmp_path / "evil-rootfs"
    shutil.copytree(rootfs, path, symlinks=True)
    return path


@pytest.fixture
def host_target(tmp_path):
    """A host directory an attacker would like berth to write into; it must stay empty."""
    path = tmp_path / "host-target"
    path.mkdir()
    yield path
    assert os.listdir(path) == [], "berth wrote outside the rootfs"


def evil_bundle(tmp_path, rootfs_path):
    b = Bundle(tmp_path / "bundle", rootfs_path)
    b.path.mkdir()
    return b


def test_dev_symlink_to_the_host(tmp_path, private_rootfs, host_target, root, cid):
    """Guards rootfs_open's RESOLVE_IN_ROOT (namespaces/rootfs_path.c): an image's /dev that is a symlink to a
    host directory is followed inside the rootfs; a berth that followed it on the host mounted /dev's tmpfs and
    made its nodes there (it failed with the resolution removed)."""
    shutil.rmtree(private_rootfs / "dev")
    os.symlink(str(host_target), private_rootfs / "dev")
    b = evil_bundle(tmp_path, private_rootfs)
    r = run(b, root, cid, "sh", "-c", "ls /dev/null")
    berth("delete", "-f", cid, root=root)
    assert_nothing_left(root, cid, b.path)
    # Resolved inside the rootfs: the target path was created there, not on the host.
    assert (private_rootfs / str(host_target).lstrip("/")).is_dir()
    assert r.rc == 0, r


def test_mount_destination_through_dotdot_symlink(tmp_path, private_rootfs, host_target, root, cid):
    """Guards rootfs_open and the careful walker (namespaces/rootfs_path.c): '..' in an image's symlink stops at
    the rootfs, for a mount destination and a device node (it failed with RESOLVE_IN_ROOT removed)."""
    os.symlink("../../../../../../../../.." + str(host_target), private_rootfs / "escape")
    data = tmp_path / "data"
    data.mkdir()
    (data / "payload").write_text("x")
    b = evil_bundle(tmp_path, private_rootfs)
    b.config["mounts"].append({"destination": "/escape/sub", "type": "bind", "source": str(data), "options": ["rbind"]})
    b.config["linux"]["devices"] = [{"path": "/escape/node", "type": "c", "major": 1, "minor": 3}]
    r = run(b, root, cid, "sh", "-c", "cat /escape/sub/payload")
    berth("delete", "-f", cid, root=root)
    assert_nothing_left(root, cid, b.path)
    assert r.rc == 0 and r.out == "x", r


def test_proc_symlink_cannot_reach_host_proc(tmp_path, private_rootfs, root, cid):
    """Guards the symlink refusal for procfs destinations (namespaces/mounts.c mount_config_entry): /proc as a
    link to /proc/self/root is refused with its reason (it failed with the refusal removed)."""
    os.rmdir(private_rootfs / "proc")
    os.symlink("/proc/self/root", private_rootfs / "proc")
    b = evil_bundle(tmp_path, private_rootfs)
    r = run(b, root, cid, "true")
    assert r.rc == 1
    assert r.err == (f'berth: run "{cid}": mount "proc" on "/proc": the destination is a symlink in the rootfs '
                     '(refused for proc)\n')
    assert_nothing_left(root, cid, b.path)


@pytest.mark.parametrize("dest,kind", [("proc", "proc"), ("sys", "sysfs")])
def test_proc_and_sys_destinations_that_are_symlinks_are_refused(tmp_path, private_rootfs, root, cid, dest, kind):
    """Guards the symlink check in namespaces/mounts.c mount_config_entry: a procfs or sysfs never goes where an
    image's symlink points (runc refuses it too), so the masks and read-only paths, which name /proc/... and
    /sys/..., always land on the filesystem they are for."""
    os.rmdir(private_rootfs / dest)
    (private_rootfs / "tmp" / "elsewhere").mkdir()
    os.symlink("tmp/elsewhere", private_rootfs / dest)
    b = evil_bundle(tmp_path, private_rootfs)
    r = run(b, root, cid, "true")
    assert r.rc == 1, r
    assert r.err == (f'berth: run "{cid}": mount "{kind}" on "/{dest}": the destination is a symlink in the rootfs '
                     f'(refused for {kind})\n'), r
    assert_nothing_left(root, cid, b.path)


SHIM = textwrap.dedent("""
    import ctypes, json, os, signal, subprocess, sys, time
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER, as the shim and conmon do
    berth, root, bundle, cid = sys.argv[1:5]
    subprocess.run([berth, "--root", root, "create", "-b", bundle, cid], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pid = json.loads(subprocess.run([berth, "--root", root, "state", cid], capture_output=True, text=True).stdout)["pid"]
    os.kill(pid, signal.SIGKILL)  # the init dies before start
    _, status = os.waitpid(pid, 0)  # it must be our descendant to be collected here
    print(os.WTERMSIG(status))
    print(json.loads(subprocess.run([berth, "--root", root, "state", cid], capture_output=True, text=True).stdout)["status"])
    subprocess.run([berth, "--root", root, "delete", cid], check=True)
""")


def test_init_that_dies_before_start_is_reaped_by_the_callers_subreaper(bundle, root, cid):
    """Not a protection but a promise to the shim and conmon: the init is the caller's descendant, so the caller's
    subreaper collects it when it dies before start."""
    bundle.args("true").write()
    r = subprocess.run([sys.executable, "-c", SHIM, BERTH, str(root), str(bundle.path), cid],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    assert r.stdout.split() == ["9", "stopped"]
    assert_nothing_left(root, cid, bundle.path)


def test_run_leaves_no_zombie(bundle, root, container):
    """Not a protection: run reaps what it started."""
    bundle.args("sh", "-c", "sleep 0.1 & exit 0").write()
    assert berth("run", "-b", bundle.path, container, root=root).rc == 0
    zombies = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if fields[0] == "Z" and int(fields[1]) == os.getpid():
                    zombies.append(pid)
            except OSError:
                pass
    assert zombies == []


def test_cve_2019_5736_berths_binary_is_out_of_reach_while_the_init_waits(bundle, root, container):
    """Guards child_become_undumpable (runtime/child.c): a created container's init is berth's image until start;
    root in the container with the default capabilities cannot open its /proc/1/exe (it failed with the init left
    dumpable). The CAP_SYS_PTRACE attacks are in test_escape_binary.py."""
    bundle.args("sleep", "30").write()
    assert berth("create", "-b", bundle.path, container, root=root).rc == 0
    # exec runs in the same pid namespace, as root with the default capabilities.
    r = berth("exec", container, "sh", "-c",
              "readlink /proc/1/exe || echo no-link; cat /proc/1/exe > /dev/null && echo READ || echo denied", root=root)
    assert "READ" not in r.out, r
    assert "denied" in r.out
    assert berth("start", container, root=root).rc == 0
    r = berth("exec", container, "readlink", "/proc/1/exe", root=root)
    assert r.out.strip().endswith("busybox"), "after start, pid 1 is the workload and dumpable again"


def test_cve_2024_21626_cwd_through_a_leaked_fd_for_run(bundle, root, container):
    """Both CVE-2024-21626 layers together (each has a test of its own below): cwd=/proc/self/fd/N never lands in
    a host directory berth had open."""
    for fd in range(3, 16):
        bundle.config["process"]["cwd"] = f"/proc/self/fd/{fd}"
        r = run(bundle, root, f"{container}-{fd}", "sh", "-c", "pwd; ls")
        berth("delete", "-f", f"{container}-{fd}", root=root)
        assert "unreachable" not in r.out and "config.json" not in r.out, (fd, r)
        assert r.rc != 0, (fd, r)


def test_cve_2024_21626_cwd_through_a_leaked_fd_for_exec(bundle, root, container):
    """Both CVE-2024-21626 layers together, for exec (each layer has a test of its own below)."""
    bundle.args("sleep", "30").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    for fd in range(3, 16):
        r = berth("exec", "--cwd", f"/proc/self/fd/{fd}", container, "sh", "-c", "pwd; ls", root=root)
        assert "unreachable" not in r.out and "cgroup.procs" not in r.out and "config.json" not in r.out, (fd, r)
        assert r.rc != 0, (fd, r)


@pytest.mark.parametrize("how", ["run", "exec"])
def test_cve_2024_21626_layer_one_berths_fds_are_closed_before_the_cwd_is_taken(bundle, root, container, how):
    """Guards close_fds_from before child_enter_process (runtime/init.c, runtime/exec.c), on its own: every
    /proc/self/fd/N that is a directory is gone when chdir runs, so none gets as far as the getcwd check of layer
    two."""
    bundle.args("sleep", "30").write()
    if how == "exec":
        assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    for fd in range(3, 16):
        if how == "run":
            bundle.config["process"]["cwd"] = f"/proc/self/fd/{fd}"
            r = run(bundle, root, f"{container}-{fd}", "true")
            berth("delete", "-f", f"{container}-{fd}", root=root)
        else:
            r = berth("exec", "--cwd", f"/proc/self/fd/{fd}", container, "true", root=root)
        assert r.rc != 0, (fd, r)
        # Closed (ENOENT), or one of the two berth still needs, a socket or the fifo (ENOTDIR): no directory.
        assert any(f'process.cwd: chdir to "/proc/self/fd/{fd}": {why}' in r.err
                   for why in ("No such file or directory", "Not a directory")), (fd, r)


@pytest.mark.parametrize("how", ["run", "exec"])
def test_cve_2024_21626_layer_two_a_cwd_outside_the_root_is_refused(bundle, root, container, tmp_path, how):
    """Guards the getcwd check of child_enter_process (runtime/child.c), on its own: a host directory the
    caller passes on purpose (--preserve-fds keeps it, so layer one cannot help) is not a cwd for the process."""
    host_dir = tmp_path / "host-dir"
    host_dir.mkdir()
    (host_dir / "host-secret").write_text("x")
    bundle.args("sleep", "30").write()
    if how == "exec":
        assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
        cmd = f"{BERTH} --root {root} exec --preserve-fds 1 --cwd /proc/self/fd/3 {container} ls"
    else:
        bundle.config["process"]["cwd"] = "/proc/self/fd/3"
        bundle.args("ls").write()
        cmd = f"{BERTH} --root {root} run --preserve-fds 1 -b {bundle.path} {container}-run"
    r = subprocess.run(["sh", "-c", f"exec 3<{host_dir}; {cmd}"], capture_output=True, text=True, timeout=30)
    berth("delete", "-f", f"{container}-run", root=root)
    assert "host-secret" not in r.stdout, r
    assert r.returncode != 0 and 'process.cwd: "/proc/self/fd/3" is outside the container' in r.stderr, r


def test_cve_2025_52565_dev_console_symlink_is_not_followed(tmp_path, private_rootfs, root, cid):
    """Guards bind_dev_console (runtime/console.c): an image's /dev/console that is a symlink to
    /proc/sys/kernel/core_pattern is replaced, never followed, so the pty is not bound over the host's
    core_pattern (it failed with the link followed)."""
    from conftest import ConsoleSocket
    os.symlink("/proc/sys/kernel/core_pattern", private_rootfs / "dev" / "console")
    with open("/proc/sys/kernel/core_pattern") as f:
        before = f.read()
    b = evil_bundle(tmp_path, private_rootfs)
    # The image's own /dev (no tmpfs over it), so its /dev/console link is what berth meets.
    b.config["mounts"] = [m for m in b.config["mounts"] if m["destination"] != "/dev"]
    b.config["process"]["terminal"] = True
    b.args("sh", "-c", "stat -c %F /dev/console; grep -c core_pattern /proc/self/mountinfo || true")
    b.write()
    console = ConsoleSocket(tmp_path / "tty.sock")
    assert berth("create", "--console-socket", console.path, "-b", b.path, cid, root=root).rc == 0
    console.wait()
    assert berth("start", cid, root=root).rc == 0
    out = console.read_all()
    berth("delete", "-f", cid, root=root)
    assert out.split()[:2] == ["character", "special"], out
    assert out.split()[-1] == "0", "nothing is mounted over core_pattern"
    with open("/proc/sys/kernel/core_pattern") as f:
        assert f.read() == before
    assert_nothing_left(root, cid, b.path)


def test_sysctl_refuses_a_fake_procfs(bundle, root, cid, tmp_path):
    """Guards apply_sysctl's check that the container's /proc/sys is procfs (runtime/init.c); CVE-2023-27561 and
    28642 style: a volume over /proc, with the sysctl's file in it, must not receive berth's writes."""
    fake = tmp_path / "fake-proc"
    (fake / "sys" / "net" / "ipv4").mkdir(parents=True)
    (fake / "sys" / "net" / "ipv4" / "ip_forward").write_text("0\n")
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if m["destination"] != "/proc"]
    bundle.config["mounts"].append({"destination": "/proc", "type": "bind", "source": str(fake), "options": ["rbind"]})
    bundle.config["linux"]["maskedPaths"] = []
    bundle.config["linux"]["readonlyPaths"] = []
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    r = run(bundle, root, cid, "true")
    assert r.rc == 1
    assert r.err == f'berth: run "{cid}": linux.sysctl: /proc/sys in the container is not procfs (mount proc first)\n'
    assert (fake / "sys" / "net" / "ipv4" / "ip_forward").read_text() == "0\n"
    assert_nothing_left(root, cid, bundle.path)


def test_cve_2025_31133_masking_uses_the_hosts_dev_null(tmp_path, private_rootfs, root, cid):
    """Guards rootfs_mask_paths' open of the host's /dev/null (namespaces/rootfs.c), never the container's: with
    /dev bound from a volume berth makes no nodes there, so the volume's /dev/null (a symlink to
    /proc/sys/kernel/core_pattern) is what a berth that took the container's would bind over /proc/version, a
    writable path to the host's core_pattern."""
    volume = tmp_path / "dev-volume"
    for d in ("pts", "shm", "mqueue"):
        (volume / d).mkdir(parents=True)
    os.symlink("/proc/sys/kernel/core_pattern", volume / "null")
    b = evil_bundle(tmp_path, private_rootfs)
    b.config["mounts"] = [m for m in b.config["mounts"] if m["destination"] != "/dev"]
    b.config["mounts"].insert(1, {"destination": "/dev", "type": "bind", "source": str(volume),
                                  "options": ["rbind", "rw"]})
    b.config["linux"]["maskedPaths"] = ["/proc/version"]
    r = run(b, root, cid, "sh", "-c", "wc -c < /proc/version; stat -c %t,%T /proc/version; "
            "grep -c core_pattern /proc/self/mountinfo || true")
    berth("delete", "-f", cid, root=root)
    assert r.rc == 0, r
    assert r.out.split() == ["0", "1,3", "0"], "masked with the real /dev/null (char 1:3)"
    assert_nothing_left(root, cid, b.path)


def test_cve_2021_30465_and_2024_45310_symlink_exchange_race(tmp_path, private_rootfs, host_target, root, cid):
    """A racer swaps a directory of a shared volume with a symlink to a host path while berth mounts through it
    (runc's symlink-exchange race, 2021-30465) and creates the empty file a file bind needs (runc's mkdir race,
    2024-45310). Resolved inside the rootfs every time: nothing lands on the host."""
    import ctypes
    import threading
    libc = ctypes.CDLL(None, use_errno=True)
    RENAME_EXCHANGE, AT_FDCWD = 2, -100
    volume = tmp_path / "volume"
    (volume / "a" / "target").mkdir(parents=True)
    # The host directory the symlink leads to has a "target" too, so a berth that followed it would find a
    # mount point there (and would create made-file beside it).
    (host_target / "target").mkdir()
    os.symlink(str(host_target), volume / "b")
    b = evil_bundle(tmp_path, private_rootfs)
    b.config["mounts"] += [
        {"destination": "/vol", "type": "bind", "source": str(volume), "options": ["rbind"]},
        # Mounted through /vol/a: when a is the symlink, a berth that followed it would mount on the host.
        {"destination": "/vol/a/target", "type": "tmpfs", "source": "tmpfs", "options": ["size=64k"]},
        # A file bind: berth creates an empty file at the destination first.
        {"destination": "/vol/a/made-file", "type": "bind", "source": "/etc/hostname", "options": ["bind", "ro"]},
    ]
    # The container's own mount table, just before the pivot: a mount that followed the symlink shows there (the
    # test's namespace never sees berth's mounts, and after the pivot the old root is gone with them).
    tables = tmp_path / "mountinfo"
    tables.mkdir()
    b.config["hooks"] = {"createContainer": [{"path": "/bin/sh", "args": [
        "sh", "-c", f"cat /proc/self/mountinfo > {tables}/$$"]}]}
    stop = threading.Event()

    def race():
        a, bb = str(volume / "a").encode(), str(volume / "b").encode()
        while not stop.is_set():
            libc.renameat2(AT_FDCWD, a, AT_FDCWD, bb, RENAME_EXCHANGE)
    racer = threading.Thread(target=race)
    racer.start()
    try:
        outcomes = []
        for i in range(40):
            r = run(b, root, f"{cid}-{i}", "true")
            outcomes.append(r.rc)
            berth("delete", "-f", f"{cid}-{i}", root=root)
            assert_nothing_left(root, f"{cid}-{i}", b.path)
    finally:
        stop.set()
        racer.join()
    # Nothing was created through the symlink (host_target holds only what the test put there), and no mount
    # of any container landed in it.
    assert os.listdir(host_target) == ["target"], os.listdir(host_target)
    os.rmdir(host_target / "target")  # the fixture checks it is empty
    seen = [t.read_text() for t in tables.iterdir()]
    assert seen, "no createContainer hook ran: the test did not reach the mounts"
    for table in seen:
        mountpoints = [line.split()[4] for line in table.splitlines()]
        assert not [m for m in mountpoints if m.startswith(str(host_target) + "/")], "a mount followed the symlink"
    assert 0 in outcomes, "the race made every run fail: the test did not exercise the mount"


def test_cve_2021_43784_a_long_message_from_the_init_is_bounded(bundle, root, cid):
    """Guards the bounded sync message (runtime/sync.c: one datagram of at most 3,584 bytes of text, always
    NUL-terminated). runc's parent<->init messages had a length that could overflow. Here the init's error would
    be ~8,000 bytes whole (a 3,765-byte destination and a 4,000-byte source): it arrives cut to the message's
    size, on one line, and nothing is left behind."""
    long_dir = "/" + "/".join(["d" * 250] * 15)  # 3,765 bytes of destination, under PATH_MAX
    source = "/nonexistent/" + "/".join(["s" * 200] * 19)  # ~3,830 bytes
    bundle.config["mounts"].append({"destination": long_dir, "type": "bind", "source": source,
                                    "options": ["rbind"]})
    r = run(bundle, root, cid, "true")
    assert r.rc == 1, r
    assert r.err.count("\n") == 1 and r.err.startswith(f'berth: run "{cid}": mount "/nonexistent/'), r.err[:200]
    whole = len(f'berth: run "{cid}": mount "{source}" on "{long_dir}": source: No such file or directory\n')
    assert whole > 7500
    assert len(r.err) <= 3584 + len(f'berth: run "{cid}": ') + 1, len(r.err)
    assert_nothing_left(root, cid, bundle.path)


def test_cve_2025_52881_sysctl_and_label_writes_are_not_redirected_by_a_mount(bundle, root, cid, tmp_path):
    """Guards open_proc_file's checks (util/fs.c: RESOLVE_NO_XDEV and the file's own fstatfs): a config (or a
    shared volume) puts a host file over the /proc/sys file a sysctl writes; the write must not land in it (it
    failed with both checks removed)."""
    victim = tmp_path / "victim"
    victim.write_text("untouched\n")
    bundle.config["mounts"].append({"destination": "/proc/sys/kernel/shmmni", "type": "bind", "source": str(victim),
                                    "options": ["bind"]})
    bundle.config["linux"]["sysctl"] = {"kernel.shmmni": "1234"}
    r = run(bundle, root, cid, "true")
    assert r.rc == 1 and "linux.sysctl.kernel.shmmni: /proc/sys/kernel/shmmni is not procfs" in r.err, r
    assert victim.read_text() == "untouched\n"
    assert_nothing_left(root, cid, bundle.path)


def test_hostile_annotations_stay_data(bundle, root, container, tmp_path):
    """Guards the JSON emitter's escaping (util/json.c, oci/model_emit.c): quotes, control characters, non-ASCII and
    a large value in annotations stay data in the state JSON hooks receive."""
    import json
    hostile = {'a"b\\c': "line1\nline2\t\u0001end", "ünïcödé": "✓" * 10, "big": "x" * 100000, "": "empty key",
               "$(touch /tmp/pwned)": "; rm -rf /"}
    bundle.config["annotations"] = hostile
    seen = tmp_path / "hook-state.json"
    bundle.config["hooks"] = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", f"cat > {seen}"]}]}
    bundle.args("sleep", "30").write()
    r = berth("run", "-d", "-b", bundle.path, container, root=root)
    assert r.rc == 0, r
    assert json.loads(seen.read_text())["annotations"] == hostile
    assert json.loads(berth("state", container, root=root).out)["annotations"] == hostile
    assert not os.path.exists("/tmp/pwned")


def test_cve_2025_52881_label_writes_are_not_redirected_by_a_mount(bundle, root, cid, tmp_path):
    """Guards write_proc_self's procfs check (runtime/process.c) for the LSM label: a config (or a volume) binds a
    host file over /proc/1/attr/exec, where berth writes process.selinuxLabel for the init; the write must not
    land in it. (This host has no SELinux: a bound directory makes /sys/fs/selinux/enforce exist for the
    container, so berth goes as far as the write.)"""
    victim = tmp_path / "victim"
    victim.write_text("untouched\n")
    fake_fs = tmp_path / "sysfs-fs"
    (fake_fs / "selinux").mkdir(parents=True)
    (fake_fs / "selinux" / "enforce").write_text("1\n")
    bundle.config["mounts"] += [
        {"destination": "/sys/fs", "type": "bind", "source": str(fake_fs), "options": ["rbind"]},
        {"destination": "/proc/1/attr/exec", "type": "bind", "source": str(victim), "options": ["bind"]},
    ]
    bundle.config["linux"]["readonlyPaths"] = []
    bundle.config["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0"
    r = run(bundle, root, cid, "true")
    assert r.rc == 1, r
    assert "process.selinuxLabel: /proc/self/attr/exec is not procfs (a mount over it?): refusing to write there" \
        in r.err, r
    assert victim.read_text() == "untouched\n"
    assert_nothing_left(root, cid, bundle.path)
