"""Bind mounts of a container with a user namespace (namespaces/mount_sources.c).

berth opens the sources, as runc does, in the init's mount namespace and as the caller: the container's root
need not reach them. What it opens there is the init's copy of the host's mounts, which the kernel locked when
the namespace was made, so a mount the host made read-only (or nosuid, nodev, ...) stays so in the container,
whatever the container does with CAP_SYS_ADMIN in its user namespace; an idmapped bind is made from that copy too.
"""
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from conftest import berth, run
from test_idmap import idmap_unsupported_reason, in_user_namespace


@pytest.fixture
def private_dir():
    """A directory only the host's root may enter (0700), holding vol/file: the container's root is uid 100000."""
    top = pathlib.Path(tempfile.mkdtemp(prefix="berth-private-", dir="/tmp"))
    top.chmod(0o700)
    (top / "vol").mkdir(mode=0o755)
    (top / "vol" / "file").write_text("reached\n")
    (top / "vol" / "file").chmod(0o644)
    yield top
    shutil.rmtree(top)


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative-to-a-private-bundle"])
def test_bind_source_the_user_namespace_cannot_reach(public_bundle, root, cid, private_dir, relative):
    """runc opens bind sources as the caller; an init that opened them as its own root got EACCES here."""
    in_user_namespace(public_bundle)
    source = str(private_dir / "vol")
    if relative:
        # The bundle itself is private: the source is relative to it.
        shutil.move(str(private_dir / "vol"), str(public_bundle.path / "vol"))
        public_bundle.path.chmod(0o700)
        source = "vol"
    public_bundle.config["mounts"].append({"destination": "/work", "type": "bind", "source": source,
                                           "options": ["rbind", "ro"]})
    r = run(public_bundle, root, cid, "cat", "/work/file")
    berth("delete", "-f", cid, root=root)
    assert r.rc == 0 and r.out == "reached\n", r


@pytest.fixture
def host_read_only(tmp_path):
    """A directory anyone may write, bind-mounted read-only over itself on the host (nosuid too)."""
    top = pathlib.Path(tempfile.mkdtemp(prefix="berth-ro-", dir="/tmp"))
    top.chmod(0o755)
    d = top / "ro"
    d.mkdir()
    d.chmod(0o777)
    subprocess.run(["mount", "--bind", str(d), str(d)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro,nosuid", str(d)], check=True)
        yield d
    finally:
        subprocess.run(["umount", str(d)], check=True)
        shutil.rmtree(top)


def idmap_skip():
    reason = idmap_unsupported_reason()
    return pytest.mark.skipif(reason is not None, reason=str(reason))


@pytest.mark.parametrize("options", [["bind"], ["rbind"], pytest.param(["bind", "idmap"], marks=idmap_skip())],
                         ids=["bind", "rbind", "idmap"])
def test_a_host_read_only_mount_stays_read_only(public_bundle, root, cid, host_read_only, options):
    """Guards namespaces/mount_sources.c (sources and idmapped trees made in the init's mount namespace, from its
    locked copy of the host's mounts). The attack: the container's root, with CAP_SYS_ADMIN in its user namespace,
    remounts the bind read-write and writes. A tree berth cloned in its own mount namespace carries no lock (seen:
    the idmapped bind became writable and the host's read-only directory got the file)."""
    in_user_namespace(public_bundle)
    public_bundle.add_capabilities("CAP_SYS_ADMIN")
    public_bundle.config["mounts"].append({"destination": "/work", "type": "bind", "source": str(host_read_only),
                                           "options": options})
    script = ("mount -o remount,bind,rw /work; mount -o remount,bind,rw,suid /work; "
              "echo x > /work/written; grep ' /work ' /proc/self/mounts")
    r = run(public_bundle, root, cid, "sh", "-c", script)
    berth("delete", "-f", cid, root=root)
    assert r.rc == 0, r
    assert not (host_read_only / "written").exists(), r
    opts = r.out.split()[3].split(",")
    assert "ro" in opts and "nosuid" in opts, r


def test_a_missing_source_is_named_and_leaves_nothing(public_bundle, root, cid, tmp_path):
    # The error of the open berth makes in the init's mount namespace: named as the init's own open was.
    from conftest import assert_nothing_left
    in_user_namespace(public_bundle)
    missing = tmp_path / "no-such-dir"
    public_bundle.config["mounts"].append({"destination": "/work", "type": "bind", "source": str(missing),
                                           "options": ["rbind"]})
    r = run(public_bundle, root, cid, "true")
    assert r.rc == 1, r
    assert r.err == f'berth: run "{cid}": mount "{missing}" on "/work": source: No such file or directory\n', r
    assert_nothing_left(root, cid, public_bundle.path)
