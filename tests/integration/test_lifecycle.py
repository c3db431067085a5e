"""create, start, run, state, kill, delete, list: the lifecycle as runc's clients drive it."""
import json
import os
import re
import signal
import time

import pytest

from conftest import assert_nothing_left, berth, run, state, wait_for


def test_run_shows_a_container(bundle, root, container):
    r = run(bundle, root, container, "sh", "-c", "echo $$; hostname")
    assert r.rc == 0, r
    assert r.out.split() == ["1", "berth"]


def test_run_exit_status_is_the_containers(bundle, root, container):
    assert run(bundle, root, container, "sh", "-c", "exit 7").rc == 7


def test_run_killed_by_a_signal_exits_128_plus_n(bundle, root, container):
    import subprocess
    from conftest import BERTH
    bundle.args("sh", "-c", "echo ready; sleep 30").write()
    p = subprocess.Popen([BERTH, "--root", str(root), "run", "--bundle", str(bundle.path), container],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    assert berth("kill", container, "KILL", root=root).rc == 0
    assert p.wait(timeout=10) == 137


def test_run_forwards_signals_to_the_container(bundle, root, container):
    import subprocess
    from conftest import BERTH
    bundle.args("sh", "-c", "trap 'exit 42' TERM; echo ready; while true; do sleep 0.1; done").write()
    p = subprocess.Popen([BERTH, "--root", str(root), "run", "--bundle", str(bundle.path), container],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=10) == 42


def test_create_then_start(bundle, root, container, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    bundle.config["mounts"].append({"destination": "/out", "type": "bind", "source": str(out), "options": ["rbind"]})
    bundle.args("sh", "-c", "echo ran > /out/marker").write()
    pid_file = tmp_path / "pid"
    r = berth("create", "--bundle", bundle.path, "--pid-file", pid_file, container, root=root)
    assert r.rc == 0, r
    s = state(root, container)
    assert s["status"] == "created"
    # The pid file holds the init's host pid, with no newline (runc's format).
    assert pid_file.read_text() == str(s["pid"])
    assert os.path.exists(f"/proc/{s['pid']}")
    # The user's program must not run before start.
    time.sleep(0.2)
    assert not (out / "marker").exists()
    assert berth("start", container, root=root).rc == 0
    assert wait_for(lambda: (out / "marker").exists())
    assert wait_for(lambda: state(root, container)["status"] == "stopped")
    assert berth("start", container, root=root).err == f'berth: start "{container}": cannot start a container that has stopped\n'
    assert berth("delete", container, root=root).rc == 0
    assert_nothing_left(root, container)


def test_state_json_has_runcs_fields(bundle, root, container):
    bundle.config["annotations"] = {"org.example": "yes"}
    bundle.args("sleep", "30").write()
    assert berth("create", "-b", bundle.path, container, root=root).rc == 0
    s = state(root, container)
    assert list(s) == ["ociVersion", "id", "pid", "status", "bundle", "rootfs", "created", "owner", "annotations"]
    assert s["id"] == container and s["status"] == "created" and s["pid"] > 0
    assert s["bundle"] == str(bundle.path)
    assert s["rootfs"] == bundle.config["root"]["path"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", s["created"])
    assert s["owner"] == "" and s["annotations"] == {"org.example": "yes"}
    assert berth("start", container, root=root).rc == 0
    assert state(root, container)["status"] == "running"
    assert berth("kill", container, "KILL", root=root).rc == 0
    assert wait_for(lambda: state(root, container)["status"] == "stopped")
    assert state(root, container)["pid"] == 0


def start_sleeper(bundle, root, cid, script="sleep 30"):
    bundle.args("sh", "-c", script).write()
    assert berth("run", "-d", "--bundle", bundle.path, cid, root=root).rc == 0
    return state(root, cid)["pid"]


def test_kill_signal_spellings(bundle, root, container):
    start_sleeper(bundle, root, container, "trap 'exit 3' USR1; while true; do sleep 0.1; done")
    time.sleep(0.2)
    for bad in ("FOO", "SIGFOO", "RTMIN+99", "99999"):  # 0 is a valid probe (see test_runc_compat.py)
        r = berth("kill", container, bad, root=root)
        assert r.rc == 1 and r.err == f'berth: kill: unknown signal "{bad}"\n', r
    assert berth("kill", container, "SIGUSR1", root=root).rc == 0
    assert wait_for(lambda: state(root, container)["status"] == "stopped")
    r = berth("kill", container, "9", root=root)
    assert r.rc == 1 and "container not running" in r.err


def test_kill_defaults_to_term(bundle, root, container, tmp_path):
    # As pid 1 the shell ignores any signal it has no handler for: only TERM, the default, writes the file.
    out = tmp_path / "out"
    out.mkdir()
    bundle.config["mounts"].append({"destination": "/out", "type": "bind", "source": str(out), "options": ["rbind"]})
    start_sleeper(bundle, root, container,
                  "trap 'echo term > /out/signal; exit 0' TERM; touch /out/ready; while true; do sleep 0.1; done")
    assert wait_for(lambda: (out / "ready").exists())
    assert berth("kill", container, root=root).rc == 0
    assert wait_for(lambda: state(root, container)["status"] == "stopped")
    assert (out / "signal").read_text() == "term\n"


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("all_", [False, True], ids=["init-only", "all"])
def test_kill_all_reaches_processes_the_init_does_not_take_along(bundle, root, container, tmp_path, all_):
    # Without a pid namespace the init's death does not end its children: only --all reaches them.
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "pid"]
    out = tmp_path / "out"
    out.mkdir()
    bundle.config["mounts"].append({"destination": "/out", "type": "bind", "source": str(out), "options": ["rbind"]})
    start_sleeper(bundle, root, container, "sleep 100 & echo $! > /out/child; exec sleep 100")
    assert wait_for(lambda: (out / "child").exists() and (out / "child").read_text().strip())
    child = int((out / "child").read_text())
    assert alive(child)
    try:
        args = ["kill", "--all", container, "KILL"] if all_ else ["kill", container, "KILL"]
        assert berth(*args, root=root).rc == 0
        assert wait_for(lambda: state(root, container)["status"] == "stopped")
        if all_:
            assert wait_for(lambda: not alive(child)), "kill --all left a process of the container running"
        else:
            time.sleep(0.2)
            assert alive(child), "the control: without --all only the init is signalled"
    finally:
        berth("delete", "-f", container, root=root)
    assert wait_for(lambda: not alive(child)), "delete --force left a process of the container running"


def test_delete_refuses_a_running_container_without_force(bundle, root, container):
    start_sleeper(bundle, root, container)
    r = berth("delete", container, root=root)
    assert r.rc == 1
    assert r.err == f'berth: cannot delete container "{container}" that is not stopped: running\n'
    assert berth("delete", "-f", container, root=root).rc == 0
    assert_nothing_left(root, container)


def test_delete_a_created_container(bundle, root, container):
    bundle.args("true").write()
    assert berth("create", "-b", bundle.path, container, root=root).rc == 0
    assert berth("delete", container, root=root).rc == 0
    assert_nothing_left(root, container)


def test_unknown_containers(root, cid):
    for args in (["state", cid], ["kill", cid], ["delete", cid], ["start", cid]):
        r = berth(*args, root=root)
        assert r.rc == 1, args
        assert r.err == f'berth: container "{cid}" does not exist\n', args
    # The shim deletes twice; podman deletes with --force whatever the state: both succeed.
    assert berth("delete", "--force", cid, root=root).rc == 0


def test_list(bundle, root, container):
    assert berth("list", "--format", "json", root=root).out == "null\n"
    assert berth("list", root=root).out.startswith("ID ")
    start_sleeper(bundle, root, container)
    listed = json.loads(berth("list", "-f", "json", root=root).out)
    assert [c["id"] for c in listed] == [container]
    assert listed[0]["status"] == "running"
    assert berth("list", "-q", root=root).out == container + "\n"
    table = berth("list", root=root).out.splitlines()
    assert table[1].split()[:3] == [container, str(listed[0]["pid"]), "running"]
    r = berth("list", "--format", "yaml", root=root)
    assert r.rc == 1 and 'unknown value "yaml"' in r.err


def test_run_detach_and_keep(bundle, root, container):
    bundle.args("true").write()
    assert berth("run", "--keep", "-b", bundle.path, container, root=root).rc == 0
    assert state(root, container)["status"] == "stopped"
    assert berth("delete", container, root=root).rc == 0


def test_concurrent_commands_on_one_id_are_serialised(bundle, root, container):
    import concurrent.futures
    start_sleeper(bundle, root, container)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: berth("delete", "--force", container, root=root), range(4)))
    assert all(r.rc == 0 for r in results), results
    assert_nothing_left(root, container)
