"""Docker 20.10 (dockerd from Debian's docker.io) running its workloads on berth through the runc v2 shim."""
import json
import os
import subprocess
import uuid

import pytest

from conftest import BERTH, IMAGE

RUN = ("--runtime", "berth", "--network", "none")


@pytest.fixture
def name():
    return "d-" + uuid.uuid4().hex[:10]


def bundle_config(docker, containerd, name):
    full = docker("inspect", "--format", "{{.Id}}", name, check=True).stdout.strip()
    tasks = os.path.join(containerd.base, "state", "io.containerd.runtime.v2.task")
    for ns in os.listdir(tasks):
        path = os.path.join(tasks, ns, full, "config.json")
        if os.path.exists(path):
            with open(path) as f:
                return json.load(f)
    raise AssertionError(f"no bundle for {full}")


def host_cgroup_file(docker, name, controller, file):
    full = docker("inspect", "--format", "{{.Id}}", name, check=True).stdout.strip()
    with open(f"/sys/fs/cgroup/{controller}/{docker.cgroup_parent}/{full}/{file}") as f:
        return f.read().strip()


def test_run_exit_code_and_output(docker):
    r = docker("run", "--rm", *RUN, IMAGE, "sh", "-c", "echo out; grep Seccomp: /proc/self/status; exit 5")
    assert r.returncode == 5 and r.stdout.split() == ["out", "Seccomp:", "2"], r


def test_prestart_hook_exec_top_update_pause_stop(docker, containerd, name):
    docker("run", "-d", "--name", name, *RUN, IMAGE, "sh", "-c", 'trap "exit 42" TERM; while :; do sleep 0.1; done',
           check=True)
    # dockerd's libnetwork-setkey prestart hook ran (a failing one aborts create) with the state on stdin.
    hooks = bundle_config(docker, containerd, name)["hooks"]["prestart"]
    assert "libnetwork-setkey" in " ".join(hooks[0]["args"])
    assert docker("exec", name, "sh", "-c", "exit 6").returncode == 6
    top = docker("top", name, check=True).stdout
    assert 'trap "exit 42" TERM' in top, top
    docker("update", "--memory", "64m", "--memory-swap", "128m", "--cpu-shares", "256", name, check=True)
    assert host_cgroup_file(docker, name, "memory", "memory.limit_in_bytes") == str(64 << 20)
    assert host_cgroup_file(docker, name, "cpu", "cpu.shares") == "256"
    docker("pause", name, check=True)
    assert host_cgroup_file(docker, name, "freezer", "freezer.state") == "FROZEN"
    docker("unpause", name, check=True)
    docker("stop", name, check=True)
    assert docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "42"
    docker("rm", name, check=True)


def test_stop_falls_back_to_sigkill(docker, name):
    docker("run", "-d", "--name", name, *RUN, IMAGE, "sleep", "100", check=True)
    docker("stop", "-t", "1", name, check=True)
    assert docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "137"
    docker("rm", name, check=True)


def test_nothing_is_left_by_berth(docker):
    assert docker("ps", "-a", "-q").stdout.split() == []
    runtime_root = os.path.join(docker.base, "exec", "runtime-runc")
    for ns in os.listdir(runtime_root) if os.path.isdir(runtime_root) else []:
        r = subprocess.run([BERTH, "--root", os.path.join(runtime_root, ns), "list", "-q"], capture_output=True,
                           text=True)
        assert r.stdout.split() == [], r
    for h in ("memory", "pids", "freezer"):
        parent = f"/sys/fs/cgroup/{h}/{docker.cgroup_parent}"
        assert not os.path.isdir(parent) or os.listdir(parent) == [] or \
            not [d for d in os.listdir(parent) if os.path.isdir(os.path.join(parent, d))], parent
