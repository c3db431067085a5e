"""containerd 1.6 (Debian's) and 2.4 (built from its module), runc v2 shim, running their workloads on berth,
driven with ctr."""
import os
import shlex
import shutil
import subprocess
import time

import pytest

from conftest import BERTH, IMAGE
from needs import tools


@pytest.fixture(scope="session", params=["1.6", "2.4"])
def containerd(request):
    """Every test here runs on both: Debian's containerd 1.6 and containerd 2.4."""
    c = request.getfixturevalue("containerd16" if request.param == "1.6" else "containerd2")
    server = c.ctr("version", runtime=False).stdout.split("Server:")[-1]
    assert f"Version:  v{request.param}" in server or f"Version:  {request.param}" in server, server
    return c


def test_run_exit_codes(containerd, name):
    assert containerd.ctr("run", "--rm", IMAGE, name, "true").returncode == 0
    assert containerd.ctr("run", "--rm", IMAGE, name + "b", "sh", "-c", "exit 7").returncode == 7


def test_output_stdin_and_fds(containerd, name):
    r = containerd.ctr("run", "--rm", IMAGE, name, "sh", "-c", "head -n1; echo pid=$$; ls /proc/self/fd",
                       input="from-stdin\nmore\n")
    assert r.returncode == 0, r
    lines = r.stdout.split()
    assert lines[0] == "from-stdin" and lines[1] == "pid=1"
    # Only stdio (and ls' own dir fd): the shim's fd 3 never reaches the container.
    assert lines[2:] == ["0", "1", "2", "3"]


def test_sigkill_gives_137(containerd, name):
    argv = containerd.prefix() + ["run", "--rm", "--runc-binary", BERTH, IMAGE, name, "sh", "-c", "echo ready; sleep 60"]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    assert p.stdout.readline().strip() == "ready"
    assert containerd.ctr("task", "kill", "-s", "SIGKILL", name, runtime=False).returncode == 0
    assert p.wait(timeout=30) == 137


def test_detached_task_exec_ps_pause_metrics_kill_all(containerd, name):
    assert containerd.ctr("run", "-d", IMAGE, name, "sh", "-c", "sleep 60 & sleep 60").returncode == 0
    time.sleep(0.3)
    r = containerd.ctr("task", "exec", "--exec-id", "e1", name, "sh", "-c", "echo in-exec; exit 3", runtime=False)
    assert r.returncode == 3 and r.stdout.strip() == "in-exec", r
    ps = containerd.ctr("task", "ps", name, runtime=False).stdout.split()
    # The shell execs its last command: two sleeps, one of them the init.
    assert len([p for p in ps[2:] if p.isdigit()]) == 2, ps
    assert containerd.ctr("task", "pause", name, runtime=False).returncode == 0
    assert "PAUSED" in containerd.ctr("task", "ls", runtime=False).stdout
    assert containerd.ctr("task", "resume", name, runtime=False).returncode == 0
    metrics = containerd.ctr("task", "metrics", name, runtime=False).stdout
    assert "memory.usage_in_bytes" in metrics or "memory.usage" in metrics, metrics
    assert containerd.ctr("task", "kill", "--all", "-s", "SIGKILL", name, runtime=False).returncode == 0
    containerd.ctr("task", "wait", name, runtime=False)
    assert containerd.ctr("task", "rm", name, runtime=False).returncode == 0
    assert containerd.ctr("containers", "rm", name, runtime=False).returncode == 0


def test_container_create_and_task_start_use_runc_from_opt(containerd, name):
    r = containerd.ctr("containers", "create", IMAGE, name, "--", "sh", "-c", "exit 5", runtime=False)
    assert r.returncode == 0, r
    r = containerd.ctr("task", "start", name, runtime=False)
    assert r.returncode == 5, r
    containerd.ctr("task", "rm", name, runtime=False)
    containerd.ctr("containers", "rm", name, runtime=False)


def test_errors_reach_the_user_through_log_json(containerd, name):
    r = containerd.ctr("run", "--rm", IMAGE, name, "nosuchcommand")
    assert r.returncode != 0
    assert 'exec: "nosuchcommand": executable file not found in $PATH' in r.stderr, r


@tools("script")
def test_tty(containerd, name):
    cmd = f"{shlex.join(containerd.prefix())} run --rm -t --runc-binary {BERTH} {IMAGE} {name} tty"
    r = subprocess.run(["timeout", "-k", "5", "30", "script", "-qec", cmd, "/dev/null"], capture_output=True,
                       text=True, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r
    assert "/dev/pts/0" in r.stdout


@tools("script")
def test_task_exec_with_a_tty(containerd, name):
    assert containerd.ctr("run", "-d", IMAGE, name, "sleep", "60").returncode == 0
    try:
        cmd = f"{shlex.join(containerd.prefix())} task exec -t --exec-id t1 {name} sh -c 'tty; exit 6'"
        r = subprocess.run(["timeout", "-k", "5", "30", "script", "-qec", cmd, "/dev/null"], capture_output=True,
                           text=True, stdin=subprocess.DEVNULL)
        assert "/dev/pts/" in r.stdout, r
        assert r.returncode == 6, r
    finally:
        containerd.ctr("task", "kill", "-s", "SIGKILL", name, runtime=False)
        containerd.ctr("task", "wait", name, runtime=False)
        containerd.ctr("task", "rm", "-f", name, runtime=False)
        containerd.ctr("containers", "rm", name, runtime=False)


def test_nothing_is_left_by_berth(containerd):
    # After the tests above (each removes its container), the shim's berth root holds no container.
    r = subprocess.run([BERTH, "--root", f"/run/containerd/runc/{containerd.namespace}", "list", "-q"], capture_output=True,
                       text=True)
    assert r.stdout.split() == [], r

