"""How berth makes a container's init: in berth's own memory until its exec, and what that must not change."""
import json
import os
import platform
import shutil
import subprocess

import pytest

from conftest import BERTH, berth, wait_for
from needs import tools

with open(BERTH, "rb") as _binary:
    SANITIZED = b"__asan_init" in _binary.read()

needs_strace = tools("strace")
shares_memory = pytest.mark.skipif(platform.machine() != "x86_64" or SANITIZED,
                                   reason="the init shares berth's memory on x86_64, outside sanitizer builds")


def init_clone(root, bundle, cid, tmp_path):
    """The clone3 call of a `berth run`, as strace shows it."""
    trace = tmp_path / "run.trace"
    r = subprocess.run(["strace", "-f", "-e", "trace=clone3", "-o", str(trace), BERTH, "--root", str(root), "run",
                        "-b", str(bundle.path), cid], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"), stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r
    calls = [line for line in trace.read_text().splitlines() if "clone3(" in line]
    assert len(calls) == 1, calls
    return calls[0]


@needs_strace
@shares_memory
def test_the_init_runs_in_berths_memory_on_its_own_stack(bundle, root, container, tmp_path):
    bundle.args("true").write()
    call = init_clone(root, bundle, container, tmp_path)
    assert "CLONE_VM" in call and "stack_size=0x100000" in call, call


@needs_strace
def test_with_a_time_namespace_the_init_is_forked(bundle, root, container, tmp_path):
    """A task cannot share memory with one in another time namespace: the kernel refuses CLONE_VM there."""
    bundle.config["linux"]["namespaces"].append({"type": "time"})
    bundle.args("true").write()
    call = init_clone(root, bundle, container, tmp_path)
    assert "CLONE_VM" not in call and "stack=NULL" in call, call


def status(root, cid):
    r = berth("state", cid, root=root)
    return json.loads(r.out) if r.rc == 0 else {}


def test_run_keeps_its_own_oom_score_adj(bundle, root, container):
    """The kernel sets oom_score_adj for every process of a memory: berth's own comes back after the init's exec."""
    bundle.config["process"]["oomScoreAdj"] = 700
    bundle.args("sleep", "30").write()
    with open("/proc/self/oom_score_adj") as f:
        own = f.read().strip()
    proc = subprocess.Popen([BERTH, "--root", str(root), "run", "-b", str(bundle.path), container],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: status(root, container).get("status") == "running")
        with open(f"/proc/{status(root, container)['pid']}/oom_score_adj") as f:
            assert f.read().strip() == "700"
        with open(f"/proc/{proc.pid}/oom_score_adj") as f:
            assert f.read().strip() == own
    finally:
        berth("kill", container, "KILL", root=root)
        proc.wait(timeout=10)
