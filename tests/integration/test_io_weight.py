"""blockIO.weight: two containers reading one disk at the same time share it by their weights.

A weight acts only under a proportional-share scheduler (BFQ): the test makes a slow null_blk disk
(one request at a time, each taking 5 ms), gives it BFQ, and runs a reader of weight 100 and one of
weight 1000 side by side. This machine's kernel has no module tree to load null_blk or bfq from, and no
CFQ/BFQ on its disks; the v2 VM (tests/vm, Debian's 6.1 kernel) runs it.
"""
import os
import subprocess
import time

import pytest

import cgroupfs
from cgroupfs import V2
from conftest import assert_nothing_left, berth, state

MODULES = "/modules/tree"  # the VM's modules that load on demand (tests/vm/vm.py)


def insmod(name, *params):
    subprocess.run(["/busybox", "insmod", f"{MODULES}/{name}.ko", *params], check=True)


@pytest.fixture
def slow_disk():
    """(path, major, minor) of a 256 MB null_blk disk under BFQ, removed afterwards."""
    if not V2 or not os.path.isdir(MODULES):
        pytest.skip(f"Linux {os.uname().release} here has no module tree to load null_blk and bfq from, and its "
                    "disks no proportional-share scheduler (the v2 VM runs this)")
    if os.path.exists("/sys/module/null_blk"):
        pytest.skip("null_blk is in use on this host: the test makes its own")
    for module in ("bfq", "configfs"):
        if not os.path.isdir(f"/sys/module/{module}"):
            insmod(module)
    insmod("null_blk", "nr_devices=1", "queue_mode=2", "irqmode=2", "completion_nsec=5000000", "hw_queue_depth=1",
           "submit_queues=1", "gb=1")
    try:
        with open("/sys/block/nullb0/queue/scheduler", "w") as f:
            f.write("bfq")
        st = os.stat("/dev/nullb0")
        yield "/dev/nullb0", os.major(st.st_rdev), os.minor(st.st_rdev)
    finally:
        subprocess.run(["/busybox", "rmmod", "null_blk"], check=False)


def reader(bundle, root, name, disk, weight):
    path, major, minor = disk
    bundle.config["linux"]["devices"] = [{"path": path, "type": "b", "major": major, "minor": minor}]
    resources = bundle.config["linux"]["resources"]
    resources["devices"] = resources.get("devices", []) + [
        {"allow": True, "type": "b", "major": major, "minor": minor, "access": "r"}]
    resources["blockIO"] = {"weight": weight}
    bundle.args("sh", "-c", f"while :; do dd if={path} of=/dev/null bs=64k count=2000 iflag=direct 2>/dev/null; "
                "done").write()
    r = berth("run", "-d", "-b", bundle.path, name, root=root)
    assert r.rc == 0, r
    return cgroupfs.container_dir(state(root, name)["pid"], "blkio")


def read_bytes(cgroup_dir, major, minor):
    with open(os.path.join(cgroup_dir, "io.stat")) as f:
        for line in f:
            if line.startswith(f"{major}:{minor} "):
                return int(dict(kv.split("=") for kv in line.split()[1:])["rbytes"])
    return 0


def test_readers_share_a_disk_by_their_weights(bundle, root, container, slow_disk):
    _, major, minor = slow_disk
    light, heavy = container + "-w100", container + "-w1000"
    try:
        dirs = {light: reader(bundle, root, light, slow_disk, 100), heavy: reader(bundle, root, heavy, slow_disk, 1000)}
        assert open(os.path.join(dirs[light], "io.bfq.weight")).read().split() == ["default", "100"]
        time.sleep(2)  # both are reading
        before = {n: read_bytes(d, major, minor) for n, d in dirs.items()}
        time.sleep(6)
        got = {n: read_bytes(d, major, minor) - before[n] for n, d in dirs.items()}
        assert got[light] > 0 and got[heavy] > 3 * got[light], got
    finally:
        for n in (light, heavy):
            berth("delete", "-f", n, root=root)
    assert_nothing_left(root, light)
    assert_nothing_left(root, heavy)
