"""linux.resources.devices on a cgroup v2 host: berth's eBPF device filter (run in tests/vm)."""
import json

import pytest

from cgroupfs import V2
from conftest import berth, run, state

pytestmark = pytest.mark.skipif(not V2, reason="the eBPF device filter is cgroup v2's (tests/vm runs these)")

# Loop devices (block 7:N) open without special capabilities: only the device filter decides.
PROBE = ("mknod /dev/l0 b 7 0; mknod /dev/l1 b 7 1; "
         "head -c0 /dev/l0 && echo read0; head -c0 /dev/l1 && echo read1; "
         "(: > /dev/l0) && echo write0; true")  # a subshell: a failed redirection ends sh


def probe(bundle, root, cid, rules):
    bundle.add_capabilities("CAP_MKNOD")
    bundle.config["linux"]["resources"]["devices"] = rules
    r = run(bundle, root, cid, "sh", "-c", PROBE)
    assert r.rc == 0, r
    return set(r.out.split())


def test_read_only_rule_allows_reading_only(bundle, root, container):
    seen = probe(bundle, root, container, [{"allow": False, "access": "rwm"},
                                           {"allow": True, "type": "b", "major": 7, "minor": 0, "access": "r"}])
    assert seen == {"read0"}


def test_wildcard_minor(bundle, root, container):
    seen = probe(bundle, root, container, [{"allow": False, "access": "rwm"},
                                           {"allow": True, "type": "b", "major": 7, "access": "rw"}])
    assert seen == {"read0", "read1", "write0"}


def test_a_later_rule_overrides_an_earlier_one(bundle, root, container):
    seen = probe(bundle, root, container, [{"allow": False, "access": "rwm"},
                                           {"allow": True, "type": "b", "major": 7, "access": "rwm"},
                                           {"allow": False, "type": "b", "major": 7, "minor": 1, "access": "r"},
                                           {"allow": False, "type": "c", "major": 7, "access": "rwm"}])
    assert seen == {"read0", "write0"}


def test_type_must_match(bundle, root, container):
    # A char-device rule for 7:* says nothing about the block devices 7:*.
    seen = probe(bundle, root, container, [{"allow": False, "access": "rwm"},
                                           {"allow": True, "type": "c", "major": 7, "access": "rwm"}])
    assert seen == set()


def test_the_defaults_stay_usable_under_deny_all(bundle, root, container):
    bundle.config["linux"]["resources"]["devices"] = [{"allow": False, "access": "rwm"}]
    r = run(bundle, root, container, "sh", "-c",
            "head -c1 /dev/zero | wc -c; : > /dev/null && echo null; head -c1 /dev/urandom | wc -c")
    assert r.rc == 0 and r.out.split() == ["1", "null", "1"], r


def test_update_replaces_the_filter(bundle, root, container):
    bundle.add_capabilities("CAP_MKNOD")
    bundle.config["linux"]["resources"]["devices"] = [{"allow": False, "access": "rwm"}]
    bundle.args("sleep", "60").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    assert berth("exec", container, "mknod", "/dev/l0", "b", "7", "0", root=root).rc == 0
    assert berth("exec", container, "head", "-c0", "/dev/l0", root=root).rc != 0
    rules = {"devices": [{"allow": False, "access": "rwm"},
                         {"allow": True, "type": "b", "major": 7, "minor": 0, "access": "r"}]}
    r = berth("update", "--resources", "-", container, root=root, input=json.dumps(rules))
    assert r.rc == 0, r
    assert berth("exec", container, "head", "-c0", "/dev/l0", root=root).rc == 0
    # The old deny-all filter is gone, not stacked: with it, the read would still fail.
    assert state(root, container)["status"] == "running"


def test_a_listed_device_is_made_though_the_filter_denies_it(bundle, root, container):
    # As runc: linux.devices are made before the filter is attached; the filter then decides access.
    bundle.config["linux"]["devices"] = [{"path": "/dev/l0", "type": "b", "major": 7, "minor": 0}]
    bundle.config["linux"]["resources"]["devices"] = [{"allow": False, "access": "rwm"}]
    r = run(bundle, root, container, "sh", "-c", "test -b /dev/l0 && echo node; head -c0 /dev/l0 && echo read; true")
    assert r.rc == 0 and r.out.split() == ["node"], r


def test_create_container_hooks_run_under_the_filter(bundle, root, container, tmp_path):
    # berth loads the filter while the init sets up; it must be attached before any hook runs.
    log = tmp_path / "hook.log"
    bundle.config["linux"]["devices"] = [{"path": "/dev/l0", "type": "b", "major": 7, "minor": 0}]
    bundle.config["linux"]["resources"]["devices"] = [{"allow": False, "access": "rwm"}]
    node = f"{bundle.config['root']['path']}/dev/l0"
    bundle.config["hooks"] = {"createContainer": [{
        "path": "/bin/sh", "args": ["sh", "-c", f"(head -c0 {node} && echo open || echo denied) > {log} 2>&1"]}]}
    r = run(bundle, root, container, "true")
    assert r.rc == 0, r
    assert log.read_text().split()[-1] == "denied", log.read_text()
