"""Hooks: each kind at its moment, with the state on stdin, args, env, timeout and the spec's failure rules."""
import json

from conftest import assert_nothing_left, berth, state, wait_for


def recording_hook(log, kind, **extra):
    """A hook that appends '<kind> <state json>' to log (sh reads the state from stdin)."""
    hook = {"path": "/bin/sh", "args": ["sh", "-c", f'read -r s; echo "{kind} $s $HOOK_ENV" >> {log}'],
            "env": ["HOOK_ENV=from-env"]}
    hook.update(extra)
    return hook


def read_log(log):
    records = []
    for line in log.read_text().splitlines():
        kind, rest = line.split(" ", 1)
        doc, env = rest.rsplit(" ", 1)
        records.append((kind, json.loads(doc), env))
    return records


def test_all_six_hooks_in_order_with_state_on_stdin(public_bundle, root, container, tmp_path):
    bundle = public_bundle
    log = tmp_path / "hooks.log"
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o777)
    bundle.config["mounts"].append({"destination": "/out", "type": "bind", "source": str(out), "options": ["rbind"]})
    bundle.config["hooks"] = {
        "prestart": [recording_hook(log, "prestart")],
        "createRuntime": [recording_hook(log, "createRuntime")],
        "createContainer": [recording_hook(log, "createContainer")],
        # startContainer runs in the container: its path and files are the container's.
        "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "read -r s; echo \"startContainer $s x\" >> /out/start.log"]}],
        "poststart": [recording_hook(log, "poststart")],
        "poststop": [recording_hook(log, "poststop")],
    }
    bundle.args("sh", "-c", "echo process >> /out/process.log").write()
    assert berth("create", "-b", bundle.path, container, root=root).rc == 0
    pid = state(root, container)["pid"]
    assert [r[0] for r in read_log(log)] == ["prestart", "createRuntime", "createContainer"]
    assert berth("start", container, root=root).rc == 0
    assert wait_for(lambda: (out / "process.log").exists())
    assert wait_for(lambda: state(root, container)["status"] == "stopped")
    assert berth("delete", container, root=root).rc == 0
    records = read_log(log)
    assert [r[0] for r in records] == ["prestart", "createRuntime", "createContainer", "poststart", "poststop"]
    for kind, doc, env in records:
        assert doc["id"] == container and doc["bundle"] == str(bundle.path), kind
        assert env == "from-env", kind
    statuses = {kind: doc["status"] for kind, doc, _ in records}
    assert statuses == {"prestart": "creating", "createRuntime": "creating", "createContainer": "creating",
                        "poststart": "running", "poststop": "stopped"}
    assert records[0][1]["pid"] == pid
    start_record = (out / "start.log").read_text().split(" ", 1)[1].rsplit(" ", 1)[0]
    assert json.loads(start_record)["status"] == "created"


def test_failing_create_runtime_hook_aborts_create(bundle, root, cid, tmp_path):
    bundle.config["hooks"] = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "echo no way >&2; exit 3"]}]}
    bundle.args("true").write()
    r = berth("create", "-b", bundle.path, cid, root=root)
    assert r.rc == 1
    assert r.err == f'berth: create "{cid}": createRuntime hook `/bin/sh`: exited with status 3: no way\n'
    assert_nothing_left(root, cid, bundle.path)


def test_hook_timeout(bundle, root, cid):
    bundle.config["hooks"] = {"prestart": [{"path": "/bin/sleep", "args": ["sleep", "10"], "timeout": 1}]}
    bundle.args("true").write()
    r = berth("create", "-b", bundle.path, cid, root=root)
    assert r.rc == 1
    assert r.err == f'berth: create "{cid}": prestart hook `/bin/sleep`: timed out after 1s\n'
    assert_nothing_left(root, cid, bundle.path)


def test_failing_poststop_hook_only_warns(bundle, root, container):
    bundle.config["hooks"] = {"poststop": [{"path": "/bin/false"}]}
    bundle.args("true").write()
    r = berth("run", "-b", bundle.path, container, root=root)
    assert r.rc == 0, r
    assert "warning: poststop hook `/bin/false`: exited with status 1" in r.err


def test_failing_poststart_hook_only_warns(bundle, root, container):
    bundle.config["hooks"] = {"poststart": [{"path": "/bin/false"}]}
    bundle.args("true").write()
    r = berth("run", "-b", bundle.path, container, root=root)
    assert r.rc == 0, r
    assert "warning: poststart hook `/bin/false`" in r.err


def test_poststop_runs_for_a_state_written_before_berth_recorded_hooks(bundle, root, container, tmp_path):
    """delete reads the config only when the state says it has poststop hooks, or says nothing (an older berth)."""
    log = tmp_path / "hooks.log"
    bundle.config["hooks"] = {"poststop": [recording_hook(log, "poststop")]}
    bundle.args("true").write()
    assert berth("create", "-b", bundle.path, container, root=root).rc == 0
    path = root / container / "state.json"
    saved = json.loads(path.read_text())
    assert saved["poststopHooks"] is True
    del saved["poststopHooks"]
    path.write_text(json.dumps(saved))
    assert berth("delete", "--force", container, root=root).rc == 0
    assert [r[0] for r in read_log(log)] == ["poststop"]


BIG = {f"example.com/key-{i}": "v" * 1000 for i in range(100)}  # ~100 KB of annotations, as Kubernetes sends


def test_every_hook_gets_the_whole_state_whatever_its_size(public_bundle, root, container, tmp_path):
    """createContainer and startContainer hooks got the state cut at the init's message size (3,584 bytes):
    invalid JSON. Each kind must read the state whole, and parse it."""
    bundle = public_bundle
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o777)
    bundle.config["mounts"].append({"destination": "/out", "type": "bind", "source": str(out), "options": ["rbind"]})
    bundle.config["annotations"] = BIG

    def dump(kind, where):
        return {"path": "/bin/sh", "args": ["sh", "-c", f"cat > {where}/{kind}.json"]}
    bundle.config["hooks"] = {k: [dump(k, out)] for k in ("prestart", "createRuntime", "createContainer",
                                                          "poststart", "poststop")}
    bundle.config["hooks"]["startContainer"] = [dump("startContainer", "/out")]
    bundle.args("true").write()
    assert berth("run", "-b", bundle.path, container, root=root).rc == 0
    for kind in ("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"):
        doc = json.loads((out / f"{kind}.json").read_text())
        assert doc["id"] == container and doc["annotations"] == BIG, kind


def test_a_hook_that_never_reads_its_state_still_times_out(bundle, root, cid):
    """berth blocked writing 100 KB of state into a pipe nobody read, past the hook's timeout."""
    bundle.config["annotations"] = BIG
    bundle.config["hooks"] = {"prestart": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 2}]}
    bundle.args("true").write()
    r = berth("create", "-b", bundle.path, cid, root=root, timeout=20)
    assert r.rc == 1
    assert r.err == f'berth: create "{cid}": prestart hook `/bin/sleep`: timed out after 2s\n', r
    assert_nothing_left(root, cid, bundle.path)


def test_a_timeout_of_years_does_not_wrap(bundle, root, container):
    """A timeout above 2,147,483 s overflowed the poll interval and killed the hook after 113 ms."""
    bundle.config["hooks"] = {"prestart": [{"path": "/bin/sleep", "args": ["sleep", "1"], "timeout": 3000000}]}
    bundle.args("true").write()
    r = berth("run", "-b", bundle.path, container, root=root)
    assert r.rc == 0, r
