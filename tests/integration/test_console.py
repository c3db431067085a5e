"""terminal: true — the pty master goes to the caller over --console-socket, as the shim and conmon expect."""
import os

from conftest import ConsoleSocket, berth, state, wait_for


def test_console_socket_gets_the_pty(bundle, root, container, tmp_path):
    console = ConsoleSocket(tmp_path / "console.sock")
    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["consoleSize"] = {"height": 25, "width": 80}
    bundle.args("sh", "-c", "tty; stty size; readlink /proc/self/fd/0; ls -l /dev/console | cut -c1").write()
    r = berth("create", "--console-socket", console.path, "-b", bundle.path, container, root=root)
    console.wait()
    assert r.rc == 0, r
    assert console.name.startswith("/dev/pts/")
    assert berth("start", container, root=root).rc == 0
    text = console.read_all()
    assert text.split() == ["/dev/pts/0", "25", "80", "/dev/pts/0", "c"]
    assert wait_for(lambda: state(root, container)["status"] == "stopped")


def test_console_socket_that_does_not_exist(bundle, root, cid, tmp_path):
    bundle.config["process"]["terminal"] = True
    bundle.args("true").write()
    r = berth("create", "--console-socket", tmp_path / "nope.sock", "-b", bundle.path, cid, root=root)
    assert r.rc == 1
    assert r.err == f"berth: create \"{cid}\": --console-socket: connect to `{tmp_path / 'nope.sock'}`: No such file or directory\n"
    from conftest import assert_nothing_left
    assert_nothing_left(root, cid, bundle.path)


def test_console_socket_path_longer_than_sun_path(bundle, root, container, tmp_path):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    path = str(deep / "console.sock")
    assert len(path) > 108
    cwd = os.getcwd()
    os.chdir(deep)  # bind with a short relative name; berth gets the long absolute one
    try:
        console = ConsoleSocket("console.sock")
    finally:
        os.chdir(cwd)
    bundle.config["process"]["terminal"] = True
    bundle.args("true").write()
    r = berth("create", "--console-socket", path, "-b", bundle.path, container, root=root)
    console.wait()
    assert r.rc == 0, r
    assert console.name.startswith("/dev/pts/")
    os.close(console.fd)
