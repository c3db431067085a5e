"""What kubelet drives, through crictl, on berth's handler: pods of several containers, exec, logs, stats,
resource updates, graceful stop, OOM, seccomp, a read-only root, a user-namespaced pod, containerd restarted
under running pods, a pod removed while its containers run. Each checks the effect inside the container or
from the host, never only crictl's exit status."""
import json
import os
import shlex
import subprocess
import time

import pytest

from conftest import BUSYBOX, CGROUP_PARENT, CRICTL, SYSTEMD, pod_cgroup_parent

HANDLER = "berth"


class Pod:
    def __init__(self, node, name, tmp, security=None, linux=None):
        self.node, self.name, self.tmp = node, name, tmp
        config = {"metadata": {"name": name, "namespace": "berth-cri", "uid": name, "attempt": 0},
                  "log_directory": str(tmp / "logs"), "linux": dict({"cgroup_parent": pod_cgroup_parent(name),
                                                                    "security_context": security or {}}, **(linux or {}))}
        (tmp / "logs").mkdir(exist_ok=True)
        self.config = tmp / f"{name}-pod.json"
        self.config.write_text(json.dumps(config))
        r = node.crictl("runp", "--runtime", HANDLER, self.config, timeout=120)
        assert r.returncode == 0, r.stderr
        self.id = r.stdout.strip()

    def container(self, cname, args, security=None, resources=None, start=True, image=BUSYBOX, stdin=False):
        config = {"metadata": {"name": cname}, "image": {"image": image}, "command": args, "log_path": f"{cname}.log",
                  "stdin": stdin,
                  "linux": {"security_context": security or {}, "resources": resources or {}}}
        path = self.tmp / f"{self.name}-{cname}.json"
        path.write_text(json.dumps(config))
        r = self.node.crictl("create", self.id, path, self.config, timeout=120)
        assert r.returncode == 0, r.stderr
        cid = r.stdout.strip()
        if start:
            r = self.node.crictl("start", cid, timeout=60)
            assert r.returncode == 0, r.stderr
        return cid

    def exec(self, cid, *args, timeout=30):
        return self.node.crictl("exec", "-s", "--timeout", str(timeout), cid, *args, timeout=timeout + 30)

    def out(self, cid, script):
        r = self.exec(cid, "sh", "-c", script)
        assert r.returncode == 0, (r.stdout, r.stderr)
        return r.stdout

    def remove(self):
        self.node.crictl("stopp", self.id, timeout=120)
        self.node.crictl("rmp", "-f", self.id, timeout=120)


@pytest.fixture(scope="module")
def pulled(node):
    r = node.crictl("pull", BUSYBOX, timeout=120)
    assert r.returncode == 0, r.stderr


@pytest.fixture
def pods(node, tmp_path, pulled):
    made = []

    def make(name, **kw):
        p = Pod(node, name, tmp_path, **kw)
        made.append(p)
        return p
    yield make
    for p in made:
        p.remove()


def status(node, cid):
    return node.json("inspect", cid)["status"]


def wait_exited(node, cid, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = status(node, cid)
        if s["state"] == "CONTAINER_EXITED":
            return s
        time.sleep(0.5)
    raise AssertionError(f"{cid} did not exit: {s}")


def test_a_pod_shares_net_ipc_and_pid(pods, name):
    # shareProcessNamespace: pid POD (0); network and ipc are the pod's by default.
    pod = pods(name, security={"namespace_options": {"pid": 0}})
    a = pod.container("a", ["sleep", "1000"])
    b = pod.container("b", ["sh", "-c", "ipcmk -M 4096 >/dev/null 2>&1; exec sleep 1001"])
    ns = {c: pod.out(c, "for n in net ipc pid; do readlink /proc/self/ns/$n; done").split() for c in (a, b)}
    assert ns[a] == ns[b], ns
    # Each sees the other's process, and the pause process of the sandbox as pid 1.
    procs = pod.out(a, "for d in /proc/[0-9]*; do cat $d/cmdline | tr '\\0' ' '; echo; done")
    assert "sleep 1000" in procs and "sleep 1001" in procs and "/pause" in procs, procs
    assert pod.out(b, "cat /proc/1/cmdline").strip("\x00\n") == "/pause"


def test_exec_logs_and_attach(node, pods, name):
    pod = pods(name)
    c = pod.container("c", ["sh", "-c", "echo to-stdout; echo to-stderr >&2; exec cat"], stdin=True)
    assert pod.out(c, "id -u; echo $((6*7))").split() == ["0", "42"]
    r = pod.exec(c, "sh", "-c", "exit 3")
    assert r.returncode != 0 and "exited with 3" in r.stderr, r  # ExecSync's exit code, as crictl reports it
    # exec -it: a terminal of its own (crictl's own input must be one: script(1) gives it a pty).
    argv = node.inside([CRICTL, "--config", os.path.join(node.base, "crictl.yaml"), "--runtime-endpoint", node.endpoint,
                        "exec", "-it", c, "sh", "-c", "tty; test -t 0 && echo stdin-is-a-tty"])
    r = subprocess.run(["timeout", "60", "script", "-qec", shlex.join(argv), "/dev/null"], capture_output=True,
                       text=True, stdin=subprocess.DEVNULL, env=node.env())
    assert r.returncode == 0 and "/dev/pts/" in r.stdout and "stdin-is-a-tty" in r.stdout, (r.stdout, r.stderr)
    deadline = time.monotonic() + 20
    while "to-stderr" not in (logs := node.crictl("logs", c)).stdout + logs.stderr and time.monotonic() < deadline:
        time.sleep(0.3)
    assert "to-stdout" in logs.stdout and "to-stderr" in logs.stderr, (logs.stdout, logs.stderr)
    # attach: what goes in reaches the container's stdin (cat), whose output comes back.
    node.crictl("attach", "-i", c, input="through-attach\n", timeout=10)
    deadline = time.monotonic() + 20
    while "through-attach" not in node.crictl("logs", c).stdout and time.monotonic() < deadline:
        time.sleep(0.3)
    assert "through-attach" in node.crictl("logs", c).stdout


def test_stats_and_update(node, pods, name):
    pod = pods(name)
    c = pod.container("c", ["sh", "-c", "head -c 20000000 /dev/zero > /dev/shm/fill; exec sleep 1000"],
                      resources={"memory_limit_in_bytes": 256 << 20, "cpu_shares": 512})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        stats = node.json("stats", "--id", c)["stats"]
        if stats and int(stats[0]["memory"]["workingSetBytes"]["value"]) > 15_000_000:
            break
        time.sleep(1)
    assert stats and int(stats[0]["memory"]["workingSetBytes"]["value"]) > 15_000_000, stats
    podstats = node.json("statsp", "--id", pod.id)["stats"]
    assert podstats and podstats[0]["attributes"]["id"] == pod.id, podstats
    r = node.crictl("update", "--memory", str(128 << 20), "--cpu-share", "256", c)
    assert r.returncode == 0, r.stderr
    limit = pod.out(c, "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes")
    assert int(limit) == 128 << 20, limit
    assert int(status(node, c)["resources"]["linux"]["memoryLimitInBytes"]) == 128 << 20


def test_graceful_stop(node, pods, name):
    pod = pods(name)
    polite = pod.container("polite", ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"])
    stubborn = pod.container("stubborn", ["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"])
    time.sleep(1)  # both traps are set
    start = time.monotonic()
    assert node.crictl("stop", "-t", "10", polite, timeout=60).returncode == 0
    assert time.monotonic() - start < 8
    assert int(status(node, polite)["exitCode"]) == 0
    start = time.monotonic()
    assert node.crictl("stop", "-t", "2", stubborn, timeout=60).returncode == 0
    assert time.monotonic() - start >= 2
    assert int(status(node, stubborn)["exitCode"]) == 137  # SIGKILL after the grace period


def test_oom_is_reported_as_oomkilled(node, pods, name):
    pod = pods(name)
    c = pod.container("c", ["sh", "-c", "sleep 1; dd if=/dev/zero of=/dev/null bs=200M count=1"],
                      resources={"memory_limit_in_bytes": 32 << 20, "memory_swap_limit_in_bytes": 32 << 20})
    s = wait_exited(node, c)
    assert s["reason"] == "OOMKilled" and int(s["exitCode"]) == 137, s


def test_seccomp_runtime_default_and_localhost(node, pods, name, tmp_path):
    pod = pods(name)
    unconfined = pod.container("u", ["sleep", "1000"], security={"seccomp": {"profile_type": 1}})
    assert pod.exec(unconfined, "unshare", "-U", "true").returncode == 0
    default = pod.container("d", ["sleep", "1000"], security={"seccomp": {"profile_type": 0}})
    r = pod.exec(default, "unshare", "-U", "true")
    assert r.returncode != 0 and "Operation not permitted" in r.stderr, (r.stdout, r.stderr)
    profile = tmp_path / "no-mkdir.json"
    profile.write_text(json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}))
    local = pod.container("l", ["sleep", "1000"],
                          security={"seccomp": {"profile_type": 2, "localhost_ref": str(profile)}})
    r = pod.exec(local, "mkdir", "/tmp/x")
    assert r.returncode != 0 and "Permission denied" in r.stderr, (r.stdout, r.stderr)
    assert pod.out(local, "touch /tmp/y && echo ok").strip() == "ok"


def test_read_only_root_filesystem(pods, name):
    pod = pods(name)
    c = pod.container("c", ["sleep", "1000"], security={"readonly_rootfs": True})
    r = pod.exec(c, "touch", "/new-file")
    assert r.returncode != 0 and "Read-only file system" in r.stderr, (r.stdout, r.stderr)
    assert pod.out(c, "echo ok > /dev/shm/x && cat /dev/shm/x").strip() == "ok"  # its volumes stay writable


def test_a_user_namespaced_pod(node, pods, name):
    # hostUsers: false, as kubelet asks it: mode POD with one 65536-id range (containerd 2 reads berth's features).
    ids = [{"container_id": 0, "host_id": 200000, "length": 65536}]
    userns = {"namespace_options": {"userns_options": {"mode": 0, "uids": ids, "gids": ids}}}
    pod = pods(name, security=userns)
    c = pod.container("c", ["sleep", "1000"], security=userns)
    assert pod.out(c, "cat /proc/self/uid_map").split() == ["0", "200000", "65536"]
    pid = node.json("inspect", c)["info"]["pid"]
    with open(f"/proc/{pid}/status") as f:
        uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
    assert uids == ["200000"] * 4, uids  # root inside is 200000 on the host
    # The image's files, owned by 0 in the image, are root's inside (an idmapped rootfs or chowned snapshot).
    assert pod.out(c, "stat -c %u /bin/busybox; touch /tmp/x && stat -c %u /tmp/x").split() == ["0", "0"]


def test_containerd_restart_keeps_pods(node, pods, name):
    pod = pods(name)
    c = pod.container("c", ["sleep", "1000"])
    pid = node.json("inspect", c)["info"]["pid"]
    node.stop()
    assert os.path.exists(f"/proc/{pid}"), "the container died with containerd"
    node.start()
    deadline = time.monotonic() + 30
    while status(node, c)["state"] != "CONTAINER_RUNNING" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert status(node, c)["state"] == "CONTAINER_RUNNING"
    assert pod.out(c, "echo alive").strip() == "alive"
    assert node.crictl("stop", "-t", "1", c, timeout=60).returncode == 0
    assert not os.path.exists(f"/proc/{pid}")


def test_a_pod_removed_while_its_containers_run(node, pods, name):
    pod = pods(name)
    cs = [pod.container(n, ["sleep", "1000"]) for n in ("a", "b")]
    pids = [node.json("inspect", c)["info"]["pid"] for c in cs]
    r = node.crictl("rmp", "-f", pod.id, timeout=120)
    assert r.returncode == 0, r.stderr
    deadline = time.monotonic() + 20
    while any(os.path.exists(f"/proc/{p}") for p in pids) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not any(os.path.exists(f"/proc/{p}") for p in pids)
    assert not node.json("ps", "-a", "-p", pod.id)["containers"]
    # Nothing of berth's is left for them: its state directories (under the shim's root/namespace) are gone.
    left = [os.path.join(d, n) for d, dirs, _ in os.walk(os.path.join(node.base, "berth-root"))
            for n in dirs if n in cs or n == pod.id]
    assert not left, left


def show(unit, prop):
    return subprocess.run(["systemctl", "show", "-p", prop, "--value", unit], capture_output=True,
                          text=True).stdout.strip()


@pytest.mark.skipif(not SYSTEMD, reason="this node's cgroup driver is cgroupfs: systemd is not PID 1 on this host "
                    "(tests/run.sh runs this file again in the systemd VM with BERTH_CRI_CGROUP_DRIVER=systemd)")
def test_the_systemd_cgroup_driver(node, pods, name):
    """SystemdCgroup = true: each container is a systemd scope in its pod's slice, systemd knows its limits, an
    UpdateContainerResources reaches the unit (a daemon-reload keeps it), and the scope goes with the container."""
    pod = pods(name)
    c = pod.container("c", ["sleep", "1000"], resources={"memory_limit_in_bytes": 64 << 20, "cpu_shares": 512})
    pid = node.json("inspect", c)["info"]["pid"]
    unit = f"cri-containerd-{c}.scope"
    with open(f"/proc/{pid}/cgroup") as f:
        cgroup = next(line.strip().split(":", 2)[2] for line in f if line.startswith("0::"))
    assert cgroup == f"/{CGROUP_PARENT}.slice/{CGROUP_PARENT}-{name}.slice/{unit}", cgroup
    assert show(unit, "ActiveState") == "active" and show(unit, "Delegate") == "yes"
    assert show(unit, "MemoryMax") == str(64 << 20)
    r = node.crictl("update", "--memory", str(96 << 20), c)
    assert r.returncode == 0, r.stderr
    subprocess.run(["systemctl", "daemon-reload"], check=True)
    assert show(unit, "MemoryMax") == str(96 << 20)
    assert pod.out(c, "cat /sys/fs/cgroup/memory.max").strip() == str(96 << 20)
    assert node.crictl("stop", "-t", "1", c, timeout=60).returncode == 0
    assert node.crictl("rm", c, timeout=60).returncode == 0
    assert show(unit, "ActiveState") in ("inactive", ""), show(unit, "ActiveState")
    assert not os.path.exists(f"/sys/fs/cgroup{cgroup}")
