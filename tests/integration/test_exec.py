"""exec, pause/resume and ps on a running container, as containerd's shim and conmon use them."""
import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from cgroupfs import V2
from conftest import BERTH, ConsoleSocket, berth, state, wait_for


@pytest.fixture
def running(bundle, root, container, tmp_path):
    """A running container with a host directory at /out."""
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o777)
    bundle.config["mounts"].append({"destination": "/out", "type": "bind", "source": str(out), "options": ["rbind"]})
    bundle.config["hostname"] = "exechost"
    bundle.args("sh", "-c", "echo $$ > /out/init; sleep 60").write()
    assert berth("run", "-d", "-b", bundle.path, container, root=root).rc == 0
    assert wait_for(lambda: (out / "init").exists())
    return container


def test_exec_joins_the_containers_namespaces(root, running):
    r = berth("exec", running, "sh", "-c", "hostname; echo $$; cat /out/init; readlink /proc/self/ns/net",
              root=root)
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0] == "exechost"
    assert lines[1] != "1" and lines[2] == "1", "not the init, but in its pid namespace"
    init = state(root, running)["pid"]
    assert lines[3] == os.readlink(f"/proc/{init}/ns/net")


def test_exec_exit_status_and_signals(root, running):
    assert berth("exec", running, "sh", "-c", "exit 3", root=root).rc == 3
    p = subprocess.Popen([BERTH, "--root", str(root), "exec", running, "sh", "-c",
                          "trap 'exit 42' TERM; echo ready; while true; do sleep 0.1; done"],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    p.send_signal(15)
    assert p.wait(timeout=10) == 42


def test_exec_flags(root, running):
    r = berth("exec", "--cwd", "/tmp", "--env", "A=1", "-e", "PATH=/bin", "--user", "1000:1001",
              "--additional-gids", "5", "-g", "6", "--no-new-privs", running,
              "sh", "-c", "pwd; echo $A $PATH; id -u; id -g; id -G; grep NoNewPrivs /proc/self/status", root=root)
    assert r.rc == 0, r
    assert r.out.splitlines() == ["/tmp", "1 /bin", "1000", "1001", "1001 5 6", "NoNewPrivs:\t1"]


def test_exec_cap_adds_to_bounding_effective_permitted_not_inheritable(root, running):
    r = berth("exec", "--cap", "CAP_NET_RAW", running, "grep", "-E", "Cap(Inh|Eff|Bnd)", "/proc/self/status",
              root=root)
    assert r.rc == 0, r
    caps = dict(line.split(":\t") for line in r.out.splitlines())
    raw = 1 << 13
    assert int(caps["CapBnd"], 16) & raw and int(caps["CapEff"], 16) & raw
    assert int(caps["CapInh"], 16) == 0, "CVE-2022-29162: no inheritable capability that was not asked for"


def test_exec_process_file_as_the_shim_sends_it(root, running, tmp_path):
    process = {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", "echo from-file $X; pwd"],
               "env": ["PATH=/bin", "X=y"], "cwd": "/out",
               "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}}
    path = tmp_path / "process.json"
    path.write_text(json.dumps(process))
    r = berth("exec", "--process", path, running, root=root)
    assert r.rc == 0, r
    assert r.out.split() == ["from-file", "y", "/out"]
    path.write_text('{"args": "nope"}')
    r = berth("exec", "--process", path, running, root=root)
    assert r.rc == 255 and r.err == f"berth: exec \"{running}\": {path}: args: expected an array, got \"nope\"\n"


def test_exec_detach_pid_file_and_cgroup(root, running, tmp_path):
    pid_file = tmp_path / "exec.pid"
    r = berth("exec", "-d", "--pid-file", pid_file, running, "sleep", "30", root=root)
    assert r.rc == 0, r
    pid = int(pid_file.read_text())
    with open(f"/proc/{pid}/cgroup") as f:
        assert running in f.read(), "the exec'd process is in the container's cgroup"
    assert pid in json.loads(berth("ps", "--format", "json", running, root=root).out)


def test_exec_with_a_terminal_over_console_socket(root, running, tmp_path):
    console = ConsoleSocket(tmp_path / "tty.sock")
    r = berth("exec", "--tty", "--detach", "--console-socket", console.path, running, "sh", "-c", "tty; sleep 0.5",
              root=root)
    console.wait()
    assert r.rc == 0, r
    assert console.read_all().strip().startswith("/dev/pts/")


def test_exec_errors(root, running, bundle, cid):
    # runc's exec exits 255 when it fails, so a caller tells its failure from the process' own status.
    r = berth("exec", running, "nosuch", root=root)
    assert r.rc == 255 and r.err == 'berth: exec: "nosuch": executable file not found in $PATH\n'
    r = berth("exec", running, root=root)
    assert r.rc == 255 and "no command given" in r.err
    r = berth("exec", "--user", "bob", running, "true", root=root)
    assert r.rc == 255 and r.err == 'berth: exec: --user: expected UID or UID:GID (numbers), got "bob"\n'
    r = berth("exec", "no-" + cid, "true", root=root)
    assert r.rc == 255 and r.err == f'berth: container "no-{cid}" does not exist\n'
    assert berth("kill", running, "KILL", root=root).rc == 0
    assert wait_for(lambda: state(root, running)["status"] == "stopped")
    r = berth("exec", running, "true", root=root)
    assert r.rc == 255 and r.err == f'berth: exec "{running}": cannot exec in a stopped container\n'


def test_exec_preserve_fds(root, running):
    r_fd, w_fd = os.pipe()
    proc = subprocess.run(["bash", "-c", f'exec "$0" "$@" 3>&{w_fd}', BERTH, "--root", str(root), "exec",
                           "--preserve-fds", "1", running, "sh", "-c", "echo via-3 >&3; ls /proc/self/fd | wc -l"],
                          pass_fds=(w_fd,), capture_output=True, text=True, timeout=30)
    os.close(w_fd)
    assert proc.returncode == 0, proc
    assert os.read(r_fd, 100) == b"via-3\n"
    assert proc.stdout.strip() == "5"
    os.close(r_fd)


SHIM = textwrap.dedent("""
    import ctypes, os, subprocess, sys
    assert ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0  # a subreaper, like containerd's shim
    berth, root, cid, pid_file = sys.argv[1:5]
    subprocess.run([berth, "--root", root, "exec", "--detach", "--pid-file", pid_file, cid, "sh", "-c", "sleep 0.2; exit 3"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pid = int(open(pid_file).read())
    _, status = os.waitpid(pid, 0)
    print(os.WEXITSTATUS(status))
""")


def test_detached_exec_is_the_callers_descendant(root, running, tmp_path):
    r = subprocess.run([sys.executable, "-c", SHIM, BERTH, str(root), running, str(tmp_path / "pid")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    assert r.stdout.strip() == "3"


def test_exec_into_a_sub_cgroup(root, running):
    init = state(root, running)["pid"]
    created = []
    with open(f"/proc/{init}/cgroup") as f:
        entries = [line.strip().split(":", 2) for line in f]
    mounts = {"": "/sys/fs/cgroup" if V2 else "/sys/fs/cgroup/unified"}
    for _, controllers, path in entries:
        base = mounts.get(controllers, "/sys/fs/cgroup/" + controllers.replace("name=", ""))
        if not os.path.isdir(base):
            continue
        sub = os.path.join(base + path, "sub")
        os.mkdir(sub)
        created.append(sub)
        if controllers == "cpuset":
            for f in ("cpuset.cpus", "cpuset.mems"):
                open(os.path.join(sub, f), "w").write(open(os.path.join(base + path, f)).read())
    try:
        r = berth("exec", "--cgroup", "sub", running, "cat", "/proc/self/cgroup", root=root)
        assert r.rc == 0, r
        # The pids line on v1 (or the one line on v2) names the sub-cgroup.
        assert any(line.endswith("/sub") and line.split(":")[1] == ("" if V2 else "pids")
                   for line in r.out.split()), r.out
        r = berth("exec", "--cgroup", "../../escape", running, "true", root=root)
        assert r.rc == 255 and "must stay inside the container's cgroup" in r.err
    finally:
        for sub in created:
            os.rmdir(sub)


def test_pause_and_resume(root, running, tmp_path):
    berth("exec", "-d", running, "sh", "-c", "while true; do date +%s%N > /out/tick; sleep 0.02; done", root=root)
    tick = tmp_path / "out" / "tick"
    assert wait_for(tick.exists)
    assert berth("pause", running, root=root).rc == 0
    assert state(root, running)["status"] == "paused"
    frozen = tick.read_text()
    time.sleep(0.3)
    assert tick.read_text() == frozen, "a paused container does not run"
    r = berth("exec", running, "true", root=root)
    assert r.rc == 255 and "cannot exec in a paused container" in r.err
    r = berth("pause", running, root=root)
    assert r.rc == 1 and "container not running" in r.err
    assert berth("resume", running, root=root).rc == 0
    assert state(root, running)["status"] == "running"
    assert wait_for(lambda: tick.read_text() != frozen)
    r = berth("resume", running, root=root)
    assert r.rc == 1 and "is not paused" in r.err


def test_exec_ignore_paused(root, running, tmp_path):
    assert berth("pause", running, root=root).rc == 0
    # The new process joins the frozen cgroup, so it runs once the container is resumed (as with runc).
    p = subprocess.Popen([BERTH, "--root", str(root), "exec", "-d", "--ignore-paused", running, "touch", "/out/ran"])
    time.sleep(0.3)
    assert not (tmp_path / "out" / "ran").exists()
    assert berth("resume", running, root=root).rc == 0
    assert p.wait(timeout=10) == 0
    assert wait_for((tmp_path / "out" / "ran").exists)


def test_delete_force_of_a_paused_container(root, running):
    assert berth("pause", running, root=root).rc == 0
    assert berth("delete", "--force", running, root=root).rc == 0


def test_ps(root, running):
    pid = state(root, running)["pid"]
    assert json.loads(berth("ps", "-f", "json", running, root=root).out) == [pid]
    table = berth("ps", running, root=root).out.splitlines()
    assert table[0].split()[:2] == ["UID", "PID"]
    assert [line.split()[1] for line in table[1:]] == [str(pid)]
    custom = berth("ps", running, "--", "-o", "pid,comm", root=root).out.splitlines()
    assert custom[1].split() == [str(pid), open(f"/proc/{pid}/comm").read().strip()]
    r = berth("ps", "--format", "xml", running, root=root)
    assert r.rc == 1 and 'unknown value "xml"' in r.err


@pytest.mark.skipif(not __import__("shutil").which("strace"), reason="needs strace")
def test_processes_are_born_in_their_cgroup(bundle, root, container, tmp_path):
    """create and exec clone straight into the cgroup2 directory (CLONE_INTO_CGROUP)."""
    bundle.args("sleep", "30").write()
    # LeakSanitizer cannot run under ptrace: a sanitizer build must not try.
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    trace = tmp_path / "create.trace"
    r = subprocess.run(["strace", "-e", "trace=clone3", "-o", str(trace), BERTH, "--root", str(root), "create",
                        "-b", str(bundle.path), container], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=30, env=env)
    assert r.returncode == 0, r
    assert "CLONE_INTO_CGROUP" in trace.read_text()
    assert berth("start", container, root=root).rc == 0
    trace = tmp_path / "exec.trace"
    r = subprocess.run(["strace", "-e", "trace=clone3", "-o", str(trace), BERTH, "--root", str(root), "exec",
                        container, "true"], capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 0, r
    assert "CLONE_INTO_CGROUP" in trace.read_text()
