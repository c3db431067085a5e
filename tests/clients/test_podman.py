"""Podman 4.3 (through conmon) running its workloads on berth, with private storage and config."""
import os
import shutil
import subprocess
import time
import uuid

import pytest

from conftest import BERTH, IMAGE
from needs import tools


def cap_bnd_of_this_process():
    with open("/proc/self/status") as f:
        return next(line.split()[1] for line in f if line.startswith("CapBnd:"))


def inside(podman, *args, **kw):
    """`podman run --rm [options] IMAGE sh -c SCRIPT`: args are the options then the script."""
    r = podman("run", "--rm", *args[:-1], IMAGE, "sh", "-c", args[-1], **kw)
    assert r.returncode == 0, r
    return r.stdout


def host_cgroup_file(podman, cid, controller, name):
    full = podman("inspect", "--format", "{{.Id}}", cid, check=True).stdout.strip()
    return open(f"/sys/fs/cgroup/{controller}/libpod_parent/libpod-{full}/{name}").read().strip()


@pytest.fixture
def name():
    return "p-" + uuid.uuid4().hex[:10]


def test_run_exit_codes_and_errors(podman):
    assert podman("run", "--rm", IMAGE, "true").returncode == 0
    assert podman("run", "--rm", IMAGE, "sh", "-c", "exit 3").returncode == 3
    r = podman("run", "--rm", IMAGE, "nosuchcommand")
    # conmon parsed berth's --log-format json error (berth is in runtime_supports_json).
    assert r.returncode == 127 and 'exec: "nosuchcommand": executable file not found in $PATH' in r.stderr, r


def test_stdin_reaches_the_container_and_its_eof_too(podman):
    r = podman("run", "--rm", "-i", IMAGE, "sh", "-c", "cat; echo eof-seen", input="line one\nline two\n")
    assert r.returncode == 0 and r.stdout == "line one\nline two\neof-seen\n", r


def test_detached_exec_pause_update_stop_restart_kill(podman, name):
    podman("run", "-d", "--name", name, IMAGE, "sh", "-c", 'trap "exit 42" TERM; while :; do sleep 0.1; done',
           check=True)
    assert name in podman("ps", "--format", "{{.Names}}").stdout
    assert podman("exec", name, "sh", "-c", "exit 4").returncode == 4
    assert podman("exec", "--user", "1000", name, "id", "-u").stdout.strip() == "1000"
    podman("pause", name, check=True)
    assert podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip() == "paused"
    assert host_cgroup_file(podman, name, "freezer", "freezer.state") == "FROZEN"
    podman("unpause", name, check=True)
    assert host_cgroup_file(podman, name, "freezer", "freezer.state") == "THAWED"
    podman("update", "--memory", "64m", "--cpu-shares", "512", name, check=True)
    assert host_cgroup_file(podman, name, "memory", "memory.limit_in_bytes") == str(64 << 20)
    assert host_cgroup_file(podman, name, "cpu", "cpu.shares") == "512"
    # stop: SIGTERM reaches the trap in pid 1.
    podman("stop", name, check=True)
    assert podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "42"
    podman("restart", name, check=True)
    assert podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip() == "running"
    podman("kill", name, check=True)
    assert podman("wait", name).stdout.strip() == "137"
    podman("rm", name, check=True)


def test_stop_falls_back_to_sigkill(podman, name):
    # A pid 1 without a TERM handler ignores SIGTERM.
    podman("run", "-d", "--name", name, IMAGE, "sleep", "100", check=True)
    podman("stop", "-t", "1", name, check=True)
    assert podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "137"
    podman("rm", name, check=True)


@tools("script")
def test_tty_for_run_and_exec(podman, name):
    def with_pty(cmd):
        return subprocess.run(["timeout", "-k", "5", "60", "script", "-qec", cmd, "/dev/null"], capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, env=podman.env, cwd=podman.base)
    r = with_pty(f"podman run --rm -t {IMAGE} tty")
    assert r.returncode == 0 and "/dev/pts/0" in r.stdout, r
    podman("run", "-d", "--name", name, IMAGE, "sleep", "100", check=True)
    r = with_pty(f"podman exec -t {name} tty")
    assert r.returncode == 0 and "/dev/pts/" in r.stdout, r
    podman("rm", "-f", "-t", "0", name, check=True)


def test_memory_and_pids_limits(podman, name):
    text = inside(podman, "--memory", "32m", "--pids-limit", "50",
                  "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max")
    assert text.split() == [str(32 << 20), "50"]
    # An OOM kill: the exit status says so. (podman 4.3 does not read conmon's "oom" file, so
    # .State.OOMKilled stays false with runc too; podman#13102.)
    r = podman("run", "--rm", "--memory", "16m", IMAGE, "sh", "-c", 'x=a; while :; do x="$x$x"; done')
    assert r.returncode == 137, r


def test_capabilities(podman):
    text = inside(podman, "--cap-drop", "net_raw,chown", "grep CapEff /proc/self/status")
    assert int(text.split()[1], 16) == 0xa80425fb & ~((1 << 13) | (1 << 0))
    text = inside(podman, "--cap-drop", "all", "grep Cap /proc/self/status")
    assert all(int(line.split()[1], 16) == 0 for line in text.splitlines()), text
    text = inside(podman, "--privileged", "grep CapEff /proc/self/status; ls /dev | wc -l")
    assert text.split()[1] == cap_bnd_of_this_process()
    assert int(text.split()[2]) > 20, "privileged containers see the host's devices"


def test_read_only_root_with_writable_tmp(podman):
    text = inside(podman, "--read-only", "touch /x 2>/dev/null || echo root-ro; touch /tmp/y /var/tmp/y && echo tmp-rw")
    assert text.split() == ["root-ro", "tmp-rw"]


def test_user_env_workdir_hostname(podman):
    text = inside(podman, "--user", "1000:1000", "-e", "FOO=bar", "-w", "/tmp", "--hostname", "box",
                  'id -u; id -g; echo $FOO; pwd; hostname')
    assert text.split() == ["1000", "1000", "bar", "/tmp", "box"]


def test_read_only_volume(podman, tmp_path):
    (tmp_path / "f").write_text("data\n")
    text = inside(podman, "-v", f"{tmp_path}:/v:ro", "cat /v/f; touch /v/g 2>/dev/null || echo vol-ro")
    assert text.split() == ["data", "vol-ro"]
    assert not (tmp_path / "g").exists()


def test_default_devices_and_everything_else_denied(podman):
    text = inside(podman, "ls /dev; mknod /dev/x c 1 1 && head -c1 /dev/x 2>&1; true")
    for dev in ("null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts", "shm"):
        assert dev in text.split(), text
    assert "Operation not permitted" in text


def test_default_seccomp_profile_and_unconfined(podman):
    assert inside(podman, "grep Seccomp: /proc/self/status").split()[1] == "2"
    assert inside(podman, "--security-opt", "seccomp=unconfined", "grep Seccomp: /proc/self/status").split()[1] == "0"


def test_init(podman):
    assert inside(podman, "--init", "cat /proc/1/cmdline | tr '\\0' ' '").startswith("/run/podman-init -- ")


def test_pod_members_share_the_infra_namespaces(podman, name):
    podman("pod", "create", "--name", name, check=True)
    try:
        text = inside(podman, "--pod", name, "for n in uts ipc net; do readlink /proc/self/ns/$n; done")
        infra = podman("pod", "inspect", "--format", "{{.InfraContainerID}}", name, check=True).stdout.strip()
        pid = podman("inspect", "--format", "{{.State.Pid}}", infra, check=True).stdout.strip()
        assert text.split() == [os.readlink(f"/proc/{pid}/ns/{ns}") for ns in ("uts", "ipc", "net")]
    finally:
        podman("pod", "rm", "-f", "-t", "0", name)


def test_nothing_is_left_by_berth(podman):
    # Every podman container is gone from berth's default root, and so are their cgroups.
    deadline = time.time() + 10
    while time.time() < deadline:
        ids = set(podman("ps", "-a", "-q", "--no-trunc").stdout.split())
        left = set(subprocess.run([BERTH, "list", "-q"], capture_output=True, text=True).stdout.split())
        if not ids and not left & set(os.listdir("/sys/fs/cgroup/memory/libpod_parent") if
                                       os.path.isdir("/sys/fs/cgroup/memory/libpod_parent") else []):
            break
        time.sleep(0.2)
    assert podman("ps", "-a", "-q").stdout.split() == []
    for d in ("memory", "pids", "freezer", "unified"):
        parent = f"/sys/fs/cgroup/{d}/libpod_parent"
        leftovers = [c for c in os.listdir(parent) if c.startswith("libpod-")] if os.path.isdir(parent) else []
        assert leftovers == [], (d, leftovers)
