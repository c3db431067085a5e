"""A private Kubernetes node without a kubelet: containerd 2 with CRI, berth and runc 1.5 as runtime handlers.

Everything runs inside a network namespace this suite creates (no host interface is touched, no route
out): a registry on its loopback (Debian's docker-registry, filled with skopeo from images built here
from busybox-static), containerd with CNI (bridge, host-local, loopback, portmap from Debian), and the
clients (crictl, critest), which reach containerd's streaming server on that loopback. containerd, its
shims and berth keep their state under one temporary directory; at the end every pod is removed and
the directory, the namespace and the cgroups the pods had are gone.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, ".."))
from needs import missing  # noqa: E402
import oci_image  # noqa: E402

BERTH = os.path.abspath(os.environ.get("BERTH") or os.path.join(TOP, "build", "berth"))
GOTOOLS = os.path.join(TOP, "build", "gotools")
CONTAINERD_VERSION = "v2.4.2"
RUNC_VERSION = "v1.5.3"
CRI_TOOLS_VERSION = "v1.37.0"
CONTAINERD_DIR = os.path.join(GOTOOLS, "containerd-" + CONTAINERD_VERSION)
RUNC = os.path.join(GOTOOLS, "runc-" + RUNC_VERSION, "runc")
CRICTL = os.path.join(GOTOOLS, "cri-tools-" + CRI_TOOLS_VERSION, "crictl")
CRITEST = os.path.join(GOTOOLS, "cri-tools-" + CRI_TOOLS_VERSION, "critest")
CNI_BIN = "/usr/lib/cni"
REGISTRY = "127.0.0.1:5000"
SANDBOX_IMAGE = "registry.k8s.io/pause:3.10"
BUSYBOX = "registry.k8s.io/e2e-test-images/busybox:1.29-2"
# cgroupfs here; the systemd VM (systemd as PID 1) runs the scenarios again with BERTH_CRI_CGROUP_DRIVER=systemd.
SYSTEMD = os.environ.get("BERTH_CRI_CGROUP_DRIVER", "cgroupfs") == "systemd"
# Pods get their cgroups under this parent, unique per run and removed at the end: a directory for cgroupfs, a
# slice for systemd (a dash nests a slice in the one before it: berthcriX-POD.slice is in berthcriX.slice).
CGROUP_PARENT = ("berthcri" if SYSTEMD else "/berth-cri-") + uuid.uuid4().hex[:8]


def pod_cgroup_parent(pod):
    """The cgroup_parent kubelet would give the pod POD (a name without dashes) under this run's parent."""
    # kubelet's systemd driver names the slice by its full path, /a.slice/a-b.slice (containerd takes the last part).
    return f"/{CGROUP_PARENT}.slice/{CGROUP_PARENT}-{pod}.slice" if SYSTEMD else f"{CGROUP_PARENT}/{pod}"


HANDLERS = {"berth": BERTH, "runc": RUNC}

PASSWD = (b"root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/bin/sh\n"
          b"default-user:x:1000:1000::/home/default-user:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
PGREP = b"""#!/bin/sh
# pgrep NAME: the pids whose command is NAME; status 1 when there is none.
found=1
for d in /proc/[0-9]*; do
  read -r comm < "$d/comm" 2>/dev/null && [ "$comm" = "$1" ] && { echo "${d#/proc/}"; found=0; }
done
exit $found
"""
IPCS = b"""#!/bin/sh
# ipcs -m: the shared memory segments of this ipc namespace, as the kernel lists them.
cat /proc/sysvipc/shm
"""
# The web servers critest names (nginx, httpd) are busybox's httpd; what critest looks for is there: nginx's
# pid file, "master process" in the command line of its pid 1, a name pidof finds, httpd's name in its log.
NGINX = b"""#!/bin/sh
echo $$ > /var/run/nginx.pid
trap 'kill $server; exit 0' TERM INT
httpd -f -p %d -h /www & server=$!
wait
"""
HTTPD = b"""#!/bin/sh
echo "httpd: serving /www on port %d"
trap 'kill $server; exit 0' TERM INT
httpd -f -p %d -h /www & server=$!
wait
"""
GROUP = (b"root:x:0:\nwww-data:x:33:\ndefault-user:x:1000:\ngroup-defined-in-image:x:50000:default-user\n"
         b"nogroup:x:65534:\n")


def built_static(source, dest):
    subprocess.run(["gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", dest, os.path.join(HERE, source)],
                   check=True)
    with open(dest, "rb") as f:
        return f.read()


def images(work, only=None):
    """(repository:tag, layout dir) for every image critest and the scenarios pull (those named in ONLY, when
    given), as the registry serves them: the names critest hardcodes (registry.k8s.io, gcr.io, k8s.gcr.io),
    without the host."""
    # What Debian's busybox-static lacks and critest runs (pgrep, ipcs), in shell over /proc.
    base_files = {"etc/passwd": PASSWD, "etc/group": GROUP, "var/run/.keep": b"",
                  "usr/bin/pgrep": (PGREP, 0o755), "usr/bin/ipcs": (IPCS, 0o755)}
    pause = built_static("pause.c", os.path.join(work, "pause"))
    nnp = built_static("nonewprivs.c", os.path.join(work, "nonewprivs")) if only is None else b""

    def web(port, entrypoint):
        return ({"Entrypoint": entrypoint, "Cmd": None, "ExposedPorts": {f"{port}/tcp": {}}},
                dict(base_files, **{"www/index.html": b"<html>berth</html>\n",
                                    "usr/sbin/nginx": (NGINX % port, 0o755), "usr/sbin/httpd": (HTTPD % (port, port), 0o755)}))

    specs = {
        "pause": ({"Entrypoint": ["/pause"], "Cmd": None}, {"pause": (pause, 0o755)}, False),
        "pause-3.9": ({"Entrypoint": ["/pause"], "Cmd": None}, {"pause": (pause, 0o755), "version": b"3.9"}, False),
        "busybox": ({}, base_files, True),
        "nginx": web(80, ["/usr/sbin/nginx", "master process"]) + (True,),
        "httpd": web(80, ["/usr/sbin/httpd"]) + (True,),
        "hostnet-nginx": web(12003, ["/usr/sbin/nginx", "master process"]) + (True,),
        "nonewprivs": ({"Cmd": ["/usr/local/bin/nonewprivs"]},
                       dict(base_files, **{"usr/local/bin/nonewprivs": (nnp, 0o4755)}), True),
        "uid": ({"User": "1002"}, base_files, True),
        "username": ({"User": "www-data"}, base_files, True),
        "uid-group": ({"User": "1003:1004"}, base_files, True),
        "username-group": ({"User": "www-data:1004"}, base_files, True),
        "predefined-group": ({"User": "1000"}, base_files, True),
    }
    for n in ("latest", "tag", "1", "2", "3", "tags"):
        specs["test-" + n] = ({}, dict(base_files, **{f"test-image-{n}": b""}), True)
    wanted = [(repo, name) for repo, name in image_names() if only is None or repo in only]
    layouts = {}
    for name in sorted({name for _, name in wanted}):
        config, files, with_busybox = specs[name]
        layouts[name] = os.path.join(work, "layouts", name)
        oci_image.layout(layouts[name], config=config, files=files, with_busybox=with_busybox, hardlinks=True)
    return [(repo, layouts[name]) for repo, name in wanted]


def image_names():
    """(repository:tag, image) as critest and the scenarios name them."""
    cri = "k8s-staging-cri-tools/"
    e2e = "e2e-test-images/"
    return [
        ("pause:3.10", "pause"), ("pause:3.9", "pause-3.9"),
        (e2e + "busybox:1.29-2", "busybox"), (e2e + "nginx:1.14-2", "nginx"), (e2e + "httpd:2.4.39-4", "httpd"),
        (e2e + "nonewprivs:1.3", "nonewprivs"), (cri + "hostnet-nginx-amd64:latest", "hostnet-nginx"),
        (cri + "test-image-user-uid:latest", "uid"), (cri + "test-image-user-username:latest", "username"),
        (cri + "test-image-user-uid-group:latest", "uid-group"),
        (cri + "test-image-user-username-group:latest", "username-group"),
        (cri + "test-image-predefined-group:latest", "predefined-group"),
        (cri + "test-image-latest:latest", "test-latest"), (cri + "test-image-tag:test", "test-tag"),
        (cri + "test-image-tag:all", "test-tag"), (cri + "test-image-1:latest", "test-1"),
        (cri + "test-image-2:latest", "test-2"), (cri + "test-image-3:latest", "test-3"),
        (cri + "test-image-tags:1", "test-tags"), (cri + "test-image-tags:2", "test-tags"),
        (cri + "test-image-tags:3", "test-tags"),
    ]


def containerd_config(base, systemd=False):
    runtimes = ""
    for handler, binary in HANDLERS.items():
        runtimes += f"""
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.{handler}]
      runtime_type = 'io.containerd.runc.v2'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.{handler}.options]
        BinaryName = '{binary}'
        Root = '{base}/{handler}-root'
        SystemdCgroup = {'true' if systemd else 'false'}
"""
    return f"""version = 3
root = '{base}/root'
state = '{base}/state'
temp = '{base}/tmp'
disabled_plugins = ['io.containerd.snapshotter.v1.btrfs', 'io.containerd.snapshotter.v1.zfs',
                    'io.containerd.snapshotter.v1.devmapper', 'io.containerd.snapshotter.v1.blockfile',
                    'io.containerd.snapshotter.v1.erofs', 'io.containerd.tracing.processor.v1.otlp']
[grpc]
  address = '{base}/containerd.sock'
[ttrpc]
  address = '{base}/containerd.sock.ttrpc'
[plugins.'io.containerd.internal.v1.opt']
  path = '{base}/opt'
[plugins.'io.containerd.nri.v1.nri']
  disable = false
  socket_path = '{base}/nri.sock'
  plugin_path = '{base}/nri/plugins'
  plugin_config_path = '{base}/nri/conf.d'
  # critest's NRI synchronization spec holds a plugin's Synchronize open for 2 s; at containerd's default
  # request timeout (2 s) whether containerd drops the plugin is a coin toss, whatever the runtime.
  plugin_request_timeout = '10s'
[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = '127.0.0.1'
  stream_server_port = '0'
[plugins.'io.containerd.cri.v1.images']
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = '{SANDBOX_IMAGE}'
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = '{base}/certs.d'
[plugins.'io.containerd.cri.v1.runtime']
  netns_mounts_under_state = true
  # This machine withholds CAP_SYS_RESOURCE: no process may lower its oom_score_adj, so containerd keeps
  # the pods' scores at or above its own (as kubelet's rootless mode does) rather than every create failing.
  restrict_oom_score_adj = true
  cdi_spec_dirs = ['{base}/cdi']
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ['{CNI_BIN}']
    conf_dir = '{base}/net.d'
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = 'berth'
{runtimes}"""


CNI_CONFIG = {
    "cniVersion": "1.0.0", "name": "berth-cri",
    "plugins": [
        {"type": "bridge", "bridge": "cri0", "isGateway": True, "ipMasq": False, "hairpinMode": True,
         "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.231.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
        {"type": "portmap", "capabilities": {"portMappings": True}},
    ],
}


class Node:
    def __init__(self, base, netns):
        self.base = base
        self.netns = netns
        self.endpoint = "unix://" + os.path.join(base, "containerd.sock")
        self.daemon = None
        self.log = os.path.join(base, "containerd.log")

    def inside(self, argv):
        return ["nsenter", "--net=/run/netns/" + self.netns] + list(argv)

    def env(self):
        return {"PATH": f"{CONTAINERD_DIR}:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": self.base,
                "TMPDIR": os.path.join(self.base, "tmp")}

    def start(self):
        log = open(self.log, "a")
        self.daemon = subprocess.Popen(self.inside([os.path.join(CONTAINERD_DIR, "containerd"), "--config",
                                                    os.path.join(self.base, "config.toml")]),
                                       stdout=log, stderr=subprocess.STDOUT, env=self.env(), close_fds=True,
                                       start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.daemon.poll() is not None:
                break
            if self.crictl("info", timeout=10).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("containerd did not start:\n" + self.tail())

    def stop(self, timeout=20):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.terminate()
            try:
                self.daemon.wait(timeout)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
        self.daemon = None

    def tail(self, n=4000):
        with open(self.log, errors="replace") as f:
            return f.read()[-n:]

    def crictl(self, *args, timeout=60, input=None, check=False):
        argv = self.inside([CRICTL, "--config", os.path.join(self.base, "crictl.yaml"), "--runtime-endpoint", self.endpoint, "--image-endpoint", self.endpoint,
                            "--timeout", "30s"] + [str(a) for a in args])
        r = subprocess.run(["timeout", "-k", "5", str(timeout)] + argv, capture_output=True, text=True, input=input,
                           stdin=None if input is not None else subprocess.DEVNULL, env=self.env())
        if check and r.returncode != 0:
            raise AssertionError(f"crictl {' '.join(map(str, args))}: {r.returncode}\n{r.stdout}\n{r.stderr}")
        return r

    def json(self, *args):
        return json.loads(self.crictl(args[0], "-o", "json", *args[1:], check=True).stdout)


def unmount_under(base):
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split()[4] for line in f if base in line.split()[4]]
    for m in sorted(mounts, reverse=True):
        subprocess.run(["umount", "-l", m], check=False, capture_output=True)


def remove_cgroups(parent):
    """The pods' cgroups under CGROUP_PARENT, deepest first, in every hierarchy."""
    removed = []
    for top, _dirs, _files in os.walk("/sys/fs/cgroup"):
        if os.path.basename(top) == parent.strip("/"):
            for d, _, _ in sorted(os.walk(top), key=lambda w: -len(w[0])):
                try:
                    os.rmdir(d)
                except OSError:
                    pass
                removed.append(d)
    return removed


@pytest.fixture(scope="session")
def node():
    for path, what in [(os.path.join(CONTAINERD_DIR, "containerd"), "containerd " + CONTAINERD_VERSION),
                       (RUNC, "runc " + RUNC_VERSION), (CRITEST, "cri-tools " + CRI_TOOLS_VERSION)]:
        if not os.access(path, os.X_OK):
            missing(f"{what} is not built (tests/gotools.sh builds it)")
    for tool, package in [("skopeo", "skopeo"), ("gcc", "gcc"), ("iptables", "iptables")]:
        if not shutil.which(tool):
            missing(f"{tool} is not installed")
    registry_bin = os.path.join(TOP, "build", "docker-registry", "usr", "bin", "docker-registry")
    if not os.access(registry_bin, os.X_OK):
        missing("docker-registry is not unpacked under build/")
    if not os.path.exists(os.path.join(CNI_BIN, "bridge")):
        missing("the CNI plugins (containernetworking-plugins) are not installed")

    base = tempfile.mkdtemp(prefix="berth-cri-", dir="/tmp")
    os.chmod(base, 0o755)
    netns = os.path.basename(base)
    subprocess.run(["ip", "netns", "add", netns], check=True)
    n = Node(base, netns)
    registry = None
    try:
        subprocess.run(["ip", "-n", netns, "link", "set", "lo", "up"], check=True)
        for d in ("tmp", "net.d", "cdi", "opt", "nri/plugins", "nri/conf.d", "registry", "work"):
            os.makedirs(os.path.join(base, d), exist_ok=True)
        with open(os.path.join(base, "registry.yml"), "w") as f:
            f.write(f"version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {base}/registry\n"
                    f"  delete:\n    enabled: true\nhttp:\n  addr: {REGISTRY}\n")
        registry = subprocess.Popen(n.inside([registry_bin, "serve", os.path.join(base, "registry.yml")]),
                                    stdout=open(os.path.join(base, "registry.log"), "w"), stderr=subprocess.STDOUT,
                                    close_fds=True, start_new_session=True)
        for _ in range(100):
            if subprocess.run(n.inside(["busybox", "wget", "-q", "-O", "/dev/null", f"http://{REGISTRY}/v2/"]),
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        # The systemd VM runs only the scenarios (critest runs on the host): their two images, not critest's 21.
        only = {SANDBOX_IMAGE.split("/", 1)[1], BUSYBOX.split("/", 1)[1]} if SYSTEMD else None
        for repo, layout in images(os.path.join(base, "work"), only):
            tag = repo.rsplit(":", 1)[1]
            subprocess.run(n.inside(["skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false",
                                     f"oci:{layout}:latest", f"docker://{REGISTRY}/{repo}"]),
                           check=True, capture_output=True, env={"PATH": "/usr/bin:/bin", "HOME": base,
                                                                 "TMPDIR": os.path.join(base, "tmp")}, cwd=base)
            assert tag
        # Every registry the images are named after is this one: CRI's PullImage really pulls, from here.
        for host in ("registry.k8s.io", "gcr.io", "k8s.gcr.io", "docker.io"):
            os.makedirs(os.path.join(base, "certs.d", host))
            with open(os.path.join(base, "certs.d", host, "hosts.toml"), "w") as f:
                f.write(f'server = "http://{REGISTRY}"\n[host."http://{REGISTRY}"]\n'
                        f'  capabilities = ["pull", "resolve"]\n')
        with open(os.path.join(base, "net.d", "10-berth-cri.conflist"), "w") as f:
            json.dump(CNI_CONFIG, f)
        open(os.path.join(base, "crictl.yaml"), "w").close()
        with open(os.path.join(base, "config.toml"), "w") as f:
            f.write(containerd_config(base, systemd=SYSTEMD))
        n.start()
        yield n
    finally:
        if n.daemon:
            n.crictl("rm", "-af", timeout=120)
            n.crictl("rmp", "-af", timeout=120)
        n.stop()
        if registry:
            registry.terminate()
            registry.wait(10)
        # A shim outlives containerd only if its pod could not be removed: those of this node go too.
        subprocess.run(["pkill", "-KILL", "-f", f"containerd-shim-runc-v2 .*-address {base}/containerd.sock"],
                       check=False)
        unmount_under(base)
        if SYSTEMD:
            subprocess.run(["systemctl", "stop", CGROUP_PARENT + ".slice"], check=False, capture_output=True)
        else:
            remove_cgroups(CGROUP_PARENT)
        subprocess.run(["ip", "netns", "delete", netns], check=False)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def name():
    return "t" + uuid.uuid4().hex[:10]
