"""critest (cri-tools' CRI validation suite) against both runtime handlers of one containerd 2 node.

Each handler's result is printed as critest reports it and recorded under build/test-results; the
comparison requires that every spec passing on runc 1.5 passes on berth.
"""
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import BUSYBOX, CRITEST, TOP

RESULTS = os.path.join(TOP, "build", "test-results")
_outcomes = {}


def run_critest(node, handler):
    report = os.path.join(node.base, f"critest-{handler}.xml")
    images = os.path.join(node.base, "critest-images.yaml")
    with open(images, "w") as f:
        f.write(f"defaultTestContainerImage: {BUSYBOX}\nwebServerTestImage: registry.k8s.io/e2e-test-images/nginx:1.14-2\n")
    argv = node.inside([CRITEST, "--runtime-endpoint", node.endpoint, "--image-endpoint", node.endpoint,
                        "--runtime-handler", handler, "--test-images-file", images,
                        "--nri-socket", os.path.join(node.base, "nri.sock"), "--config", os.path.join(node.base, "crictl.yaml"),
                        f"--ginkgo.junit-report={report}", "--ginkgo.no-color", "--ginkgo.timeout=20m"])
    with open(os.path.join(node.base, f"critest-{handler}.log"), "w") as log:
        r = subprocess.run(["timeout", "-k", "10", "1500"] + argv, stdout=log, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, env=node.env(), cwd=node.base)
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("name")
        if case.find("skipped") is not None:
            outcomes[name] = ("skipped", " ".join((case.find("skipped").get("message") or "").split()))
        elif case.find("failure") is not None or case.find("error") is not None:
            el = case.find("failure") if case.find("failure") is not None else case.find("error")
            outcomes[name] = ("failed", " ".join(((el.get("message") or "") + " " + (el.text or "")).split())[:800])
        else:
            outcomes[name] = ("passed", "")
    # ginkgo's suite nodes ([BeforeSuite], [ReportAfterSuite]...) are not specs; specs are "[It] ...".
    outcomes = {k.removeprefix("[It] "): v for k, v in outcomes.items() if k.startswith("[It] ")}
    os.makedirs(RESULTS, exist_ok=True)
    shutil.copy(os.path.join(node.base, f"critest-{handler}.log"), os.path.join(RESULTS, f"critest-{handler}.log"))
    with open(os.path.join(RESULTS, f"critest-{handler}.txt"), "w") as f:
        counts = {s: sum(1 for o in outcomes.values() if o[0] == s) for s in ("passed", "failed", "skipped")}
        line = f"critest {handler}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
        f.write(line + "\n")
        for name, (status, why) in sorted(outcomes.items()):
            f.write(f"{status}\t{name}\t{why}\n")
    print(line)
    return r.returncode, outcomes


@pytest.mark.parametrize("handler", ["runc", "berth"])
def test_critest(node, handler):
    rc, outcomes = run_critest(node, handler)
    _outcomes[handler] = outcomes
    assert outcomes, f"critest on {handler} ran nothing (exit {rc}): see {node.base}/critest-{handler}.log"


# What fails on this node whatever the runtime, and why. Anything else failing on runc means the node (images,
# registry, CNI, containerd's config) is broken, and the comparison below would prove nothing.
NODE_LIMITS = {
    "[k8s.io] Image Manager public image with digest should be pulled and removed [Conformance] [Serial]":
        "the image is named by a digest of gcr.io's copy; an image built offline cannot have that digest",
    "[k8s.io] Security Context bucket runtime should support MaskedPaths":
        "Debian's busybox-static sh runs applets itself (FEATURE_SH_STANDALONE), so a masked /bin/ls is never executed",
}


def test_berth_passes_what_runc_passes():
    if set(_outcomes) != {"runc", "berth"}:
        pytest.skip("needs both critest runs of this session (run the whole file)")
    runc, berth = _outcomes["runc"], _outcomes["berth"]
    broken = {n: why for n, (s, why) in runc.items() if s == "failed" and n not in NODE_LIMITS}
    assert not broken, "critest fails on runc beyond this node's known limits:\n" + "\n".join(
        f"{n}: {why}" for n, why in sorted(broken.items()))
    # critest skips its NRI synchronization specs itself when containerd loses a container in the race they
    # provoke (a containerd defect it names a spec discrepancy): that race is the daemon's, on either handler.
    regressions = {}
    for n, (s, _) in runc.items():
        got, why = berth.get(n, ("missing", ""))
        nri_race = n.startswith("[k8s.io] NRI plugin synchronization") and got == "skipped"
        if s == "passed" and got != "passed" and not nri_race:
            regressions[n] = why or got
    assert not regressions, "critest passes on runc but not on berth:\n" + "\n".join(
        f"{n}: {why}" for n, why in sorted(regressions.items()))
    # critest skips its benchmarks without a message unless run with -benchmark; every other skip names its cause.
    unexplained = sorted({n for h in (runc, berth) for n, (s, why) in h.items()
                          if s == "skipped" and not why and "benchmark" not in n})
    assert not unexplained, "a critest skip without a reason: " + ", ".join(unexplained)
