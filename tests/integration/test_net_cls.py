"""linux.resources.network.classID: the container's sockets carry the class id, which netfilter sees.

net_cls is a v1-only controller. Where the host mounts it (a v1 or hybrid host with net_cls), the test uses
the host's layout. On a v2-only host (the VM) the test builds a hybrid layout in a private mount namespace:
a tmpfs on /sys/fs/cgroup with cgroup2 at unified and v1 net_cls and devices beside it, as Debian's hybrid
hosts have them. This machine's hybrid layout leaves net_cls unmounted, and mounting it would make a new
hierarchy in the host's kernel: it is skipped here and runs in the VM.

The container shares a network namespace the test makes (`unshare --net`), where an nft `meta cgroup`
rule counts the packets of the container's TCP connects to 127.0.0.1. Nothing leaves the namespace.
"""
import os
import shutil
import subprocess

import pytest

from cgroupfs import V2, hierarchy_dir
from conftest import BERTH, assert_nothing_left

CLASS_ID = 0x100001  # tc class 10:1


def why_not():
    with open("/proc/cgroups") as f:
        if not any(line.split()[0] == "net_cls" and line.split()[3] == "1" for line in f if not line.startswith("#")):
            return f"Linux {os.uname().release} here has no net_cls controller"
    if not V2 and not os.path.isdir(hierarchy_dir("net_cls")):
        return ("this hybrid host does not mount net_cls, and mounting it would make a hierarchy in the host's "
                "kernel (the v2 VM builds a hybrid layout of its own and runs this)")
    return None


pytestmark = pytest.mark.skipif(why_not() is not None, reason=str(why_not()))

HYBRID_LAYOUT = """
mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
mkdir /sys/fs/cgroup/unified /sys/fs/cgroup/net_cls /sys/fs/cgroup/devices
mount -t cgroup2 none /sys/fs/cgroup/unified
mount -t cgroup -o net_cls none /sys/fs/cgroup/net_cls
mount -t cgroup -o devices none /sys/fs/cgroup/devices
"""

# Anonymous counters: the VM's 6.1 nf_tables has no objref expression for named ones.
COUNTERS = f"""
table ip berth_test {{
  chain out {{
    type filter hook output priority 0; policy accept;
    ip daddr 127.0.0.1 tcp dport 9 meta cgroup {CLASS_ID} counter comment "classed"
    ip daddr 127.0.0.1 tcp dport 9 meta cgroup != {CLASS_ID} counter comment "unclassed"
  }}
}}
"""

SCRIPT = """
ip link set lo up
nft -f "$COUNTERS"
counts() {{ echo "$1" $(nft list chain ip berth_test out | grep -o 'packets [0-9]*'); }}
{layout}
"$BERTH" --root "$ROOT" run -b "$BUNDLE" "$CID"
counts classed-run
ls -d /sys/fs/cgroup/*/berth-"$CID" /sys/fs/cgroup/berth-"$CID" 2>/dev/null | sed 's/^/left: /' || true
"$BERTH" --root "$ROOT" run -b "$BUNDLE_PLAIN" "$CID"p
counts plain-run
"""


def test_sockets_carry_the_class_id(bundle, root, cid, tmp_path):
    assert shutil.which("nft"), "nft (nftables) is missing: tests/deps.sh installs it"
    # In the test's network namespace, connecting to 127.0.0.1:9 (nothing listens: refused).
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "network"]
    bundle.args("sh", "-c", "for i in 1 2 3; do nc 127.0.0.1 9 </dev/null 2>/dev/null; done; echo connected").write()
    plain = tmp_path / "plain"
    plain.mkdir()
    shutil.copy(bundle.path / "config.json", plain / "config.json")
    bundle.config["linux"].setdefault("resources", {})["network"] = {"classID": CLASS_ID}
    bundle.write()
    rules = tmp_path / "counters.nft"
    rules.write_text(COUNTERS)
    env = {"BERTH": BERTH, "ROOT": str(root), "BUNDLE": str(bundle.path), "BUNDLE_PLAIN": str(plain), "CID": cid,
           "COUNTERS": str(rules), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    r = subprocess.run(["unshare", "--net", "--mount", "--propagation", "private", "bash", "-euc",
                        SCRIPT.format(layout=HYBRID_LAYOUT if V2 else "")],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines.count("connected") == 2, r
    assert not [line for line in lines if line.startswith("left: ")], f"cgroups left behind: {r.stdout}"
    assert "classed-run packets 3 packets 0" in lines, f"the class id's container's SYNs must match it: {r.stdout}"
    assert "plain-run packets 3 packets 3" in lines, f"a container without one must not: {r.stdout}"
    assert_nothing_left(root, cid)
    assert_nothing_left(root, cid + "p")
