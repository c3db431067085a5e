"""Rootless berth: run by a real unprivileged user that the test setup creates (and removes).

The user gets /etc/subuid and /etc/subgid ranges from useradd, as on any Debian system; berth maps
one id itself and more through newuidmap/newgidmap (package uidmap). On this hybrid host no cgroup is
delegated to the user, so limits are reported as not enforced; in the cgroup v2 VM the test
delegates a subtree, as systemd does for user sessions, and the limits hold.
"""
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

from cgroupfs import V2
from conftest import BERTH, BUSYBOX

USER = "berth-rootless"


@pytest.fixture(scope="module")
def user():
    """The unprivileged user, created for these tests with its subordinate id ranges, removed after."""
    created = False
    try:
        pw = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/bin/sh", USER],
                       check=True)
        created = True
        pw = pwd.getpwnam(USER)
    with open("/etc/subuid") as f:
        sub = next(line for line in f if line.startswith(USER + ":"))
    yield {"uid": pw.pw_uid, "gid": pw.pw_gid, "subuid": int(sub.split(":")[1]), "subsize": int(sub.split(":")[2])}
    if created:
        # Its last container may still be exiting (userdel refuses while the user has a process): wait, and
        # name any process that outlives that as the leak it is.
        deadline = time.monotonic() + 10
        while subprocess.run(["pgrep", "-u", USER], capture_output=True).returncode == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        left = subprocess.run(["ps", "-u", USER, "-o", "pid=,stat=,args="], capture_output=True, text=True).stdout
        if left.strip():
            subprocess.run(["pkill", "-KILL", "-u", USER])
            time.sleep(0.2)
        subprocess.run(["userdel", USER], check=True)
        assert not left.strip(), f"processes of {USER} outlived the tests: {left}"


@pytest.fixture
def home(user):
    """A directory of the user's: its runtime dir (XDG_RUNTIME_DIR), a copy of berth, a bundle and a rootfs."""
    base = tempfile.mkdtemp(prefix="berth-rootless-", dir="/tmp")
    os.chmod(base, 0o755)
    for d in ("run", "bundle", "rootfs", "rootfs/bin", "rootfs/proc", "rootfs/sys", "rootfs/dev", "rootfs/tmp"):
        os.mkdir(os.path.join(base, d))
    shutil.copy(BUSYBOX, os.path.join(base, "rootfs/bin/busybox"))
    for applet in ("sh", "id", "cat", "sleep", "mkdir", "touch", "chown", "stat", "ls", "grep", "mount", "true"):
        os.symlink("busybox", os.path.join(base, "rootfs/bin", applet))
    shutil.copy(BERTH, os.path.join(base, "berth"))  # the build tree may not be reachable by other users
    for root, dirs, files in os.walk(base):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), user["uid"], user["gid"])
    os.chown(base, user["uid"], user["gid"])
    yield base
    leftover = live_processes(user["uid"])
    for pid in leftover:
        os.kill(pid, 9)
    shutil.rmtree(base)
    assert not leftover, f"processes of {USER} left behind: {leftover}"


def live_processes(uid):
    """Pids running as uid, zombies aside (the host's init reaps orphans when it gets to them)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as f:
                fields = dict(line.split(":", 1) for line in f)
        except OSError:
            continue
        if fields["Uid"].split()[0] == str(uid) and not fields["State"].strip().startswith("Z"):
            found.append(int(pid))
    return found


def as_user(user, home, *argv, check=False, cgroup=None, timeout=30):
    """Run berth as the user (root only to place the process in `cgroup` first, as systemd would)."""
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "XDG_RUNTIME_DIR": os.path.join(home, "run"), "HOME": home}
    argv = [os.path.join(home, "berth")] + [str(a) for a in argv]
    drop = ["setpriv", f"--reuid={user['uid']}", f"--regid={user['gid']}", "--clear-groups", "--"]
    if cgroup:
        script = 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"'
        argv = ["sh", "-c", script, "sh", cgroup] + drop + argv
    else:
        argv = drop + argv
    # Through files: a created container keeps berth's stdio, so a pipe would stay open while it runs.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=home,
                           timeout=timeout)
        out.seek(0)
        err.seek(0)
        r = subprocess.CompletedProcess(argv, p.returncode, out.read(), err.read())
    if check:
        assert r.returncode == 0, r
    return r


def rootless_spec(user, home, *args, edit=None):
    """`berth spec --rootless` as the user, made non-interactive, with args as the process."""
    bundle = os.path.join(home, "bundle")
    if os.path.exists(os.path.join(bundle, "config.json")):
        os.unlink(os.path.join(bundle, "config.json"))
    as_user(user, home, "spec", "--rootless", "--bundle", bundle, check=True)
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        config = json.load(f)
    config["root"] = {"path": os.path.join(home, "rootfs"), "readonly": True}
    config["process"]["terminal"] = False
    config["process"]["args"] = list(args)
    if edit:
        edit(config)
    with open(path, "w") as f:
        json.dump(config, f)
    return bundle


def cid():
    return "rl-" + uuid.uuid4().hex[:10]


def assert_nothing_left(home, name):
    assert not os.path.exists(os.path.join(home, "run", "berth", name)), "state directory left behind"
    found = subprocess.run(["find", "/sys/fs/cgroup", "-maxdepth", "6", "-name", f"*{name}*"], capture_output=True,
                           text=True).stdout
    assert found == "", f"cgroups left behind: {found}"


def test_single_id_mapping_without_helpers(user, home):
    bundle = rootless_spec(user, home, "sh", "-c", "id -u; cat /proc/self/uid_map")
    name = cid()
    r = as_user(user, home, "run", "--bundle", bundle, name)
    assert r.returncode == 0, r
    lines = r.stdout.split("\n")
    assert lines[0] == "0"
    assert lines[1].split() == ["0", str(user["uid"]), "1"]
    # State lives in the user's runtime dir, never /run/berth.
    assert os.path.isdir(os.path.join(home, "run", "berth"))
    assert_nothing_left(home, name)


def multi_range(user):
    def edit(config):
        for key, own in (("uidMappings", user["uid"]), ("gidMappings", user["gid"])):
            config["linux"][key] = [{"containerID": 0, "hostID": own, "size": 1},
                                    {"containerID": 1, "hostID": user["subuid"], "size": 65536}]
    return edit


def test_multi_range_mapping_through_newuidmap(user, home):
    # A tmpfs of the container's own: chown to a subordinate id works only if that id is really mapped.
    bundle = rootless_spec(user, home, "sh", "-c",
                           "cat /proc/self/uid_map /proc/self/gid_map; touch /tmp/f; chown 1000:1000 /tmp/f; "
                           "stat -c %u:%g /tmp/f", edit=multi_range(user))
    with open(os.path.join(bundle, "config.json")) as f:
        config = json.load(f)
    config["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777"]})
    for kind in ("bounding", "effective", "permitted"):
        config["process"]["capabilities"][kind].append("CAP_CHOWN")
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f)
    name = cid()
    r = as_user(user, home, "run", "--bundle", bundle, name)
    assert r.returncode == 0, r
    rows = [line.split() for line in r.stdout.splitlines()]
    assert rows[:2] == [["0", str(user["uid"]), "1"], ["1", str(user["subuid"]), "65536"]]
    assert rows[-1] == ["1000:1000"]
    assert_nothing_left(home, name)


def test_mapping_outside_the_users_ranges_is_refused(user, home):
    def edit(config):
        config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": user["uid"], "size": 1},
                                          {"containerID": 1, "hostID": 1, "size": 10}]
    bundle = rootless_spec(user, home, "true", edit=edit)
    name = cid()
    r = as_user(user, home, "run", "--bundle", bundle, name)
    assert r.returncode == 1
    assert len(r.stderr.splitlines()) == 1, r
    assert r.stderr.startswith(f'berth: run "{name}": linux.uidMappings: newuidmap refused the mapping: newuidmap:'), r
    assert_nothing_left(home, name)


def test_lifecycle_exec_ps_and_kill_all(user, home):
    bundle = rootless_spec(user, home, "sleep", "60", edit=multi_range(user))
    name = cid()
    as_user(user, home, "create", "--bundle", bundle, name, check=True)
    as_user(user, home, "start", name, check=True)
    state = json.loads(as_user(user, home, "state", name, check=True).stdout)
    assert state["status"] == "running"
    with open(f"/proc/{state['pid']}/status") as f:
        uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
    assert uids == [str(user["uid"])] * 4, "the container's root is the user on the host"
    r = as_user(user, home, "exec", name, "sh", "-c", "id -u; cat /proc/1/cmdline")
    assert r.returncode == 0, r
    assert r.stdout.split("\n")[0] == "0" and "sleep" in r.stdout
    # Without a cgroup, ps finds the container's processes through its pid namespace.
    r = as_user(user, home, "ps", "--format", "json", name, check=True)
    assert json.loads(r.stdout) == [state["pid"]]
    r = as_user(user, home, "pause", name)
    assert r.returncode == 1 and "has no cgroups" in r.stderr
    as_user(user, home, "kill", "--all", name, "KILL", check=True)
    as_user(user, home, "delete", "--force", name, check=True)
    assert state["pid"] not in live_processes(user["uid"])
    assert_nothing_left(home, name)


def with_limits(config):
    config["linux"]["resources"] = {"pids": {"limit": 20}, "memory": {"limit": 64 << 20}}


@pytest.mark.skipif(V2, reason="the VM's cgroups are delegated in test_delegated_cgroup_v2_enforces_limits")
def test_limits_without_delegated_cgroups_are_reported_once(user, home):
    bundle = rootless_spec(user, home, "true", edit=with_limits)
    name = cid()
    r = as_user(user, home, "run", "--bundle", bundle, name)
    assert r.returncode == 0, r
    assert len(r.stderr.splitlines()) == 1, r
    assert r.stderr.startswith(f'berth: warning: container "{name}": linux.resources are not enforced: the cgroups '
                               f'here are not delegated to uid {user["uid"]} (create cgroup `/sys/fs/cgroup/'), r
    assert_nothing_left(home, name)
    # --rootless false: permission errors are errors, and nothing is left.
    r = as_user(user, home, "--rootless", "false", "run", "--bundle", bundle, name)
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1, r
    assert "Permission denied" in r.stderr
    assert_nothing_left(home, name)


def test_no_limits_no_warning(user, home):
    bundle = rootless_spec(user, home, "true")
    name = cid()
    r = as_user(user, home, "run", "--bundle", bundle, name)
    assert r.returncode == 0 and r.stderr == "", r


@pytest.fixture
def delegated(user):
    """A cgroup v2 subtree owned by the user (as systemd's Delegate=yes): a runner leaf and room for containers."""
    top = f"/sys/fs/cgroup/berth-delegated-{uuid.uuid4().hex[:8]}"
    os.mkdir(top)
    with open("/sys/fs/cgroup/cgroup.subtree_control") as f:
        enabled = f.read().split()
    assert "memory" in enabled and "pids" in enabled
    os.mkdir(top + "/runner")
    for path in (top, top + "/cgroup.procs", top + "/cgroup.subtree_control", top + "/cgroup.threads",
                 top + "/runner", top + "/runner/cgroup.procs"):
        os.chown(path, user["uid"], user["gid"])
    yield top
    for d in sorted((os.path.join(r, d) for r, ds, _ in os.walk(top) for d in ds), key=len, reverse=True):
        os.rmdir(d)
    os.rmdir(top)


@pytest.mark.skipif(not V2, reason="needs a cgroup v2 host (the VM): this host's controllers are v1, not delegable")
def test_delegated_cgroup_v2_enforces_limits(user, home, delegated):
    group = os.path.basename(delegated)

    def edit(config):
        with_limits(config)
        config["linux"]["cgroupsPath"] = f"/{group}/c"
    bundle = rootless_spec(user, home, "sh", "-c", "cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max", edit=edit)
    name = cid()
    r = as_user(user, home, "run", "--bundle", bundle, name, cgroup=delegated + "/runner")
    assert r.returncode == 0, r
    assert r.stderr == ""
    assert r.stdout.split() == ["20", str(64 << 20)]
    assert not os.path.exists(delegated + "/c"), "delete removes the container's cgroup"


def test_cve_2023_25809_host_cgroups_stay_read_only(user, home):
    """A rootless container with /sys bound from the host must not write the user's own host cgroups."""
    with open("/proc/self/cgroup") as f:
        own = next(line.strip().split(":", 2)[2] for line in f if line.startswith("0::"))
    base = "/sys/fs/cgroup" if V2 else "/sys/fs/cgroup/unified"
    target = f"{base}{own.rstrip('/')}/berth-cve-{uuid.uuid4().hex[:8]}"
    os.mkdir(target)
    os.chown(target, user["uid"], user["gid"])
    try:
        for keep_cgroup_mount in (False, True):
            def edit(config):
                if not keep_cgroup_mount:
                    config["mounts"] = [m for m in config["mounts"] if m["destination"] != "/sys/fs/cgroup"]
            bundle = rootless_spec(user, home, "sh", "-c", f"mkdir {target}/evil && echo WROTE", edit=edit)
            name = cid()
            r = as_user(user, home, "run", "--bundle", bundle, name)
            assert r.returncode != 0 and "WROTE" not in r.stdout, r
            assert not os.path.exists(target + "/evil")
            assert_nothing_left(home, name)

        # The control: with /sys bound read-write the same write lands, so the check above can fail.
        def writable(config):
            config["mounts"] = [m for m in config["mounts"] if m["destination"] != "/sys/fs/cgroup"]
            sys_mount = next(m for m in config["mounts"] if m["destination"] == "/sys")
            sys_mount["options"] = [o for o in sys_mount["options"] if o != "ro"]
        bundle = rootless_spec(user, home, "sh", "-c", f"mkdir {target}/evil && echo WROTE", edit=writable)
        r = as_user(user, home, "run", "--bundle", bundle, cid())
        assert r.returncode == 0 and "WROTE" in r.stdout, r
    finally:
        if os.path.exists(target + "/evil"):
            os.rmdir(target + "/evil")
        os.rmdir(target)
