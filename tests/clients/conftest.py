"""Private containerds (Debian's 1.6 and a built 2.4; own root, state, sockets; CRI off), podman and dockerd, with a
busybox image, for berth as their runtime."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from needs import missing  # noqa: E402
import oci_image  # noqa: E402

BERTH = os.path.abspath(os.environ.get("BERTH") or os.path.join(os.path.dirname(__file__), "..", "..", "build", "berth"))
IMAGE = "localhost/berth-busybox:latest"
# containerd puts containers in the cgroup /<namespace>/<name>: unique per run, removed at the end.
NAMESPACE = "clients-" + uuid.uuid4().hex[:8]


def stop_daemon(daemon, timeout):
    daemon.terminate()
    try:
        daemon.wait(timeout)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()


def unmount_under(base):
    """What a daemon left mounted under its private directory, innermost first."""
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split()[4] for line in f if base in line]
    for m in sorted(mounts, reverse=True):
        subprocess.run(["umount", "-l", m], check=False)


CONTAINERD_2 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "gotools",
                            "containerd-v2.4.2")


class Containerd:
    def __init__(self, base, bindir, namespace):
        self.base = base
        self.address = os.path.join(base, "containerd.sock")
        self.opt = os.path.join(base, "opt")
        self.namespace = namespace
        # Debian's 1.6 from PATH, or the 2.x tests/gotools.sh built (its shim first on the daemon's PATH).
        self.bindir = bindir
        self.path = (bindir + ":" if bindir else "") + "/usr/sbin:/usr/bin:/sbin:/bin"

    def prefix(self):
        """ctr on this daemon, in its namespace."""
        return [os.path.join(self.bindir, "ctr") if self.bindir else "ctr", "--address", self.address,
                "-n", self.namespace]

    def ctr(self, *args, timeout=30, input=None, runtime=True):
        """ctr in this daemon's namespace; `run` gets berth as its runc binary."""
        argv = self.prefix() + [str(a) for a in args]
        if runtime and len(args) > 0 and args[0] == "run":
            argv[5:6] = ["run", "--runc-binary", BERTH]
        # ctr forwards SIGTERM to the container: a hard deadline keeps a test bounded.
        return subprocess.run(["timeout", "-k", "5", str(timeout)] + argv, capture_output=True, text=True,
                              input=input, stdin=None if input is not None else subprocess.DEVNULL)


def run_containerd(bindir):
    """A private containerd with the busybox image, removed with all it made when the generator closes."""
    namespace = NAMESPACE + ("-v2" if bindir else "")
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
    c = Containerd(base, bindir, namespace)
    log = open(os.path.join(base, "containerd.log"), "w")
    daemon = subprocess.Popen([os.path.join(bindir, "containerd") if bindir else "containerd", "--config",
                               os.path.join(base, "config.toml")], stdout=log,
                              stderr=subprocess.STDOUT, env={"PATH": c.path}, close_fds=True, start_new_session=True)
    for _ in range(200):
        if os.path.exists(c.address) and c.ctr("version", runtime=False).returncode == 0:
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
    stop_daemon(daemon, 10)
    subprocess.run(["pkill", "-f", f"containerd-shim-runc-v2.*{base}"], check=False)
    unmount_under(base)
    log.close()
    shutil.rmtree(base, ignore_errors=True)
    # The shim's state root for this namespace (berth's --root): empty by now, and ours.
    shutil.rmtree(f"/run/containerd/runc/{namespace}", ignore_errors=True)
    # The namespace's parent cgroup was made for these tests (by the first container): remove it.
    for hierarchy in os.listdir("/sys/fs/cgroup"):
        parent = os.path.join("/sys/fs/cgroup", hierarchy, namespace)
        if os.path.isdir(parent):
            os.rmdir(parent)


@pytest.fixture(scope="session")
def containerd16():
    """Debian's containerd 1.6."""
    if not shutil.which("containerd") or not shutil.which("ctr"):
        missing("containerd is not installed")
    yield from run_containerd(None)


@pytest.fixture(scope="session")
def containerd(containerd16):
    """The containerd the Docker fixture runs on (Debian's dockerd 20.10 speaks to 1.6)."""
    return containerd16


@pytest.fixture(scope="session")
def containerd2():
    """containerd 2.4, built by tests/gotools.sh."""
    if not os.access(os.path.join(CONTAINERD_2, "containerd-shim-runc-v2"), os.X_OK):
        missing("containerd v2.4.2 is not built (tests/gotools.sh builds it)")
    yield from run_containerd(os.path.abspath(CONTAINERD_2))


@pytest.fixture
def name():
    return "c-" + uuid.uuid4().hex[:10]


class Podman:
    def __init__(self, base):
        self.base = base
        self.env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": base,
                    "CONTAINERS_CONF": os.path.join(base, "containers.conf"),
                    "CONTAINERS_STORAGE_CONF": os.path.join(base, "storage.conf"),
                    "CONTAINERS_REGISTRIES_CONF": os.path.join(base, "registries.conf")}

    def __call__(self, *args, timeout=60, input=None, check=False):
        # cwd: conmon writes an "oom" marker into its working directory.
        r = subprocess.run(["timeout", "-k", "5", str(timeout), "podman"] + [str(a) for a in args],
                           capture_output=True, text=True, env=self.env, input=input, cwd=self.base,
                           stdin=None if input is not None else subprocess.DEVNULL)
        if check:
            assert r.returncode == 0, r
        return r


def _hard_limit(resource):
    import resource as res
    return res.getrlimit(resource)[1]


def _cgroup_dirs(name):
    return [os.path.join("/sys/fs/cgroup", h, name) for h in os.listdir("/sys/fs/cgroup")
            if os.path.isdir(os.path.join("/sys/fs/cgroup", h, name))]


def _remove_cgroup_tree(path):
    for top, dirs, _ in os.walk(path, topdown=False):
        for d in dirs:
            os.rmdir(os.path.join(top, d))
    os.rmdir(path)


@pytest.fixture(scope="session")
def podman():
    """A podman with private storage, config and run dirs, with berth as its runtime (named "berth", so
    conmon passes --log-format=json)."""
    if not shutil.which("podman") or not shutil.which("conmon"):
        missing("podman or conmon is not installed")
    import resource
    # Podman's runroot must stay under 50 characters (its cleanup command refuses longer ones).
    base = tempfile.mkdtemp(prefix="berth-pm-", dir="/tmp")
    parent_existed = bool(_cgroup_dirs("libpod_parent"))
    nofile, nproc = _hard_limit(resource.RLIMIT_NOFILE), min(_hard_limit(resource.RLIMIT_NPROC), 32768)
    with open(os.path.join(base, "containers.conf"), "w") as f:
        f.write(f"""[containers]
netns = "none"
log_driver = "k8s-file"
# No CAP_SYS_RESOURCE here: podman's default ulimits (1048576) are above the hard limits.
default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{base}/events.log"
tmp_dir = "{base}/tmp"
volume_path = "{base}/volumes"
runtime = "berth"
runtime_supports_json = ["crun", "runc", "kata", "berth"]
[engine.runtimes]
berth = ["{BERTH}"]
""")
    with open(os.path.join(base, "storage.conf"), "w") as f:
        f.write(f'[storage]\ndriver = "overlay"\ngraphroot = "{base}/graph"\nrunroot = "{base}/run"\n')
    open(os.path.join(base, "registries.conf"), "w").close()
    p = Podman(base)
    archive = os.path.join(base, "image.tar")
    oci_image.build(archive, tag=IMAGE)
    p("load", "-i", archive, check=True)
    yield p
    p("pod", "rm", "-a", "-f", "-t", "0")
    p("rm", "-a", "-f", "-t", "0")
    p("system", "reset", "-f")
    subprocess.run(["pkill", "-f", f"conmon.*{base}"], check=False)
    unmount_under(base)
    shutil.rmtree(base, ignore_errors=True)
    if not parent_existed:
        for d in _cgroup_dirs("libpod_parent"):
            _remove_cgroup_tree(d)


DOCKER_PKG = os.path.join(os.path.dirname(__file__), "..", "..", "build", "docker.io")


class Docker:
    def __init__(self, base):
        self.base = base
        self.env = {"PATH": f"{DOCKER_PKG}/usr/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "DOCKER_HOST": f"unix://{base}/docker.sock", "DOCKER_CONFIG": os.path.join(base, "client")}

    def __call__(self, *args, timeout=60, input=None, check=False):
        r = subprocess.run(["timeout", "-k", "5", str(timeout), f"{DOCKER_PKG}/usr/bin/docker"] +
                           [str(a) for a in args], capture_output=True, text=True, env=self.env, input=input,
                           stdin=None if input is not None else subprocess.DEVNULL)
        if check:
            assert r.returncode == 0, r
        return r


@pytest.fixture(scope="session")
def docker(containerd):
    """A private dockerd (Debian's docker.io, unpacked by tests/deps.sh) on the private containerd, with
    berth registered as the runtime "berth"."""
    if not os.access(f"{DOCKER_PKG}/usr/sbin/dockerd", os.X_OK):
        missing("dockerd is not unpacked from Debian's docker.io")
    base = tempfile.mkdtemp(prefix="berth-dk-", dir="/tmp")
    tag = uuid.uuid4().hex[:8]
    cgroup_parent = "berth-docker-" + tag
    with open(os.path.join(base, "daemon.json"), "w") as f:
        json.dump({"runtimes": {"berth": {"path": BERTH}}, "bridge": "none", "iptables": False,
                   "ip6tables": False, "ip-forward": False, "ip-masq": False, "data-root": f"{base}/data",
                   "exec-root": f"{base}/exec", "pidfile": f"{base}/docker.pid",
                   "hosts": [f"unix://{base}/docker.sock"], "containerd": containerd.address,
                   "containerd-namespace": "docker-" + tag, "containerd-plugins-namespace": "docker-plugins-" + tag,
                   "cgroup-parent": "/" + cgroup_parent, "storage-driver": "overlay2"}, f)
    d = Docker(base)
    log = open(os.path.join(base, "dockerd.log"), "w")
    daemon = subprocess.Popen([f"{DOCKER_PKG}/usr/sbin/dockerd", "--config-file", os.path.join(base, "daemon.json")],
                              stdout=log, stderr=subprocess.STDOUT, env=d.env, close_fds=True, start_new_session=True)
    for _ in range(200):
        if d("version").returncode == 0:
            break
        if daemon.poll() is not None:
            log.close()
            with open(os.path.join(base, "dockerd.log")) as f:
                text = f.read()
            shutil.rmtree(base, ignore_errors=True)
            pytest.fail("dockerd did not start: " + text[-2000:])
        time.sleep(0.1)
    d.cgroup_parent = cgroup_parent
    archive = os.path.join(base, "rootfs.tar")
    with open(archive, "wb") as f:
        f.write(oci_image.layer())
    d("import", archive, IMAGE, check=True)
    yield d
    ids = d("ps", "-a", "-q").stdout.split()
    if ids:
        d("rm", "-f", *ids)
    stop_daemon(daemon, 20)
    unmount_under(base)
    log.close()
    shutil.rmtree(base, ignore_errors=True)
    for parent in _cgroup_dirs(cgroup_parent):
        _remove_cgroup_tree(parent)
