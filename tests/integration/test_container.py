"""What a container sees from inside: namespaces, the process' attributes, mounts, devices."""
import json
import os
import pathlib
import platform
import shutil
import subprocess

import pytest

from conftest import Bundle, run


def with_user_namespace(bundle, host_id=100000):
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": host_id, "size": 65536}]
    bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": host_id, "size": 65536}]


def out(bundle, root, cid, script, **kw):
    r = run(bundle, root, cid, "sh", "-c", script, **kw)
    assert r.rc == 0, r
    return r.out


def test_namespaces_differ_from_the_hosts(bundle, root, container):
    bundle.config["linux"]["namespaces"].append({"type": "time"})
    kinds = ["pid", "net", "mnt", "ipc", "uts", "cgroup", "time"]
    inside = out(bundle, root, container, " ; ".join(f"readlink /proc/self/ns/{k}" for k in kinds)).split()
    assert len(inside) == len(kinds), inside  # zip would drop a namespace whose readlink printed nothing
    for kind, link in zip(kinds, inside):
        assert link != os.readlink(f"/proc/self/ns/{kind}"), kind


def test_joining_a_namespace_by_path(bundle, root, container, tmp_path):
    bundle.config["linux"]["namespaces"] = [
        ns if ns["type"] != "uts" else {"type": "uts", "path": "/proc/self/ns/uts"}
        for ns in bundle.config["linux"]["namespaces"]]
    del bundle.config["hostname"]
    assert out(bundle, root, container, "readlink /proc/self/ns/uts").strip() == os.readlink("/proc/self/ns/uts")


def test_joining_a_path_that_is_not_that_namespace(bundle, root, cid, tmp_path):
    bundle.config["linux"]["namespaces"].append({"type": "user", "path": "/proc/self/ns/net"})
    r = run(bundle, root, cid, "true")
    assert r.rc == 1
    assert r.err.endswith("`/proc/self/ns/net` is not a user namespace\n")


def test_user_namespace_mappings(public_bundle, root, container):
    bundle = public_bundle
    with_user_namespace(bundle)
    text = out(bundle, root, container, "id -u; cat /proc/self/uid_map /proc/self/gid_map")
    lines = [line.split() for line in text.splitlines()]
    assert lines[0] == ["0"]
    assert lines[1] == ["0", "100000", "65536"] and lines[2] == ["0", "100000", "65536"]


def test_loopback_is_up_in_a_new_network_namespace(bundle, root, container):
    flags = int(out(bundle, root, container, "cat /sys/class/net/lo/flags").strip(), 16)
    assert flags & 0x1, "IFF_UP"


def test_time_namespace_offsets(bundle, root, container):
    bundle.config["linux"]["namespaces"].append({"type": "time"})
    bundle.config["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 365}, "monotonic": {"secs": 3600}}
    inside = float(out(bundle, root, container, "cut -d' ' -f1 /proc/uptime"))
    with open("/proc/uptime") as f:
        host = float(f.read().split()[0])
    assert inside - host > 86400 * 364


def test_user_groups_umask_cwd_env(bundle, root, container):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [5, 6], "umask": 0o027}
    bundle.config["process"]["cwd"] = "/tmp"
    bundle.config["process"]["env"].append("GREETING=hello world")
    text = out(bundle, root, container, 'id -u; id -g; id -G; umask; pwd; echo "$GREETING"').splitlines()
    assert text == ["1000", "1001", "1001 5 6", "0027", "/tmp", "hello world"]


def test_capabilities_all_five_sets(bundle, root, container):
    caps = bundle.config["process"]["capabilities"]
    caps["bounding"] = ["CAP_KILL", "CAP_NET_RAW", "CAP_CHOWN"]
    caps["effective"] = caps["permitted"] = ["CAP_KILL", "CAP_NET_RAW"]
    caps["inheritable"] = ["CAP_NET_RAW"]
    caps["ambient"] = ["CAP_NET_RAW"]
    status = dict(line.split(":\t") for line in out(bundle, root, container, "grep ^Cap /proc/self/status").splitlines())
    kill, raw, chown = 1 << 5, 1 << 13, 1 << 0
    assert int(status["CapBnd"], 16) == kill | raw | chown
    assert int(status["CapEff"], 16) == kill | raw
    assert int(status["CapPrm"], 16) == kill | raw
    assert int(status["CapInh"], 16) == raw
    assert int(status["CapAmb"], 16) == raw


def test_no_new_privileges_off(bundle, root, container):
    bundle.config["process"]["noNewPrivileges"] = False
    assert "NoNewPrivs:\t0" in out(bundle, root, container, "grep NoNewPrivs /proc/self/status")


def test_rlimits(bundle, root, container):
    bundle.config["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 512, "soft": 256},
                                           {"type": "RLIMIT_CORE", "hard": 0, "soft": 0}]
    assert out(bundle, root, container, "ulimit -n; ulimit -Hn; ulimit -c").split() == ["256", "512", "0"]


def test_rlimit_above_the_hosts_hard_limit_names_the_cause(bundle, root, cid):
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or os.geteuid() != 0:
        pytest.skip("needs a finite hard limit")
    bundle.config["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": hard * 1000, "soft": 1}]
    r = run(bundle, root, cid, "true")
    if r.rc == 0:
        pytest.skip("this host may raise hard limits (CAP_SYS_RESOURCE)")
    assert r.err.startswith(f'berth: run "{cid}": process.rlimits[0]: setrlimit(RLIMIT_NOFILE'), r.err


def test_oom_score_adj(bundle, root, container):
    bundle.config["process"]["oomScoreAdj"] = 500
    assert out(bundle, root, container, "cat /proc/self/oom_score_adj").strip() == "500"


def test_oom_score_adj_in_a_user_namespace(public_bundle, root, container):
    """Root of a user namespace is not dumpable, so its /proc files are the host root's and closed to it: the
    score is written while the init (and exec's process) still has the host's credentials (CRI's userns pods)."""
    from conftest import berth, state
    with_user_namespace(public_bundle)
    public_bundle.config["process"]["oomScoreAdj"] = 600
    public_bundle.args("sleep", "30").write()
    r = berth("run", "-d", "-b", public_bundle.path, container, root=root)
    assert r.rc == 0, r
    with open(f"/proc/{state(root, container)['pid']}/oom_score_adj") as f:
        assert f.read().strip() == "600"
    process = dict(public_bundle.config["process"], args=["cat", "/proc/self/oom_score_adj"], oomScoreAdj=700)
    spec = public_bundle.path / "exec.json"
    spec.write_text(json.dumps(process))
    r = berth("exec", "--process", spec, container, root=root)
    assert r.rc == 0 and r.out.strip() == "700", r


def test_hostname_domainname(bundle, root, container):
    bundle.config["hostname"] = "box"
    bundle.config["domainname"] = "example.org"
    assert out(bundle, root, container, "hostname; cat /proc/sys/kernel/domainname").split() == ["box", "example.org"]


def test_sysctl_in_the_containers_namespaces(bundle, root, container):
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"}
    # Written before readonlyPaths makes /proc/sys read-only (Docker sets sysctls with the default paths).
    assert "/proc/sys" in bundle.config["linux"]["readonlyPaths"]
    text = out(bundle, root, container, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni; "
               "echo 2 > /proc/sys/kernel/shmmni || echo still-ro")
    assert text.split() == ["1", "1234", "still-ro"]
    with open("/proc/sys/kernel/shmmni") as f:
        assert f.read().strip() != "1234"


@pytest.mark.skipif(platform.machine() != "x86_64", reason="LINUX32 is tested on x86_64")
def test_personality(bundle, root, container):
    bundle.config["linux"]["personality"] = {"domain": "LINUX32"}
    assert out(bundle, root, container, "uname -m").strip() in ("i686", "i386")


def test_scheduler_and_cpu_affinity(bundle, root, container):
    bundle.config["process"]["scheduler"] = {"policy": "SCHED_BATCH"}
    bundle.config["process"]["execCPUAffinity"] = {"final": "0"}
    text = out(bundle, root, container, "grep Cpus_allowed_list /proc/self/status; cut -d' ' -f41 /proc/self/stat")
    lines = text.split()
    assert lines[1] == "0"
    assert lines[2] == "3", "SCHED_BATCH"


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="an initial affinity apart from the final one needs two CPUs")
def test_initial_cpu_affinity_is_for_the_setup_only(bundle, root, container, tmp_path):
    # A createContainer hook runs from the init during its setup: it sees the initial CPUs; the process, with
    # no final list, sees what its cgroup allows (the kernel's choice, as the spec says), not the initial ones.
    seen = tmp_path / "hook-affinity"
    bundle.config["process"]["execCPUAffinity"] = {"initial": "1"}
    bundle.config["hooks"] = {"createContainer": [
        {"path": "/bin/sh", "args": ["sh", "-c", f"grep Cpus_allowed_list /proc/self/status > {seen}"]}]}
    text = out(bundle, root, container, "grep Cpus_allowed_list /proc/self/status")
    assert seen.read_text().split()[1] == "1"
    allowed = text.split()[1]
    assert allowed != "1" and "0" in allowed, text


def test_cpuset_from_the_config_binds_the_process(bundle, root, container):
    # linux.resources.cpu.cpus/mems at create: the process may run on CPU 0 only and allocate from node 0.
    bundle.config["linux"]["resources"]["cpu"] = {"cpus": "0", "mems": "0"}
    text = out(bundle, root, container, "grep -E 'Cpus_allowed_list|Mems_allowed_list' /proc/self/status")
    assert text.split() == ["Cpus_allowed_list:", "0", "Mems_allowed_list:", "0"], text


def test_io_priority(bundle, root, container):
    bundle.config["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}
    # busybox has no ionice: read it back through a tiny syscall from python is not possible in the
    # container, so the effect is checked from outside while it runs.
    bundle.args("sleep", "5").write()
    from conftest import berth, state
    import ctypes
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    pid = state(root, container)["pid"]
    libc = ctypes.CDLL(None, use_errno=True)
    value = libc.syscall(252, 1, pid)  # ioprio_get(IOPRIO_WHO_PROCESS, pid) on x86_64
    assert value >> 13 == 3, "IOPRIO_CLASS_IDLE"


def test_apparmor_profile_on_a_host_without_apparmor(bundle, root, cid):
    if os.path.exists("/sys/kernel/security/apparmor"):
        pytest.skip("this host has AppArmor")
    bundle.config["process"]["apparmorProfile"] = "berth-test"
    r = run(bundle, root, cid, "true")
    assert r.rc == 1 and r.err == f'berth: run "{cid}": process.apparmorProfile: AppArmor is not enabled on this host\n'


def test_masked_and_readonly_paths(bundle, root, container):
    bundle.config["linux"]["maskedPaths"] += ["/proc/version", "/etc/passwd"]
    text = out(bundle, root, container,
               "wc -c < /proc/version; cat /etc/passwd | wc -c; ls /sys/firmware | wc -l; "
               "echo 1 > /proc/sys/kernel/shmmni 2>/dev/null && echo writable || echo readonly")
    assert text.split() == ["0", "0", "0", "readonly"]


@pytest.mark.parametrize("readonly", [True, False], ids=["readonly", "writable"])
def test_root_readonly_and_writable(tmp_path, rootfs, root, container, readonly):
    # A rootfs of its own: the writable case writes into it.
    bundle = Bundle(tmp_path / "own", tmp_path / "own-rootfs")
    bundle.path.mkdir()
    shutil.copytree(rootfs, tmp_path / "own-rootfs", symlinks=True)
    bundle.config["root"]["readonly"] = readonly
    text = out(bundle, root, container, "touch /x 2>/dev/null && echo rw || echo ro")
    assert text.strip() == ("ro" if readonly else "rw")
    assert (tmp_path / "own-rootfs" / "x").exists() != readonly


def test_bind_mounts_and_options(bundle, root, container, tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "file").write_text("content\n")
    single = tmp_path / "single.txt"
    single.write_text("one file\n")
    bundle.config["mounts"] += [
        {"destination": "/data", "type": "bind", "source": str(data), "options": ["rbind", "ro", "nosuid"]},
        {"destination": "/work/deep/dir", "type": "bind", "source": str(data), "options": ["rbind", "rw"]},
        {"destination": "/etc/single.txt", "type": "bind", "source": str(single), "options": ["bind", "ro"]},
        {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=1770", "noexec"]},
    ]
    text = out(bundle, root, container,
               "cat /data/file /etc/single.txt; touch /data/x 2>/dev/null && echo rw || echo ro; "
               "touch /work/deep/dir/made && echo rw; grep -E ' /(data|scratch) ' /proc/self/mountinfo")
    lines = text.splitlines()
    assert lines[:4] == ["content", "one file", "ro", "rw"]
    assert (data / "made").exists()
    data_line = next(line for line in lines if " /data " in line)
    assert " ro," in data_line and "nosuid" in data_line
    scratch_line = next(line for line in lines if " /scratch " in line)
    assert "noexec" in scratch_line and "size=1024k" in scratch_line and "mode=1770" in scratch_line


@pytest.fixture
def tree_with_a_submount(tmp_path):
    """A directory with a writable tmpfs mounted inside it, on the host (unmounted afterwards)."""
    top = tmp_path / "tree"
    (top / "sub").mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "berth-test", str(top / "sub")], check=True)
    try:
        yield top
    finally:
        subprocess.run(["umount", str(top / "sub")], check=True)


@pytest.mark.parametrize("option", ["rro", "ro"])
def test_recursive_read_only_bind(bundle, root, container, tree_with_a_submount, option):
    # rro makes the submount read-only too; ro (the control) only the top mount.
    bundle.config["mounts"].append({"destination": "/tree", "type": "bind", "source": str(tree_with_a_submount),
                                    "options": ["rbind", option]})
    text = out(bundle, root, container, "touch /tree/x 2>/dev/null && echo rw || echo ro; "
                                        "touch /tree/sub/x 2>/dev/null && echo rw || echo ro; "
                                        "grep -c ' /tree' /proc/self/mountinfo")
    assert text.split() == ["ro", "ro" if option == "rro" else "rw", "2"], text


def test_default_devices_and_links(bundle, root, container):
    text = out(bundle, root, container,
               "for d in null zero full random urandom tty; do stat -c '%n %F %t,%T %a' /dev/$d; done; "
               "readlink /dev/ptmx; readlink /dev/fd; readlink /dev/stdin; head -c 4 /dev/zero | wc -c")
    lines = text.splitlines()
    assert lines[0] == "/dev/null character special file 1,3 666"
    assert lines[5] == "/dev/tty character special file 5,0 666"
    assert lines[6:9] == ["pts/ptmx", "/proc/self/fd", "/proc/self/fd/0"]
    assert lines[9].strip() == "4"


def test_config_devices(bundle, root, container):
    bundle.config["linux"]["devices"] = [
        {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o620, "uid": 7, "gid": 8},
        {"path": "/dev/sub/fifo", "type": "p"},
        # Podman --privileged sends the host's st_mode, type bits included: only the permissions count.
        {"path": "/dev/typed", "type": "c", "major": 1, "minor": 5, "fileMode": 0o20640},
    ]
    text = out(bundle, root, container, "stat -c '%F %t,%T %a %u %g' /dev/mynull; stat -c '%F' /dev/sub/fifo; "
               "stat -c '%F %a' /dev/typed")
    assert text.splitlines() == ["character special file 1,3 620 7 8", "fifo", "character special file 640"]


def test_tmpcopyup_fills_the_tmpfs_from_the_image(bundle, root, container, rootfs):
    # Podman's --read-only puts a tmpcopyup tmpfs on /tmp, /var/tmp, /run: here /bin, to copy something real.
    bundle.config["mounts"] += [
        {"destination": "/bin", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "mode=700", "nosuid"]},
        {"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "ro"]},
    ]
    text = out(bundle, root, container,
               "touch /bin/new && echo writable; readlink /bin/sh; stat -c '%a %s' /bin/busybox; ls /bin | wc -l; "
               "touch /etc/x 2>/dev/null || echo etc-ro; grep -E ' /(bin|etc) ' /proc/self/mountinfo")
    lines = text.splitlines()
    assert lines[0] == "writable" and lines[1] == "busybox"
    st = os.stat(os.path.join(rootfs, "bin", "busybox"))
    assert lines[2] == f"{st.st_mode & 0o777:o} {st.st_size}"
    assert int(lines[3]) == len(os.listdir(os.path.join(rootfs, "bin"))) + 1
    assert lines[4] == "etc-ro"
    assert any(" /bin " in line and "tmpfs" in line and "nosuid" in line for line in lines[5:])
    assert not os.path.exists(os.path.join(rootfs, "bin", "new")), "the image is untouched"


def test_tmpcopyup_needs_a_tmpfs(bundle, root, cid, tmp_path):
    bundle.config["mounts"].append({"destination": "/d", "type": "bind", "source": str(tmp_path),
                                    "options": ["rbind", "tmpcopyup"]})
    r = run(bundle, root, cid, "true")
    assert r.rc != 0 and 'mount on "/d": option tmpcopyup needs type tmpfs' in r.err, r


def test_no_pivot(bundle, root, container):
    from conftest import berth
    bundle.args("sh", "-c", "ls /bin/busybox").write()
    r = berth("run", "--no-pivot", "-b", bundle.path, container, root=root)
    assert r.rc == 0 and r.out.strip() == "/bin/busybox", r


def test_only_stdio_reaches_the_container(bundle, root, container):
    assert out(bundle, root, container, "ls /proc/self/fd").split() == ["0", "1", "2", "3"]  # 3: ls's own dir fd


def run_with_fd3(bundle, root, cid, *flags, env=None):
    """run with a pipe as fd 3 (placed by a shell: Python would close it); returns (result, read end)."""
    import subprocess
    from conftest import BERTH
    r_fd, w_fd = os.pipe()
    proc = subprocess.run(["bash", "-c", f'exec "$0" "$@" 3>&{w_fd}', BERTH, "--root", str(root), "run", *flags,
                           "-b", str(bundle.path), cid], pass_fds=(w_fd,), capture_output=True, text=True,
                          timeout=30, env=env)
    os.close(w_fd)
    return proc, r_fd


def test_preserve_fds(bundle, root, container):
    bundle.args("sh", "-c", "echo through-fd-3 >&3; ls /proc/self/fd | wc -l").write()
    proc, r_fd = run_with_fd3(bundle, root, container, "--preserve-fds", "1")
    assert proc.returncode == 0, proc
    assert os.read(r_fd, 100) == b"through-fd-3\n"
    assert proc.stdout.strip() == "5"  # 0 1 2 3 and ls' own
    os.close(r_fd)


def test_without_preserve_fds_inherited_fds_are_closed(bundle, root, container):
    bundle.args("sh", "-c", "ls /proc/self/fd | wc -l").write()
    proc, r_fd = run_with_fd3(bundle, root, container)
    assert proc.returncode == 0, proc
    assert proc.stdout.strip() == "4"  # 0 1 2 and ls' own: the caller's fd 3 does not leak in
    os.close(r_fd)


def test_listen_fds_are_passed_on(bundle, root, container):
    bundle.args("sh", "-c", "echo $LISTEN_FDS $LISTEN_PID; echo via-listen-fd >&3").write()
    # LISTEN_PID must name berth itself: the shell execs berth, keeping its pid.
    import subprocess
    from conftest import BERTH
    r_fd, w_fd = os.pipe()
    proc = subprocess.run(["bash", "-c", f'export LISTEN_PID=$$ LISTEN_FDS=1; exec "$0" "$@" 3>&{w_fd}', BERTH,
                           "--root", str(root), "run", "-b", str(bundle.path), container],
                          pass_fds=(w_fd,), capture_output=True, text=True, timeout=30)
    os.close(w_fd)
    assert proc.returncode == 0, proc
    assert proc.stdout.split() == ["1", "1"]
    assert os.read(r_fd, 100) == b"via-listen-fd\n"
    os.close(r_fd)


def test_joining_another_containers_namespaces_like_a_pod(bundle, root, container, tmp_path, rootfs):
    from conftest import Bundle, berth, state
    infra = container + "-infra"
    b1 = Bundle(tmp_path / "infra", rootfs)
    b1.path.mkdir()
    b1.args("sleep", "30").write()
    assert berth("run", "-d", "-b", b1.path, infra, root=root).rc == 0
    try:
        pid = state(root, infra)["pid"]
        bundle.config["linux"]["namespaces"] = [
            {"type": t, "path": f"/proc/{pid}/ns/{p}"} if t in ("pid", "network", "ipc") else {"type": t}
            for t, p in (("pid", "pid"), ("network", "net"), ("ipc", "ipc"), ("uts", "uts"), ("mount", "mnt"))]
        # (busybox's readlink takes one path: once given two, it printed nothing and net and ipc went unchecked)
        text = out(bundle, root, container, "echo $$; for n in net ipc pid; do readlink /proc/self/ns/$n; done")
        lines = text.split()
        assert len(lines) == 4, lines
        assert lines[0] != "1", "the infra container's init is pid 1 of the shared pid namespace"
        assert lines[1:] == [os.readlink(f"/proc/{pid}/ns/{k}") for k in ("net", "ipc", "pid")]
        # and the uts and mount namespaces, made new, are not the infra container's
        text = out(bundle, root, container + "-2", "readlink /proc/self/ns/uts; readlink /proc/self/ns/mnt")
        assert len(text.split()) == 2, text
        assert all(a != b for a, b in zip(text.split(), [os.readlink(f"/proc/{pid}/ns/{k}") for k in ("uts", "mnt")]))
    finally:
        berth("delete", "-f", infra, root=root)


def test_relative_root_path(bundle, root, container, rootfs):
    os.symlink(rootfs, bundle.path / "rootfs")
    bundle.config["root"]["path"] = "rootfs"
    assert out(bundle, root, container, "echo ok").strip() == "ok"


def test_rootfs_propagation(bundle, root, container):
    bundle.config["linux"]["rootfsPropagation"] = "private"
    line = out(bundle, root, container, "awk '$5 == \"/\"' /proc/self/mountinfo")
    assert "shared:" not in line and "master:" not in line


def test_cwd_cannot_climb_out_of_the_rootfs(bundle, root, container):
    # `pwd` says / in any root: a file only the container's root holds says which root it is.
    marker = "berth-root-" + container
    (pathlib.Path(bundle.config["root"]["path"]) / marker).write_text("container\n")
    try:
        assert not os.path.exists("/" + marker)
        bundle.config["process"]["cwd"] = "/../../../.."
        assert out(bundle, root, container, f"pwd; cat ./{marker}").split() == ["/", "container"]
    finally:
        os.unlink(pathlib.Path(bundle.config["root"]["path"]) / marker)


def test_new_session_keyring(bundle, root, container):
    bundle.config["linux"]["maskedPaths"].remove("/proc/keys")
    text = out(bundle, root, container, "grep -c _ses.%s /proc/keys || true" % container)
    if text.strip() == "0" and not os.path.exists("/proc/keys"):
        pytest.skip("no keyrings on this kernel")
    assert text.strip() == "1"


def test_devices_in_a_user_namespace_are_bound_from_the_host(public_bundle, root, container):
    bundle = public_bundle
    with_user_namespace(bundle)
    text = out(bundle, root, container, "echo x > /dev/null && head -c 3 /dev/zero | wc -c; stat -c %t,%T /dev/null")
    assert text.split() == ["3", "1,3"]


def test_joining_a_user_namespace_by_path(public_bundle, root, container, tmp_path, rootfs):
    from conftest import Bundle, berth, state
    bundle = public_bundle
    owner = container + "-userns"
    b1 = Bundle(bundle.path.parent / "owner", bundle.config["root"]["path"])
    b1.path.mkdir()
    with_user_namespace(b1)
    b1.args("sleep", "30").write()
    assert berth("run", "-d", "-b", b1.path, owner, root=root).rc == 0
    try:
        pid = state(root, owner)["pid"]
        bundle.config["linux"]["namespaces"] = [
            {"type": "user", "path": f"/proc/{pid}/ns/user"}, {"type": "pid", "path": f"/proc/{pid}/ns/pid"},
            {"type": "mount"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}]
        text = out(bundle, root, container, "readlink /proc/self/ns/user; id -u; cat /proc/self/uid_map")
        lines = text.splitlines()
        assert lines[0] == os.readlink(f"/proc/{pid}/ns/user")
        assert lines[1] == "0" and lines[2].split() == ["0", "100000", "65536"]
        # A new pid namespace with a joined user namespace (containerd 2's user-namespaced pods): it must belong
        # to the joined one, or the init's own /proc mount, and this one, fail; the init is its pid 1.
        bundle.config["linux"]["namespaces"][1] = {"type": "pid"}
        # (A proc mount in a user namespace needs one fully visible already: nothing masked under /proc.)
        # With CAP_SYS_ADMIN there, only the user namespace owning the pid namespace may mount its proc.
        bundle.config["linux"]["maskedPaths"], bundle.config["linux"]["readonlyPaths"] = [], []
        for kind in ("bounding", "effective", "permitted"):
            bundle.config["process"]["capabilities"][kind].append("CAP_SYS_ADMIN")
        lines = out(bundle, root, container, "echo pid=$$; readlink /proc/self/ns/pid; "
                    "mount -t proc proc /tmp && echo MOUNTED; set -- /tmp/[0-9]*; echo $#; exit 0").split()
        assert lines[0] == "pid=1" and lines[1] != os.readlink(f"/proc/{pid}/ns/pid"), " ".join(lines)
        # The shell alone (its own glob: no child racing the listing), nothing of the host's or the owner's.
        assert lines[2:4] == ["MOUNTED", "1"], " ".join(lines)
        # Its exit status came back above: the init is berth's child, not the helper's that made its pid namespace.
        # containerd gives every container an oom_score_adj: written before the init becomes the namespace's root.
        bundle.config["process"]["oomScoreAdj"] = 600
        bundle.args("sleep", "30").write()
        assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
        try:
            init = state(root, container)["pid"]
            assert os.readlink(f"/proc/{init}/ns/user") == os.readlink(f"/proc/{pid}/ns/user")
            with open(f"/proc/{init}/oom_score_adj") as f:
                assert f.read().strip() == "600"
            r = berth("exec", container, "sh", "-c", "echo $$; id -u; set -- /proc/[0-9]*; echo $#", root=root)
            assert r.rc == 0 and r.out.split()[1:] == ["0", "2"], r  # sleep and the exec'd sh
        finally:
            berth("delete", "-f", container, root=root)
    finally:
        berth("delete", "-f", owner, root=root)


def test_the_process_starts_with_an_empty_signal_mask(bundle, root, container):
    # run blocks the signals it forwards; none of that (nor berth's ignored SIGPIPE) may reach the container.
    text = out(bundle, root, container, "grep -E '^Sig(Blk|Ign)' /proc/self/status")
    masks = dict(line.split(":\t") for line in text.splitlines())
    assert int(masks["SigBlk"], 16) == 0
    assert int(masks["SigIgn"], 16) & (1 << 12) == 0, "SIGPIPE is not ignored"


def test_memory_policy(bundle, root, container):
    bundle.config["linux"]["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]}
    text = out(bundle, root, container, "head -n1 /proc/self/numa_maps")
    assert " bind=static:0 " in text, text  # mode, flag and nodes as the kernel shows them


def test_memory_policy_errors_name_the_field(bundle, root, cid):
    bundle.config["linux"]["memoryPolicy"] = {"mode": "MPOL_INTERLEAVE", "nodes": "0-x"}
    r = run(bundle, root, cid, "true")
    assert r.rc == 1 and r.err == (f'berth: run "{cid}": linux.memoryPolicy.nodes: expected node numbers and ranges '
                                   'such as 0-3,7, got "0-x"\n'), r
    bundle.config["linux"]["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "63"}
    r = run(bundle, root, cid, "true")
    assert r.rc == 1 and "linux.memoryPolicy: set_mempolicy(MPOL_BIND, 63): Invalid argument" in r.err, r
