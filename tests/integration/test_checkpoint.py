"""checkpoint / restore with criu: a counting container is dumped, restored, and counts on.

criu 3.17 (Debian's; tests/deps.sh installs it) cannot run on this machine's 6.18 kernel (`criu check`
fails on the vDSO); tests/vm runs these on Debian's 6.1 kernel, where it works."""
import os
import select
import shutil
import socket
import subprocess
import time

import pytest

from conftest import BERTH, assert_nothing_left, berth, state, wait_for
from needs import tools


def criu_cannot_run():
    """Why `criu check` fails on this kernel (its last error line), or None."""
    if not shutil.which("criu"):
        return None
    r = subprocess.run(["criu", "check"], capture_output=True, text=True)
    if r.returncode == 0:
        return None
    lines = [line for line in (r.stderr + r.stdout).splitlines() if "Error" in line] or ["exit status %d" % r.returncode]
    return f"criu check fails on Linux {os.uname().release} ({lines[0].strip()}); tests/vm runs these on 6.1"


CRIU_CANNOT_RUN = criu_cannot_run()


def needs_criu(fn):
    return pytest.mark.skipif(CRIU_CANNOT_RUN is not None, reason=str(CRIU_CANNOT_RUN))(tools("criu")(fn))

COUNTER = "i=0; while :; do i=$((i+1)); echo $i > /out/count; sleep 0.05; done"


def count(out):
    try:
        return int((out / "count").read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def without_network_namespace(bundle):
    # criu 3.17 fails to dump a network namespace's links on the VM's 6.1 kernel (netlink EINVAL).
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "network"]


@pytest.fixture
def counting(bundle, root, container, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    bundle.config["mounts"].append({"destination": "/out", "type": "bind", "source": str(out), "options": ["rbind"]})
    without_network_namespace(bundle)
    bundle.args("sh", "-c", COUNTER).write()
    # stdio on pipes, as containerd and conmon give: criu dumps those, and restore hands it the new caller's.
    p = subprocess.Popen([BERTH, "--root", str(root), "run", "-d", "-b", str(bundle.path), container],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert p.wait(timeout=30) == 0
    assert wait_for(lambda: count(out) >= 5)
    yield out
    p.stdin.close()
    p.stdout.close()


@needs_criu
def test_checkpoint_then_restore_continues_counting(bundle, root, container, counting, tmp_path):
    images = tmp_path / "images"
    r = berth("checkpoint", "--image-path", images, container, root=root, timeout=120)
    assert r.rc == 0, r
    # The container is gone, and its counter stopped.
    assert berth("state", container, root=root).rc == 1
    stopped_at = count(counting)
    time.sleep(0.3)
    assert count(counting) == stopped_at
    assert (images / "descriptors.json").exists() and (images / "dump.log").exists()

    pid_file = tmp_path / "restored.pid"
    r = berth("restore", "-d", "--pid-file", pid_file, "--image-path", images, "-b", bundle.path, container,
              root=root, timeout=120)
    assert r.rc == 0, r
    s = state(root, container)
    assert s["status"] == "running"
    # The pid file names the restored init, as containerd's shim reads it.
    assert int(pid_file.read_text()) == s["pid"]
    # It goes on from where it was, not from 1.
    assert wait_for(lambda: count(counting) > stopped_at + 3, timeout=30)
    assert berth("delete", "-f", container, root=root).rc == 0
    assert_nothing_left(root, container)


@needs_criu
def test_leave_running_and_pre_dump(bundle, root, container, counting, tmp_path):
    r = berth("checkpoint", "--pre-dump", "--image-path", tmp_path / "pre", container, root=root, timeout=120)
    assert r.rc == 0, r
    r = berth("checkpoint", "--leave-running", "--parent-path", "../pre", "--image-path", tmp_path / "full", container,
              root=root, timeout=120)
    assert r.rc == 0, r
    assert state(root, container)["status"] == "running"
    before = count(counting)
    assert wait_for(lambda: count(counting) > before + 3)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs_criu
def test_lazy_pages_restore(bundle, root, container, counting, tmp_path):
    """runc's lazy migration: checkpoint --lazy-pages dumps all but the memory and serves the pages on
    --page-server, saying so on --status-fd; criu's lazy-pages daemon fetches them as the container, restored
    with --lazy-pages under a new id (the original stays, frozen, until its last page is gone), faults them in."""
    restored = container + "-lazy"
    images = tmp_path / "images"
    port = free_port()
    ready_r, ready_w = os.pipe()
    dump = subprocess.Popen([BERTH, "--root", str(root), "checkpoint", "--lazy-pages", "--page-server",
                             f"127.0.0.1:{port}", "--status-fd", str(ready_w), "--manage-cgroups-mode", "ignore",
                             "--image-path", str(images), container],
                            pass_fds=(ready_w,), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    os.close(ready_w)
    lazy = None
    try:
        readable, _, _ = select.select([ready_r], [], [], 120)
        assert readable, "criu did not say the page server was ready within 120 s"
        assert os.read(ready_r, 1) == b"\0", (dump.communicate(timeout=30)[0],
                                               (images / "dump.log").read_text()[-3000:])
        assert (images / "inventory.img").exists()
        assert dump.poll() is None, "the dump serves the pages until the restore has them"
        stopped_at = count(counting)
        lazy = subprocess.Popen(["criu", "lazy-pages", "--page-server", "--address", "127.0.0.1", "--port", str(port),
                                 "-D", str(images), "-o", "lazy-pages.log", "-v4"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # The restore connects to the daemon's socket in the work (here the images) directory: it must be there.
        assert wait_for(lambda: (images / "lazy-pages.socket").exists() or lazy.poll() is not None, timeout=60)
        assert lazy.poll() is None, (images / "lazy-pages.log").read_text()[-3000:]
        r = berth("restore", "-d", "--lazy-pages", "--manage-cgroups-mode", "ignore", "--image-path", images,
                  "-b", bundle.path, restored, root=root, timeout=120)
        assert r.rc == 0, r
        out, _ = dump.communicate(timeout=120)
        assert dump.returncode == 0, out
        assert lazy.wait(timeout=120) == 0, (images / "lazy-pages.log").read_text()[-3000:]
        assert state(root, restored)["status"] == "running"
        # The original is gone once its pages are; the restored one counts on from where it was.
        assert berth("state", container, root=root).rc == 1
        assert wait_for(lambda: count(counting) > stopped_at + 3, timeout=30)
        assert "lazy" in (images / "restore.log").read_text()
    finally:
        os.close(ready_r)
        for p in (dump, lazy):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        berth("delete", "-f", restored, root=root)
        berth("delete", "-f", container, root=root)
    assert_nothing_left(root, restored)
    assert_nothing_left(root, container)


@needs_criu
def test_criu_failure_names_the_cause_and_keeps_the_log(bundle, root, container, counting, tmp_path):
    # A page server nobody listens on: criu cannot send the pages.
    r = berth("checkpoint", "--page-server", "127.0.0.1:1", "--image-path", tmp_path / "img", container, root=root,
              timeout=120)
    assert r.rc == 1, r
    assert "criu failed (exit status" in r.err and "its log is kept at" in r.err, r
    log = r.err.rsplit("its log is kept at ", 1)[1].strip()
    assert os.path.exists(log), log
    assert state(root, container)["status"] == "running", "a failed checkpoint leaves the container alone"


@needs_criu
def test_restore_without_images_fails_cleanly(bundle, root, container, tmp_path):
    bundle.args("true").write()
    r = berth("restore", "-d", "--image-path", tmp_path / "none", "-b", bundle.path, container, root=root, timeout=60)
    assert r.rc == 1 and "restore" in r.err and "criu failed" in r.err, r
    assert_nothing_left(root, container)


@needs_criu
def test_checkpoint_of_a_created_container_is_refused(bundle, root, container):
    bundle.args("true").write()
    assert berth("create", "-b", bundle.path, container, root=root).rc == 0
    r = berth("checkpoint", container, root=root)
    assert r.rc == 1 and "is created; only a running one can be checkpointed" in r.err, r


def test_checkpoint_of_an_unknown_container(root):
    r = berth("checkpoint", "nosuch", root=root)
    assert r.rc == 1 and r.err == 'berth: container "nosuch" does not exist\n', r


def test_bad_manage_cgroups_mode_is_named(root, container):
    r = berth("checkpoint", "--manage-cgroups-mode", "sometimes", container, root=root)
    assert r.rc == 1 and r.err == (f'berth: checkpoint "{container}": --manage-cgroups-mode: expected soft, full, strict or ignore, '
                                   'got "sometimes"\n'), r


def images_with(tmp_path, bundle, **files):
    """An image directory holding just these files (name -> text), for restore's error paths."""
    images = tmp_path / "images"
    images.mkdir()
    for name, text in files.items():
        (images / name.replace("_", ".")).write_text(text)
    bundle.args("true").write()
    return images


def test_console_socket_for_a_checkpoint_without_a_terminal_is_refused(bundle, root, container, tmp_path):
    images = images_with(tmp_path, bundle)
    r = berth("restore", "--console-socket", tmp_path / "sock", "--image-path", images, "-b", bundle.path, container,
              root=root)
    assert r.rc == 1 and r.err == (f'berth: restore "{container}": --console-socket: the checkpoint has no terminal '
                                   f'(no {images}/tty.info)\n'), r
    assert_nothing_left(root, container)


def test_a_terminal_checkpoint_needs_a_console_socket(bundle, root, container, tmp_path):
    images = images_with(tmp_path, bundle, tty_info="tty[8800:d]")
    r = berth("restore", "--image-path", images, "-b", bundle.path, container, root=root)
    assert r.rc == 1 and "the checkpoint has a terminal (" in r.err and "restore it with --console-socket" in r.err, r
    assert_nothing_left(root, container)


def test_a_broken_tty_info_is_named(bundle, root, container, tmp_path):
    images = images_with(tmp_path, bundle, tty_info="pts/0")
    r = berth("restore", "--console-socket", tmp_path / "sock", "--image-path", images, "-b", bundle.path, container,
              root=root)
    assert r.rc == 1 and r.err == (f'berth: restore "{container}": {images}/tty.info: expected tty[RDEV:DEV], '
                                   'got "pts/0"\n'), r
    assert_nothing_left(root, container)


class Drain:
    """Everything a pty master gives, read in the background (a full pty would stop the writer)."""

    def __init__(self, fd):
        import threading
        self.fd, self.data = fd, b""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            self.data += chunk

    def ticks(self):
        return [int(w) for w in self.data.decode(errors="replace").split() if w.isdigit()]


@needs_criu
def test_terminal_container_is_restored_onto_a_new_pty(bundle, root, container, tmp_path):
    from conftest import ConsoleSocket
    out = tmp_path / "out"
    out.mkdir()
    bundle.config["mounts"].append({"destination": "/out", "type": "bind", "source": str(out), "options": ["rbind"]})
    without_network_namespace(bundle)
    bundle.config["process"]["terminal"] = True
    bundle.args("sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /out/count; echo $i; sleep 0.05; done").write()
    first = ConsoleSocket(tmp_path / "first.sock")
    r = berth("run", "-d", "--console-socket", first.path, "-b", bundle.path, container, root=root)
    assert r.rc == 0, r
    before = Drain(first.wait())
    assert wait_for(lambda: len(before.ticks()) >= 5)

    images = tmp_path / "images"
    r = berth("checkpoint", "--image-path", images, container, root=root, timeout=120)
    assert r.rc == 0, r
    assert (images / "tty.info").read_text().startswith("tty[")
    stopped_at = count(out)

    second = ConsoleSocket(tmp_path / "second.sock")
    r = berth("restore", "-d", "--console-socket", second.path, "--image-path", images, "-b", bundle.path, container,
              root=root, timeout=120)
    assert r.rc == 0, r
    after = Drain(second.wait())
    # The restored shell writes to the new terminal, counting on from where it was dumped.
    assert wait_for(lambda: len(after.ticks()) >= 3, timeout=30), after.data
    assert min(after.ticks()) > stopped_at - 2 and max(after.ticks()) > stopped_at
    assert berth("delete", "-f", container, root=root).rc == 0
    assert_nothing_left(root, container)


def test_restore_refuses_a_broken_descriptors_file_and_leaves_nothing(bundle, root, container, tmp_path):
    images = images_with(tmp_path, bundle, descriptors_json='{"not": "an array"}')
    r = berth("restore", "-d", "--image-path", images, "-b", bundle.path, container, root=root)
    assert r.rc == 1 and r.err == (f'berth: restore "{container}": {images}/descriptors.json: '
                                   'not a JSON array of three strings\n'), r
    assert_nothing_left(root, container, bundle.path)
