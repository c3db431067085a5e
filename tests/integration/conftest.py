"""Shared fixtures for berth's integration tests: the binary, private roots, helpers."""
import os
import subprocess
import sys
import tempfile
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

BERTH = os.environ.get("BERTH") or os.path.join(os.path.dirname(__file__), "..", "..", "build", "berth")
GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
# A process that grows to ~64 MB: under a smaller memory limit the kernel OOM-kills it.
MEMORY_HOG = ("sh", "-c", "x=$(head -c 64000000 /dev/zero | tr '\\0' a); echo ${#x}")


class Result:
    def __init__(self, rc, out, err):
        self.rc = rc
        self.out = out
        self.err = err

    def __repr__(self):
        return f"rc={self.rc} out={self.out!r} err={self.err!r}"


def berth(*args, root=None, input=None, cwd=None, env=None, timeout=30, stdin=None):
    """Run berth with args; `root` is passed as --root before the subcommand.

    Output goes through files, not pipes: a created container keeps berth's stdio
    (as with runc), so waiting for EOF would wait for the container to exit.
    """
    argv = [BERTH]
    if root is not None:
        argv += ["--root", str(root)]
    argv += [str(a) for a in args]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        stdin_arg = subprocess.PIPE if input is not None else (stdin if stdin is not None else subprocess.DEVNULL)
        proc = subprocess.Popen(argv, stdin=stdin_arg, stdout=out, stderr=err, cwd=cwd, env=env, text=True)
        if input is not None:
            try:
                proc.stdin.write(input)
            except BrokenPipeError:
                pass
            proc.stdin.close()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        out.seek(0)
        err.seek(0)
        return Result(proc.returncode, out.read(), err.read())


@pytest.fixture
def root(tmp_path):
    """A private state root, so tests never share containers."""
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def cid():
    """A unique container id."""
    return "t-" + uuid.uuid4().hex[:12]


def golden(name, actual):
    """Compare with tests/integration/golden/<name>; BERTH_UPDATE_GOLDEN=1 rewrites it."""
    path = os.path.join(GOLDEN, name)
    if os.environ.get("BERTH_UPDATE_GOLDEN") == "1":
        with open(path, "w") as f:
            f.write(actual)
    with open(path) as f:
        expected = f.read()
    assert actual == expected, f"{name} differs from its golden file"


# ---- containers -----------------------------------------------------------------------------

import json
import shutil
import time

BUSYBOX = shutil.which("busybox") or "/bin/busybox"


@pytest.fixture(scope="session")
def rootfs(tmp_path_factory):
    """A busybox-static rootfs shared by the tests (mounted read-only into containers)."""
    path = tmp_path_factory.mktemp("rootfs")
    path.chmod(0o755)  # an image's root is world-readable; mktemp's is not
    for d in ("bin", "dev", "proc", "sys", "tmp", "etc", "root", "work"):
        (path / d).mkdir()
    shutil.copy(BUSYBOX, path / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout.split()
    for applet in applets:
        if applet != "busybox":
            os.symlink("busybox", path / "bin" / applet)
    (path / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n")
    (path / "etc" / "group").write_text("root:x:0:\ntty:x:5:\nnogroup:x:65534:\n")
    return path


def default_config():
    """berth's own default spec, made non-interactive."""
    with open(os.path.join(GOLDEN, "spec.json")) as f:
        config = json.load(f)
    config["process"]["terminal"] = False
    return config


class Bundle:
    def __init__(self, path, rootfs_path):
        self.path = path
        self.config = default_config()
        self.config["root"]["path"] = str(rootfs_path)

    def write(self):
        with open(self.path / "config.json", "w") as f:
            json.dump(self.config, f)
        return self.path

    def add_capabilities(self, *caps):
        """Give the container's process caps (bounding, effective and permitted)."""
        for s in ("bounding", "effective", "permitted"):
            self.config["process"]["capabilities"][s] += list(caps)
        return self

    def args(self, *argv):
        self.config["process"]["args"] = list(argv)
        return self


@pytest.fixture
def bundle(tmp_path, rootfs):
    path = tmp_path / "bundle"
    path.mkdir()
    return Bundle(path, rootfs)


@pytest.fixture
def public_bundle(rootfs):
    """A bundle whose rootfs every uid can reach: a remapped root (user namespace) is not the host's root."""
    base = tempfile.mkdtemp(prefix="berth-test-", dir="/tmp")
    os.chmod(base, 0o755)
    public_rootfs = os.path.join(base, "rootfs")
    shutil.copytree(rootfs, public_rootfs, symlinks=True)
    bundle_dir = os.path.join(base, "bundle")
    os.mkdir(bundle_dir)
    yield Bundle(type(rootfs)(bundle_dir), public_rootfs)
    shutil.rmtree(base)


def cgroup_dirs_named(name):
    """cgroup directories whose name contains `name` (berth's default is berth-<id>)."""
    found = []
    for base, dirs, _ in os.walk("/sys/fs/cgroup"):
        found += [os.path.join(base, d) for d in dirs if name in d]
        if base.count("/") > 8:
            dirs[:] = []
    return found


def processes_with(text):
    """Pids whose command line contains text (a container id, a marker argument)."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if text.encode() in f.read():
                        found.append(int(pid))
            except OSError:
                pass
    return found


def assert_nothing_left(root, cid, bundle_path=None):
    """No state, cgroup, mount or process of the container may outlive it."""
    assert not (root / cid).exists(), f"state directory of {cid} left behind"
    assert cgroup_dirs_named(cid) == [], f"cgroups of {cid} left behind"
    with open("/proc/self/mountinfo") as f:
        mounts = f.read()
    assert cid not in mounts
    if bundle_path is not None:
        assert str(bundle_path) not in mounts, "a mount of the bundle leaked into the host"


@pytest.fixture
def container(root, cid, bundle):
    """A container id in a private root; afterwards it is force-deleted and checked for leaks."""
    yield cid
    berth("delete", "--force", cid, root=root)
    assert_nothing_left(root, cid, bundle.path)


def run(bundle, root, cid, *argv, timeout=30, **kw):
    """`berth run` of argv in the bundle; returns Result."""
    if argv:
        bundle.args(*argv)
    bundle.write()
    return berth("run", "--bundle", bundle.path, cid, root=root, timeout=timeout, **kw)


def state(root, cid):
    r = berth("state", cid, root=root)
    assert r.rc == 0, r
    return json.loads(r.out)


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


class ConsoleSocket:
    """A unix socket that receives one pty master over SCM_RIGHTS, as the shim's and conmon's do."""

    def __init__(self, path):
        import socket
        import threading
        self.path = str(path)
        self.name = self.fd = None
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        import socket
        conn, _ = self.sock.accept()
        with conn:
            msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
            self.name, self.fd = msg.decode(), fds[0]

    def wait(self, timeout=10):
        self.thread.join(timeout)
        self.sock.close()
        return self.fd

    def read_all(self):
        """Everything the container writes to its terminal, until it closes."""
        chunks = []
        while True:
            try:
                data = os.read(self.fd, 4096)
            except OSError:  # EIO once the slave side is gone
                break
            if not data:
                break
            chunks.append(data)
        os.close(self.fd)
        return b"".join(chunks).decode()
