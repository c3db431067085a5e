"""linux.resources.rdma: a container whose rdma cgroup allows no HCA handle cannot open an RDMA device, one
allowed a handle can.

The device is soft-RoCE (rdma_rxe) over a veth pair the test makes and removes. This machine's kernel has no
module tree and its hybrid layout no rdma hierarchy; the v2 VM (tests/vm, Debian's 6.1 kernel, which loads
rdma_rxe at boot) runs these. ibv_devinfo (ibverbs-utils, with the rxe provider from ibverbs-providers)
opens the device inside the container, from the host's /usr mounted read-only.
"""
import os
import subprocess
import uuid

import pytest

from cgroupfs import V2, hierarchy_dir
from conftest import assert_nothing_left, berth
from needs import tools


def rdma_controller():
    if V2:
        with open("/sys/fs/cgroup/cgroup.controllers") as f:
            return "rdma" in f.read().split()
    return os.path.isdir(hierarchy_dir("rdma"))


def why_not():
    if not rdma_controller():
        return "this host's cgroups have no rdma controller (the v2 VM runs these)"
    if not os.path.isdir("/sys/module/rdma_rxe"):
        return f"Linux {os.uname().release} here has no rdma_rxe (soft-RoCE) module loaded (the v2 VM loads it)"
    return None


pytestmark = pytest.mark.skipif(why_not() is not None, reason=str(why_not()))


@pytest.fixture
def rxe():
    """(device name, uverbs char device path) of a soft-RoCE device on a veth pair made for this test."""
    tag = uuid.uuid4().hex[:6]
    veth, name = f"rxv{tag}", f"rxe{tag}"
    subprocess.run(["ip", "link", "add", veth, "type", "veth", "peer", "name", veth + "p"], check=True)
    try:
        subprocess.run(["ip", "link", "set", veth, "up"], check=True)
        subprocess.run(["rdma", "link", "add", name, "type", "rxe", "netdev", veth], check=True)
        try:
            uverbs = next(d for d in os.listdir("/sys/class/infiniband_verbs") if d.startswith("uverbs") and
                          open(f"/sys/class/infiniband_verbs/{d}/ibdev").read().strip() == name)
            yield name, f"/dev/infiniband/{uverbs}"
        finally:
            subprocess.run(["rdma", "link", "delete", name], check=False)
    finally:
        subprocess.run(["ip", "link", "delete", veth], check=False)


def host_usr_rootfs(path):
    """A rootfs that is the host's /usr (mounted read-only by the config) and /etc/libibverbs.d."""
    for d in ("usr", "etc/libibverbs.d", "proc", "sys", "dev", "tmp"):
        os.makedirs(path / d)
    for d in ("bin", "sbin", "lib", "lib64"):
        os.symlink(f"usr/{d}", path / d)
    return path


@tools("ibv_devinfo", "rdma")
@pytest.mark.parametrize("handles,opened", [(0, False), (1, True)])
def test_hca_handles_limit_opening_the_device(bundle, root, container, tmp_path, rxe, handles, opened):
    name, dev = rxe
    st = os.stat(dev)
    bundle.config["root"] = {"path": str(host_usr_rootfs(tmp_path / "rootfs")), "readonly": True}
    bundle.config["mounts"] += [
        {"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro"]},
        {"destination": "/etc/libibverbs.d", "type": "bind", "source": "/etc/libibverbs.d", "options": ["rbind", "ro"]}]
    bundle.config["linux"]["devices"] = [{"path": dev, "type": "c", "major": os.major(st.st_rdev),
                                          "minor": os.minor(st.st_rdev), "fileMode": 0o666}]
    resources = bundle.config["linux"].setdefault("resources", {})
    resources.setdefault("devices", []).append({"allow": True, "type": "c", "major": os.major(st.st_rdev),
                                                "minor": os.minor(st.st_rdev), "access": "rw"})
    resources["rdma"] = {name: {"hcaHandles": handles, "hcaObjects": 1000}}
    bundle.args("sh", "-c", f"ibv_devinfo -d {name} && echo OPENED").write()
    r = berth("run", "-b", bundle.path, container, root=root, timeout=60)
    assert ("OPENED" in r.out) == opened, r
    if opened:
        assert r.rc == 0 and f"hca_id:\t{name}" in r.out, r
    else:
        assert r.rc != 0 and "Failed to open device" in r.err, r
    assert_nothing_left(root, container)
