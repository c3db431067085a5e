"""berth features: the runtime-spec features document; every claim in it is exercised here by a container."""
import json
import os
import re

from conftest import berth, golden, run, wait_for, state
from test_idmap import idmap_unsupported_reason


def features():
    r = berth("features")
    assert r.rc == 0, r
    return json.loads(r.out)


def test_features_document_shape():
    r = berth("features")
    golden("features.json", re.sub(r'"org.berth.commit": "[^"]*"', '"org.berth.commit": "COMMIT"', r.out))


def test_version_range():
    f = features()
    assert f["ociVersionMin"] == "1.0.0"
    assert f["ociVersionMax"] == "1.3.0"
    assert f["annotations"]["org.berth.version"] == berth("--version").out.split()[2]


def test_only_implemented_sections_are_claimed():
    # Sections appear as the issues implementing them land (cgroup, seccomp, apparmor, selinux, intelRdt, ...).
    f = features()
    assert set(f) == {"ociVersionMin", "ociVersionMax", "hooks", "mountOptions", "linux", "annotations"}
    assert set(f["linux"]) == {"namespaces", "capabilities", "cgroup", "seccomp", "mountExtensions", "netDevices"}
    # v1: test_cgroups.py here; v2: the same in the VM; systemd: test_systemd.py in the VM booted with systemd.
    assert f["linux"]["cgroup"] == {"v1": True, "v2": True, "systemd": True, "systemdUser": False, "rdma": True}
    assert f["linux"]["mountExtensions"] == {"idmap": {"enabled": True}}


def test_every_claimed_hook_runs(bundle, root, container, tmp_path):
    hooks = features()["hooks"]
    log = tmp_path / "log"
    out = tmp_path / "out"
    out.mkdir()
    bundle.config["mounts"].append({"destination": "/out", "type": "bind", "source": str(out), "options": ["rbind"]})
    bundle.config["hooks"] = {
        kind: [{"path": "/bin/sh", "args": ["sh", "-c",
                                             f"echo {kind} >> {'/out/log' if kind == 'startContainer' else log}"]}]
        for kind in hooks}
    assert run(bundle, root, container, "true").rc == 0
    seen = log.read_text().split() + (out / "log").read_text().split()
    assert sorted(seen) == sorted(hooks)


def test_every_claimed_mount_option_mounts(bundle, root, container, tmp_path):
    options = features()["mountOptions"]
    src = tmp_path / "src"
    src.mkdir()
    mounts_before = len(bundle.config["mounts"])
    for i, option in enumerate(options):
        if option in ("idmap", "ridmap") and idmap_unsupported_reason():
            continue  # the v2 VM's tmpfs /tmp (Linux 6.1) cannot be idmapped; test_idmap.py says so as a skip
        if option in ("idmap", "ridmap"):
            # Exercised for their effect in test_idmap.py; here, that they are accepted.
            mount = {"destination": f"/m/{i}", "type": "bind", "source": str(src), "options": ["rbind", option],
                     "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
                     "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}
        elif option.startswith("r") and option not in ("relatime", "remount", "ro", "rw", "rbind"):
            mount = {"destination": f"/m/{i}", "type": "bind", "source": str(src), "options": ["rbind", option]}
        elif option in ("bind", "rbind"):
            mount = {"destination": f"/m/{i}", "type": "bind", "source": str(src), "options": [option]}
        else:
            mount = {"destination": f"/m/{i}", "type": "tmpfs", "source": "tmpfs", "options": [option]}
        bundle.config["mounts"].append(mount)
    r = run(bundle, root, container, "sh", "-c", "grep -c ' /m/' /proc/self/mountinfo")
    assert r.rc == 0, r
    assert int(r.out) >= len(bundle.config["mounts"]) - mounts_before


def test_every_claimed_namespace_is_made(bundle, root, container):
    kinds = features()["linux"]["namespaces"]
    bundle.config["linux"]["namespaces"] = [{"type": k} for k in kinds]
    bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
    bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
    proc_name = {"network": "net", "mount": "mnt"}
    script = "; ".join(f"readlink /proc/self/ns/{proc_name.get(k, k)}" for k in kinds)
    r = run(bundle, root, container, "sh", "-c", script)
    assert r.rc == 0, r
    assert len(r.out.split()) == len(kinds), r
    for kind, link in zip(kinds, r.out.split()):
        assert link != os.readlink(f"/proc/self/ns/{proc_name.get(kind, kind)}"), kind


def test_every_claimed_capability_can_be_granted(bundle, root, container):
    caps = features()["linux"]["capabilities"]
    status = open("/proc/self/status").read()
    host_bounding = int(status.split("CapBnd:\t")[1].split()[0], 16)
    host_permitted = int(status.split("CapPrm:\t")[1].split()[0], 16)
    # features lists capabilities by number order; a runtime can grant only what it holds itself.
    held = [name for i, name in enumerate(caps) if host_permitted >> i & 1]
    c = bundle.config["process"]["capabilities"]
    c["bounding"] = caps
    c["effective"] = c["permitted"] = held
    r = run(bundle, root, container, "grep", "-E", "Cap(Bnd|Eff)", "/proc/self/status")
    assert r.rc == 0, r
    lines = dict(line.split(":\t") for line in r.out.splitlines())
    # Every claimed name is accepted; the kernel keeps what the host's bounding set allows.
    all_claimed = (1 << len(caps)) - 1
    assert int(lines["CapBnd"], 16) == all_claimed & host_bounding
    assert int(lines["CapEff"], 16) == all_claimed & host_permitted


# Syscalls a busybox shell never makes: safe targets for every action and operator.
UNUSED = ["acct", "swapon", "swapoff", "reboot", "kexec_load", "init_module", "delete_module", "syslog",
          "quotactl", "iopl", "ioperm", "vhangup"]


def test_every_claimed_seccomp_action_and_operator_loads(bundle, root, container):
    sc = features()["linux"]["seccomp"]
    assert sc["enabled"] is True
    rules = []
    for i, action in enumerate(a for a in sc["actions"] if a not in ("SCMP_ACT_ALLOW", "SCMP_ACT_NOTIFY")):
        rules.append({"names": [UNUSED[i]], "action": action})
    for i, op in enumerate(sc["operators"]):
        rules.append({"names": [UNUSED[i]], "action": "SCMP_ACT_ERRNO",
                      "args": [{"index": 0, "value": 12345, "valueTwo": 12345, "op": op}]})
    bundle.config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": rules,
                                         "flags": sc["supportedFlags"]}
    r = run(bundle, root, container, "grep", "Seccomp:", "/proc/self/status")
    assert r.rc == 0 and r.out.split() == ["Seccomp:", "2"], r
    # SCMP_ACT_ALLOW is the default here; SCMP_ACT_NOTIFY is exercised with a listener in test_seccomp.py.


def test_every_claimed_seccomp_architecture_is_accepted(bundle, root, container):
    archs = features()["linux"]["seccomp"]["archs"]
    for i, arch in enumerate(archs):
        bundle.config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": [arch],
                                             "syscalls": [{"names": ["acct"], "action": "SCMP_ACT_ERRNO"}]}
        r = run(bundle, root, f"{container}-{i}", "true")
        assert r.rc == 0, (arch, r)
        berth("delete", "-f", f"{container}-{i}", root=root)


def test_known_but_unsupported_flags_are_refused(bundle, root, container):
    sc = features()["linux"]["seccomp"]
    for flag in set(sc["knownFlags"]) - set(sc["supportedFlags"]):
        bundle.config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "flags": [flag]}
        r = run(bundle, root, container, "true")
        assert r.rc == 1 and "is not supported by this build" in r.err, (flag, r)
