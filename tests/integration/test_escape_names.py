"""Name-based operations on paths a container can change (issue class 4).

After berth creates or opens anything inside the rootfs or a volume it works on the fd, never on the name.
"""
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from conftest import BERTH, berth, run, state

RACER = textwrap.dedent("""
    import os, random, sys, time
    name, target = sys.argv[1], sys.argv[2]
    tmp = name + ".swap"
    # Bursts of swapping with quiet gaps between them: a burst that meets berth's window attacks it, a gap lets a
    # run through (so the test sees berth reach the chmod even when berth is slow, as under ASan).
    while True:
        end = time.monotonic() + random.uniform(0.001, 0.006)
        while time.monotonic() < end:
            try:
                os.symlink(target, tmp)
                os.rename(tmp, name)
            except OSError:
                pass
        time.sleep(random.uniform(0.001, 0.006))
""")


def test_device_node_swapped_for_a_symlink_in_a_shared_volume(tmp_path, bundle, root, cid):
    """Guards namespaces/devices.c node_open_checked + node_set_mode_owner: the node's mode and owner are set
    through an O_PATH fd checked for type and rdev. The attack: a second container writing a shared volume swaps
    the node berth just made for a symlink to a host file; a berth that chmods and chowns by name (fchmodat
    follows links) makes that host file 0666 and hands it to the container's user."""
    volume = tmp_path / "volume"
    volume.mkdir()
    host_file = tmp_path / "host-secret"
    host_file.write_text("secret")
    os.chmod(host_file, 0o600)
    bundle.config["mounts"].append({"destination": "/vol", "type": "bind", "source": str(volume),
                                    "options": ["rbind", "rw"]})
    bundle.config["linux"]["devices"] = [{"path": "/vol/node", "type": "c", "major": 1, "minor": 3,
                                          "fileMode": 0o666, "uid": 4321, "gid": 4321}]
    bundle.args("true").write()
    racer = subprocess.Popen([sys.executable, "-c", RACER, str(volume / "node"), str(host_file)])
    try:
        made = 0
        for i in range(150):
            r = berth("run", "-b", bundle.path, f"{cid}-{i}", root=root)
            made += r.rc == 0
            berth("delete", "-f", f"{cid}-{i}", root=root)
            st = os.stat(host_file)
            assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0, f"host file changed on try {i}"
    finally:
        racer.kill()
        racer.wait()
    assert made > 0, "every run failed: the race never let berth reach the chmod"


def test_device_in_a_user_namespace_never_opens_what_the_image_has(tmp_path, public_bundle, root, cid):
    """Guards the O_EXCL create in namespaces/devices.c (bind_from_host branch): a FIFO the image left where
    /dev/null goes would hang an init that opened it for writing."""
    rootfs = public_bundle.config["root"]["path"]
    dev = os.path.join(rootfs, "dev")
    os.mkfifo(os.path.join(dev, "null"))
    # The image's /dev belongs to the container's root (host uid 100000), as an unpacked image's would.
    os.chown(dev, 100000, 100000)
    os.chown(os.path.join(dev, "null"), 100000, 100000)
    try:
        public_bundle.config["linux"]["namespaces"].append({"type": "user"})
        public_bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        public_bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        public_bundle.config["root"]["readonly"] = False
        # /dev from the image itself, not a tmpfs over it: the FIFO is what berth finds there.
        public_bundle.config["mounts"] = [m for m in public_bundle.config["mounts"]
                                          if not m["destination"].startswith("/dev")]
        public_bundle.args("sh", "-c", "echo hi > /dev/null && echo ok").write()
        try:
            r = berth("run", "-b", public_bundle.path, cid, root=root, timeout=20)
        except subprocess.TimeoutExpired:
            pytest.fail("the init hung opening the image's FIFO")
        assert r.rc == 0 and r.out.strip() == "ok", r
    finally:
        berth("delete", "-f", cid, root=root)
        os.unlink(os.path.join(dev, "null"))


@pytest.mark.parametrize("command", ["create", "exec"])
def test_pid_file_never_writes_through_a_planted_name(tmp_path, bundle, root, cid, command):
    """Guards util/proc.c pid_file_write (an unpredictable O_EXCL temporary): the pid file's directory may be
    writable by others (a volume); a hard link planted at the old predictable `<path>.berth-tmp` to a host file
    had that file truncated and overwritten with the pid."""
    host_file = tmp_path / "host-file"
    host_file.write_text("precious")
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    pid_file = pid_dir / "pid"
    os.link(host_file, str(pid_file) + ".berth-tmp")
    bundle.args("sleep", "30").write()
    try:
        if command == "create":
            r = berth("create", "--pid-file", pid_file, "-b", bundle.path, cid, root=root)
        else:
            assert berth("run", "-d", "-b", bundle.path, cid, root=root).rc == 0
            r = berth("exec", "-d", "--pid-file", pid_file, cid, "sleep", "5", root=root)
        assert r.rc == 0, r
        assert pid_file.read_text().strip().isdigit()
        assert host_file.read_text() == "precious"
        assert sorted(os.listdir(pid_dir)) == ["pid", "pid.berth-tmp"], "a temporary file was left behind"
    finally:
        berth("delete", "-f", cid, root=root)


@pytest.mark.parametrize("planted", ["a-file", "a-node-5-2"])
def test_exec_tty_takes_only_a_devpts_ptmx(bundle, root, container, tmp_path, planted):
    """Guards runtime/console.c open_pty: in a live container /dev/ptmx is the container's to change; exec -t
    takes only the ptmx of a devpts (its slave through TIOCGPTPEER, never by name), else one clear error. A
    node 5:2 the container made on its /dev tmpfs is the host's ptmx (the initial devpts): refused by the
    filesystem check alone, which the plain file does not reach."""
    from conftest import ConsoleSocket
    bundle.add_capabilities("CAP_MKNOD")
    bundle.args("sleep", "30").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    plant = "echo fake > /dev/ptmx" if planted == "a-file" else "mknod /dev/ptmx c 5 2"
    assert berth("exec", container, "sh", "-c", f"rm /dev/ptmx && {plant}", root=root).rc == 0
    sock = ConsoleSocket(tmp_path / "console.sock")
    r = berth("exec", "-t", "-d", "--console-socket", sock.path, container, "true", root=root)
    assert r.rc != 0
    assert r.err.endswith("terminal: /dev/ptmx is not the ptmx of a devpts filesystem\n"), r
