"""The device cgroup is an allowlist (runtime-spec linux.resources.devices, as runc applies it), on v1 and v2.

Protection guarded: cgroups/devices.c device_rules_effective (deny-all first, then the config's rules, then
runc's defaults) and runtime/prepare.c applying it for every container, with or without linux.resources. The
attack: a container with CAP_MKNOD (Docker's default set) makes nodes for host devices it was never given and
opens them: block 7:0 (loop0) and char 10:259 (cpu_dma_latency here). Runs on the hybrid host (v1 devices
controller) and in the v2 VM (the eBPF filter).
"""
import os

import pytest

from conftest import berth, run

PROBE = ("mknod /dev/l0 b 7 0 && echo mknod; mknod /dev/cdl c 10 259; "
         "head -c0 /dev/l0 && echo read-block; head -c0 /dev/cdl && echo read-char; "
         "(: > /dev/l0) && echo write-block; head -c0 /dev/null && echo null; true")


def probe(bundle, root, cid, resources):
    bundle.add_capabilities("CAP_MKNOD")
    if resources is None:
        bundle.config["linux"].pop("resources", None)
    else:
        bundle.config["linux"]["resources"] = resources
    r = run(bundle, root, cid, "sh", "-c", PROBE)
    assert r.rc == 0, r
    return set(r.out.split())


@pytest.mark.parametrize("resources", [None, {}, {"devices": []}], ids=["no-resources", "empty", "no-rules"])
def test_a_config_without_device_rules_reaches_only_the_defaults(bundle, root, container, resources):
    assert probe(bundle, root, container, resources) == {"mknod", "null"}


def test_allow_rules_without_a_leading_deny_allow_only_what_they_name(bundle, root, container):
    rules = [{"allow": True, "type": "b", "major": 7, "minor": 0, "access": "r"}]
    assert probe(bundle, root, container, {"devices": rules}) == {"mknod", "read-block", "null"}


def test_an_allow_all_container_says_so(bundle, root, container):
    rules = [{"allow": True, "access": "rwm"}]
    # 10:259 is this host's cpu_dma_latency; a kernel without that node (the VM's) answers ENXIO, not EPERM.
    assert {"mknod", "read-block", "write-block", "null"} <= probe(bundle, root, container, {"devices": rules})


def test_update_without_device_rules_keeps_the_allowlist(bundle, root, container):
    bundle.add_capabilities("CAP_MKNOD")
    bundle.config["linux"]["resources"] = {}
    bundle.args("sleep", "30").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    assert berth("update", "--pids-limit", "100", container, root=root).rc == 0
    r = berth("exec", container, "sh", "-c", PROBE, root=root)
    assert set(r.out.split()) == {"mknod", "null"}, r


def test_a_rule_for_every_device_keeps_its_access(bundle, root, container):
    """Guards cgroups/devices.c device_rules_apply_v1: v1 reads a bare "a" as every access on every device, so a
    rule of type "a" with access "r" became rwm there (the eBPF filter, on v2, always kept the access)."""
    rules = [{"allow": False, "access": "rwm"}, {"allow": True, "type": "a", "access": "r"}]
    # The VM's kernel has no 10:259 (ENXIO whatever the cgroup says): read-char is expected where the node exists.
    char = {"read-char"} if os.path.exists("/sys/dev/char/10:259") else set()
    assert probe(bundle, root, container, {"devices": rules}) == {"mknod", "read-block", "null"} | char
