"""terminal: true — the pty master goes to the caller over --console-socket, as the shim and conmon expect."""
import os
import socket
import threading

from conftest import berth, state, wait_for


def receive_master(sock, box):
    conn, _ = sock.accept()
    with conn:
        msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
        box["name"], box["fd"] = msg.decode(), fds[0]


def read_all(fd):
    chunks = []
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO once the slave side is gone
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode()


def test_console_socket_gets_the_pty(bundle, root, container, tmp_path):
    path = str(tmp_path / "console.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(1)
    box = {}
    t = threading.Thread(target=receive_master, args=(sock, box))
    t.start()
    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["consoleSize"] = {"height": 25, "width": 80}
    bundle.args("sh", "-c", "tty; stty size; readlink /proc/self/fd/0; ls -l /dev/console | cut -c1").write()
    r = berth("create", "--console-socket", path, "-b", bundle.path, container, root=root)
    t.join(10)
    sock.close()
    assert r.rc == 0, r
    assert box["name"].startswith("/dev/pts/")
    assert berth("start", container, root=root).rc == 0
    text = read_all(box["fd"])
    os.close(box["fd"])
    assert text.split() == ["/dev/pts/0", "25", "80", "/dev/pts/0", "c"]
    assert wait_for(lambda: state(root, container)["status"] == "stopped")


def test_console_socket_that_does_not_exist(bundle, root, cid, tmp_path):
    bundle.config["process"]["terminal"] = True
    bundle.args("true").write()
    r = berth("create", "--console-socket", tmp_path / "nope.sock", "-b", bundle.path, cid, root=root)
    assert r.rc == 1
    assert r.err == f"berth: --console-socket: connect to `{tmp_path / 'nope.sock'}`: No such file or directory\n"
    from conftest import assert_nothing_left
    assert_nothing_left(root, cid, bundle.path)


def test_console_socket_path_longer_than_sun_path(bundle, root, container, tmp_path):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    path = str(deep / "console.sock")
    assert len(path) > 108
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    cwd = os.getcwd()
    os.chdir(deep)  # bind with a short relative name; berth gets the long absolute one
    try:
        sock.bind("console.sock")
    finally:
        os.chdir(cwd)
    sock.listen(1)
    box = {}
    t = threading.Thread(target=receive_master, args=(sock, box))
    t.start()
    bundle.config["process"]["terminal"] = True
    bundle.args("true").write()
    r = berth("create", "--console-socket", path, "-b", bundle.path, container, root=root)
    t.join(10)
    sock.close()
    assert r.rc == 0, r
    assert box["name"].startswith("/dev/pts/")
    os.close(box["fd"])
