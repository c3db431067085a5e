"""Idmapped mounts: a mount's uidMappings/gidMappings and the idmap/ridmap options (runtime-spec 1.2+).

Ownership is checked on both sides: what `stat` shows inside, and that the host's files never change
owner (an idmapped mount translates, it does not chown).
"""
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from conftest import assert_nothing_left, berth, run

def idmap_unsupported_reason():
    """Idmapped tmpfs came with Linux 6.3; the v2 VM boots Debian's 6.1 with /tmp on tmpfs."""
    major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    tmp_type = subprocess.run(["stat", "-f", "-c", "%T", "/tmp"], capture_output=True, text=True).stdout.strip()
    if tmp_type == "tmpfs" and (major, minor) < (6, 3):
        return f"/tmp is tmpfs, which Linux {major}.{minor} cannot idmap (6.3 and later can)"
    return None


pytestmark = pytest.mark.skipif(idmap_unsupported_reason() is not None, reason=str(idmap_unsupported_reason()))

USERNS = [{"containerID": 0, "hostID": 100000, "size": 65536}]


def mapping(container_id, host_id, size):
    return [{"containerID": container_id, "hostID": host_id, "size": size}]


@pytest.fixture
def source():
    """A host directory any uid can reach, with files of three owners: 0:0, 1:2 and 1000:1000."""
    src = pathlib.Path(tempfile.mkdtemp(prefix="berth-idmap-", dir="/tmp"))
    src.chmod(0o777)
    for name, owner in (("root", (0, 0)), ("one", (1, 2)), ("user", (1000, 1000))):
        (src / name).write_text(name)
        os.chown(src / name, *owner)
    yield src
    shutil.rmtree(src)


def owners(out):
    return dict(line.split()[::-1] for line in out.splitlines())


def in_user_namespace(bundle):
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = USERNS
    bundle.config["linux"]["gidMappings"] = USERNS


STAT = "stat -c '%u:%g %n' /work/root /work/one /work/user"


def test_mount_mappings_translate_owners_in_a_user_namespace(public_bundle, root, cid, source):
    in_user_namespace(public_bundle)
    public_bundle.config["mounts"].append({"destination": "/work", "type": "bind", "source": str(source),
                                           "options": ["rbind", "idmap"], "uidMappings": USERNS,
                                           "gidMappings": USERNS})
    r = run(public_bundle, root, cid, "sh", "-c", STAT + "; touch /work/made-inside")
    assert r.rc == 0, r
    # Host 0 is shown as the container's root: the mount maps it up to 100000, the user namespace back to 0.
    assert owners(r.out) == {"/work/root": "0:0", "/work/one": "1:2", "/work/user": "1000:1000"}
    st = os.stat(source / "made-inside")
    assert (st.st_uid, st.st_gid) == (0, 0), "a file the container's root makes belongs to the host's 0 on disk"
    assert os.stat(source / "one").st_uid == 1
    berth("delete", "-f", cid, root=root)
    assert_nothing_left(root, cid)


def test_without_a_mount_mapping_the_containers_own_is_used(public_bundle, root, cid, source):
    in_user_namespace(public_bundle)
    public_bundle.config["mounts"].append({"destination": "/work", "type": "bind", "source": str(source),
                                           "options": ["bind", "idmap"]})
    r = run(public_bundle, root, cid, "sh", "-c", STAT)
    assert r.rc == 0, r
    assert owners(r.out)["/work/root"] == "0:0"
    berth("delete", "-f", cid, root=root)


def test_plain_bind_in_a_user_namespace_shows_unmapped_owners(public_bundle, root, cid, source):
    # The control: the same mount without idmap shows host root as the overflow id.
    in_user_namespace(public_bundle)
    public_bundle.config["mounts"].append({"destination": "/work", "type": "bind", "source": str(source),
                                           "options": ["bind"]})
    r = run(public_bundle, root, cid, "sh", "-c", STAT)
    assert r.rc == 0, r
    assert owners(r.out)["/work/root"] == "65534:65534"
    berth("delete", "-f", cid, root=root)


def test_mount_mapping_without_a_user_namespace(bundle, root, container, source):
    # Files of host uid 0..1 are shown shifted by 5000, gids by 7000; everything else is unmapped.
    bundle.config["mounts"].append({"destination": "/work", "type": "bind", "source": str(source),
                                    "options": ["bind", "idmap"], "uidMappings": mapping(0, 5000, 2),
                                    "gidMappings": mapping(0, 7000, 3)})
    r = run(bundle, root, container, "sh", "-c", STAT)
    assert r.rc == 0, r
    assert owners(r.out) == {"/work/root": "5000:7000", "/work/one": "5001:7002", "/work/user": "65534:65534"}


@pytest.fixture
def source_with_submount(source):
    sub = source / "sub"
    sub.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=777", "berth-idmap-test", str(sub)], check=True)
    (sub / "file").write_text("x")
    yield source
    subprocess.run(["umount", str(sub)], check=True)


@pytest.mark.parametrize("option,expected", [("idmap", "65534:65534"), ("ridmap", "0:0")])
def test_ridmap_reaches_submounts_and_idmap_does_not(public_bundle, root, cid, source_with_submount, option,
                                                      expected):
    in_user_namespace(public_bundle)
    public_bundle.config["mounts"].append({"destination": "/work", "type": "bind",
                                           "source": str(source_with_submount), "options": ["rbind", option],
                                           "uidMappings": USERNS, "gidMappings": USERNS})
    r = run(public_bundle, root, cid, "sh", "-c", "stat -c '%u:%g' /work/root /work/sub/file")
    assert r.rc == 0, r
    assert r.out.split() == ["0:0", expected]
    berth("delete", "-f", cid, root=root)
    assert_nothing_left(root, cid)


def test_read_only_idmapped_mount(public_bundle, root, cid, source):
    in_user_namespace(public_bundle)
    public_bundle.config["mounts"].append({"destination": "/work", "type": "bind", "source": str(source),
                                           "options": ["bind", "ro", "idmap"]})
    r = run(public_bundle, root, cid, "sh", "-c", "touch /work/x")
    assert r.rc != 0 and "Read-only file system" in r.err, r
    assert not (source / "x").exists()
    berth("delete", "-f", cid, root=root)


@pytest.mark.parametrize("mount,message", [
    ({"destination": "/work", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"],
      "uidMappings": USERNS, "gidMappings": USERNS},
     'mount "tmpfs" on "/work": only bind mounts can be idmapped'),
    ({"destination": "/work", "type": "bind", "source": "SRC", "options": ["bind", "idmap"], "uidMappings": USERNS},
     'mount "SRC" on "/work": uidMappings without gidMappings'),
    ({"destination": "/work", "type": "bind", "source": "SRC", "options": ["bind", "ridmap"]},
     'mount "SRC" on "/work": idmap without uidMappings/gidMappings needs the container\'s linux.uidMappings '
     'and gidMappings'),
    ({"destination": "/work", "type": "bind", "source": "SRC", "options": ["bind", "idmap"],
      "uidMappings": mapping(0, 1, 1) * 6, "gidMappings": mapping(0, 1, 1)},
     "mounts[N].uidMappings: write /proc/"),
    ({"destination": "/work", "type": "bind", "source": "/sys/kernel", "options": ["bind", "idmap"],
      "uidMappings": USERNS, "gidMappings": USERNS},
     'mount "/sys/kernel" on "/work": idmap (does its filesystem support idmapped mounts?): Invalid argument'),
])
def test_bad_idmapped_mounts_are_refused_and_leave_nothing(bundle, root, cid, source, mount, message):
    mount = dict(mount)
    if mount.get("source") == "SRC":
        mount["source"] = str(source)
    message = message.replace("SRC", str(source))
    bundle.config["mounts"].append(mount)
    message = message.replace("mounts[N]", f"mounts[{len(bundle.config['mounts']) - 1}]")
    r = run(bundle, root, cid, "true")
    assert r.rc == 1, r
    assert len(r.err.splitlines()) == 1 and message in r.err, r
    assert_nothing_left(root, cid, bundle.path)
