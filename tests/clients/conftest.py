"""A private containerd (own root, state, sockets; CRI off) with a busybox image, for berth as its runtime."""
import os
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

import oci_image

BERTH = os.path.abspath(os.environ.get("BERTH") or os.path.join(os.path.dirname(__file__), "..", "..", "build", "berth"))
IMAGE = "localhost/berth-busybox:latest"
# containerd puts containers in the cgroup /<namespace>/<name>: unique per run, removed at the end.
NAMESPACE = "clients-" + uuid.uuid4().hex[:8]


class Containerd:
    def __init__(self, base):
        self.base = base
        self.address = os.path.join(base, "containerd.sock")
        self.opt = os.path.join(base, "opt")

    def ctr(self, *args, timeout=30, input=None, runtime=True):
        """ctr in namespace "berth"; `run` gets berth as its runc binary."""
        argv = ["ctr", "--address", self.address, "-n", NAMESPACE] + [str(a) for a in args]
        if runtime and len(args) > 0 and args[0] == "run":
            argv[5:6] = ["run", "--runc-binary", BERTH]
        # ctr forwards SIGTERM to the container: a hard deadline keeps a test bounded.
        return subprocess.run(["timeout", "-k", "5", str(timeout)] + argv, capture_output=True, text=True,
                              input=input, stdin=None if input is not None else subprocess.DEVNULL)


@pytest.fixture(scope="session")
def containerd():
    if not shutil.which("containerd") or not shutil.which("ctr"):
        pytest.skip("containerd is not installed (tests/deps.sh installs it)")
    base = tempfile.mkdtemp(prefix="berth-ctd-", dir="/tmp")
    os.makedirs(os.path.join(base, "opt", "bin"))
    # `ctr container create` + `task start` run "runc" from containerd's opt bin dir: that is berth.
    os.symlink(BERTH, os.path.join(base, "opt", "bin", "runc"))
    with open(os.path.join(base, "config.toml"), "w") as f:
        f.write(f"""version = 2
root = "{base}/root"
state = "{base}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{base}/containerd.sock"
[ttrpc]
  address = "{base}/containerd-ttrpc.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "{base}/opt"
""")
    log = open(os.path.join(base, "containerd.log"), "w")
    daemon = subprocess.Popen(["containerd", "--config", os.path.join(base, "config.toml")], stdout=log,
                              stderr=subprocess.STDOUT, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
                              close_fds=True, start_new_session=True)
    c = Containerd(base)
    for _ in range(100):
        if os.path.exists(c.address):
            break
        time.sleep(0.05)
    archive = os.path.join(base, "image.tar")
    oci_image.build(archive)
    r = c.ctr("images", "import", "--base-name", "localhost/berth-busybox", archive, runtime=False)
    assert r.returncode == 0, r
    yield c
    for cid in c.ctr("containers", "ls", "-q", runtime=False).stdout.split():
        c.ctr("task", "kill", "-s", "SIGKILL", cid, runtime=False)
        c.ctr("task", "rm", "-f", cid, runtime=False)
        c.ctr("containers", "rm", cid, runtime=False)
    daemon.terminate()
    try:
        daemon.wait(10)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()
    subprocess.run(["pkill", "-f", f"containerd-shim-runc-v2.*{base}"], check=False)
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split()[4] for line in f if base in line]
    for m in sorted(mounts, reverse=True):
        subprocess.run(["umount", "-l", m], check=False)
    log.close()
    shutil.rmtree(base, ignore_errors=True)
    # The shim's state root for this namespace (berth's --root): empty by now, and ours.
    shutil.rmtree(f"/run/containerd/runc/{NAMESPACE}", ignore_errors=True)
    # The namespace's parent cgroup was made for these tests (by the first container): remove it.
    for hierarchy in os.listdir("/sys/fs/cgroup"):
        for parent in (os.path.join("/sys/fs/cgroup", hierarchy, NAMESPACE),):
            if os.path.isdir(parent):
                os.rmdir(parent)


@pytest.fixture
def name():
    return "c-" + uuid.uuid4().hex[:10]
