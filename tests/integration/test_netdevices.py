"""linux.netDevices (runtime-spec 1.3.0): interfaces moved into the container's network namespace.

berth never runs these in the host's network namespace: each test runs a shell script under
`unshare --net`, which makes a private namespace with veth pairs of its own and calls
berth from there. Nothing leaves the machine, and the host's interfaces are never touched.
"""
import json
import re
import subprocess

import pytest

from conftest import BERTH, assert_nothing_left, berth


def in_private_network(script, timeout=60):
    """Run a bash script in a new network namespace; berth is $BERTH there."""
    return subprocess.run(["unshare", "--net", "bash", "-euc", script], capture_output=True, text=True,
                          timeout=timeout, env={"BERTH": BERTH, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})


def write(bundle, net_devices, *argv):
    bundle.config["linux"]["netDevices"] = net_devices
    bundle.args(*argv)
    bundle.write()


def test_device_is_moved_renamed_up_with_its_permanent_addresses(bundle, root, cid):
    write(bundle, {"bdummy0": {"name": "ctr0"}}, "sh", "-c", "ip -o link show; ip -o addr show dev ctr0")
    r = in_private_network(f"""
        ip link add bdummy0 type veth peer name bpeer0
        ip addr add 192.0.2.10/24 dev bdummy0
        ip -6 addr add 2001:db8::10/64 dev bdummy0 nodad
        ip -6 addr add fe80::10/64 dev bdummy0 nodad
        $BERTH --root {root} run --bundle {bundle.path} {cid}
        # The kernel frees a namespace (and its devices) in the background: wait up to 10 s.
        for i in $(seq 100); do ip link show bpeer0 >/dev/null 2>&1 || break; sleep 0.1; done
        echo "host after:"; ip -o link show
    """)
    assert r.returncode == 0, r
    inside, after = r.stdout.split("host after:")
    assert re.search(r"^\d+: ctr0[@:]", inside, re.M) and "bdummy0" not in inside
    link = next(line for line in inside.splitlines() if re.match(r"\d+: ctr0[@:]", line))
    assert ",UP" in link or "<UP" in link, link
    assert "inet 192.0.2.10/24" in inside and "inet6 2001:db8::10/64" in inside
    # Only global-scope addresses are carried; a link-local one is not (spec: RT_SCOPE_UNIVERSE).
    assert "fe80::10" not in inside
    # The device went with the namespace: a virtual one is destroyed (its peer with it), never moved back.
    assert "bdummy0" not in after and "ctr0" not in after and "bpeer0" not in after
    assert_nothing_left(root, cid, bundle.path)


def test_veth_carries_traffic_to_the_container(bundle, root, cid):
    write(bundle, {"bveth1": {"name": "eth0"}}, "sleep", "30")
    r = in_private_network(f"""
        ip link add bveth0 type veth peer name bveth1
        ip addr add 198.51.100.1/24 dev bveth0
        ip addr add 198.51.100.2/24 dev bveth1
        ip link set bveth0 up
        $BERTH --root {root} create --bundle {bundle.path} {cid}
        $BERTH --root {root} start {cid}
        busybox ping -c 1 -W 5 198.51.100.2
        $BERTH --root {root} exec {cid} ip -o addr show dev eth0
        $BERTH --root {root} delete --force {cid}
    """)
    assert r.returncode == 0, r
    assert "1 packets received" in r.stdout
    assert "inet 198.51.100.2/24" in r.stdout
    assert_nothing_left(root, cid, bundle.path)


def test_name_template_lets_the_kernel_choose(bundle, root, cid):
    write(bundle, {"bdummy1": {"name": "net%d"}}, "sh", "-c", "ip -o link show")
    r = in_private_network(f"""
        ip link add bdummy1 type veth peer name bpeer1
        $BERTH --root {root} run --bundle {bundle.path} {cid}
    """)
    assert r.returncode == 0, r
    assert re.search(r"^\d+: net0[@:]", r.stdout, re.M), r.stdout


def test_joined_namespace_with_the_name_taken_is_refused(bundle, root, cid, tmp_path):
    # Into a namespace of the test's own (joined by path) that already has an interface of the wanted name.
    write(bundle, {"bdummy2": {"name": "taken0"}}, "true")
    ns = tmp_path / "netns"
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "network"]
    bundle.config["linux"]["namespaces"].append({"type": "network", "path": str(ns)})
    bundle.write()
    r = in_private_network(f"""
        ip link add bdummy2 type veth peer name bpeer2
        touch {ns}
        unshare --net={ns} ip link add taken0 type veth peer name taken1
        if $BERTH --root {root} run --bundle {bundle.path} {cid} 2>{tmp_path}/err; then exit 3; fi
        cat {tmp_path}/err
        ip -o link show bdummy2 >/dev/null && echo "still on the host"
        umount {ns}
    """)
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == [
        f'berth: run "{cid}": linux.netDevices.bdummy2: an interface named "taken0" already exists in the '
        "container's network namespace",
        "still on the host"]
    assert_nothing_left(root, cid, bundle.path)


def test_without_a_network_namespace_is_refused(bundle, root, cid):
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "network"]
    write(bundle, {"bdummy3": {}}, "true")
    r = berth("run", "--bundle", bundle.path, cid, root=root)
    assert r.rc == 1
    assert r.err == (f'berth: run "{cid}": {bundle.path}/config.json: linux.netDevices: needs a network namespace '
                     "in linux.namespaces\n")
    assert_nothing_left(root, cid, bundle.path)


def test_features_claims_net_devices():
    assert json.loads(berth("features").out)["linux"]["netDevices"] == {"enabled": True}
