"""Mount options do what they say inside a container, each beside the option that undoes it.

features' mountOptions is checked for acceptance in test_features.py; here the effect is observed: a symlink
refused, a device node refused, a program refused, an access time kept, a host mount that propagates or not.
"""
import subprocess
import time

import pytest

from conftest import berth, run, state


def tmpfs_with(bundle, options):
    bundle.config["mounts"].append({"destination": "/m", "type": "tmpfs", "source": "tmpfs",
                                    "options": ["size=4m"] + options})


@pytest.mark.parametrize("option,followed", [("nosymfollow", False), ("symfollow", True)])
def test_nosymfollow(bundle, root, container, option, followed):
    tmpfs_with(bundle, [option])
    r = run(bundle, root, container, "sh", "-c", "echo target > /m/file; ln -s /m/file /m/link; cat /m/link")
    assert (r.rc == 0 and r.out == "target\n") if followed else (r.rc != 0 and "/m/link" in r.err), r


@pytest.mark.parametrize("option,opens", [("nodev", False), ("dev", True)])
def test_nodev(bundle, root, container, option, opens):
    tmpfs_with(bundle, [option])
    bundle.add_capabilities("CAP_MKNOD")
    r = run(bundle, root, container, "sh", "-c", "mknod /m/null c 1 3 && echo x > /m/null && echo opened")
    assert (r.rc == 0 and r.out == "opened\n") if opens else (r.rc != 0 and "Permission denied" in r.err), r


@pytest.mark.parametrize("option,runs", [("noexec", False), ("exec", True)])
def test_noexec(bundle, root, container, option, runs):
    tmpfs_with(bundle, [option])
    r = run(bundle, root, container, "sh", "-c", "cp /bin/busybox /m/echo && /m/echo ran")
    assert (r.rc == 0 and r.out == "ran\n") if runs else (r.rc != 0 and "Permission denied" in r.err), r


@pytest.mark.parametrize("option,updated", [("noatime", False), ("strictatime", True), ("relatime", True)])
def test_access_time(bundle, root, container, option, updated):
    # An access time set to 2000-01-01, older than the file's change: a read moves it unless noatime.
    tmpfs_with(bundle, [option])
    r = run(bundle, root, container, "sh", "-c",
            "echo x > /m/f; touch -a -d '2000-01-01 00:00:00' /m/f; cat /m/f > /dev/null; stat -c %X /m/f")
    assert r.rc == 0, r
    assert (int(r.out) > 946684800) == updated, (option, r.out)


@pytest.fixture
def shared_source(tmp_path):
    """A host directory that is a shared mount of its own, so that what the host mounts under it propagates."""
    src = tmp_path / "shared"
    src.mkdir()
    subprocess.run(["mount", "--bind", str(src), str(src)], check=True)
    subprocess.run(["mount", "--make-shared", str(src)], check=True)
    try:
        yield src
    finally:
        subprocess.run(["umount", "-R", str(src)], check=True)


@pytest.mark.parametrize("option,propagates", [("rslave", True), ("rshared", True), ("rprivate", False)])
def test_bind_propagation(bundle, root, container, shared_source, option, propagates):
    bundle.config["mounts"].append({"destination": "/s", "type": "bind", "source": str(shared_source),
                                    "options": ["rbind", option]})
    bundle.args("sleep", "60").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    try:
        assert state(root, container)["status"] == "running"
        (shared_source / "sub").mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "berth-prop", str(shared_source / "sub")],
                       check=True)
        time.sleep(0.1)
        r = berth("exec", container, "sh", "-c", "grep -c ' /s/sub ' /proc/self/mountinfo || true", root=root)
        assert r.rc == 0, r
        assert int(r.out) == (1 if propagates else 0), (option, r.out)
    finally:
        berth("delete", "-f", container, root=root)


def host_mountpoints(text):
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if text in line.split()[4]]


@pytest.mark.parametrize("propagation", ["rshared", "shared"])
def test_bidirectional_propagation(bundle, root, container, shared_source, propagation):
    # Kubernetes' Bidirectional: rootfsPropagation shared and an rshared bind of a shared host directory. What the
    # container mounts there reaches the host; nothing berth mounts (the rootfs, /proc, /dev...) does.
    bundle.config["linux"]["rootfsPropagation"] = propagation
    bundle.config["mounts"].append({"destination": "/s", "type": "bind", "source": str(shared_source),
                                    "options": ["rbind", "rshared"]})
    bundle.add_capabilities("CAP_SYS_ADMIN")
    bundle.args("sh", "-c", "mkdir -p /s/sub && mount -t tmpfs -o size=64k berth-bidi /s/sub && "
                "echo from-container > /s/sub/f && echo mounted && sleep 60").write()
    rootfs = bundle.config["root"]["path"]
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    try:
        # The mount appears before the container has written into it: wait for the file too.
        for _ in range(200):
            if host_mountpoints(str(shared_source / "sub")) and (shared_source / "sub" / "f").exists():
                break
            time.sleep(0.05)
        assert host_mountpoints(str(shared_source / "sub")), "the container's mount did not reach the host"
        assert (shared_source / "sub" / "f").read_text() == "from-container\n"
        assert host_mountpoints(str(rootfs)) == [], "berth's own mounts propagated to the host"
    finally:
        berth("delete", "-f", container, root=root)
        subprocess.run(["umount", "-l", str(shared_source / "sub")], check=False, capture_output=True)
    # The old root's detach at pivot_root did not propagate either: the host's mounts are all still there.
    assert host_mountpoints("/proc") and host_mountpoints(str(shared_source))
