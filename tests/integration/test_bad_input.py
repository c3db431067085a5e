"""Bad input: one clear line naming the file, JSON path or flag and the cause; non-zero; nothing left behind."""
import json
import os

from conftest import assert_nothing_left, berth


def create(bundle, root, cid, *extra):
    return berth("create", "--bundle", bundle.path, *extra, cid, root=root)


def assert_failed_cleanly(r, root, cid, bundle, expected):
    assert r.rc != 0, r
    assert r.out == ""
    lines = r.err.splitlines()
    assert len(lines) == 1, r.err
    # What berth was doing and on what, then the cause.
    assert lines[0] == f'berth: create "{cid}": ' + expected
    assert_nothing_left(root, cid, bundle.path)


def test_missing_rootfs(bundle, root, cid):
    bundle.config["root"]["path"] = "nope"
    bundle.write()
    assert_failed_cleanly(create(bundle, root, cid), root, cid, bundle,
                          f"{bundle.path}/config.json: root.path: `nope`: No such file or directory")


def test_broken_config(bundle, root, cid):
    (bundle.path / "config.json").write_text('{"ociVersion": "1.0.0", "process": ')
    assert_failed_cleanly(create(bundle, root, cid), root, cid, bundle,
                          f"{bundle.path}/config.json: invalid JSON at line 1, column 36: parse error: premature EOF")


def test_invalid_value_in_config(bundle, root, cid):
    bundle.config["linux"]["resources"] = {"memory": {"limit": "1G"}}
    bundle.write()
    assert_failed_cleanly(create(bundle, root, cid), root, cid, bundle,
                          f'{bundle.path}/config.json: linux.resources.memory.limit: expected an integer from -1 to '
                          '9223372036854775807, got "1G"')


def test_missing_config(bundle, root, cid):
    assert_failed_cleanly(create(bundle, root, cid), root, cid, bundle,
                          f"{bundle.path}/config.json: No such file or directory")


def test_nonexistent_bundle(root, cid, bundle, tmp_path):
    r = berth("create", "--bundle", tmp_path / "nowhere", cid, root=root)
    assert_failed_cleanly(r, root, cid, bundle, f"--bundle `{tmp_path / 'nowhere'}`: No such file or directory")


def test_invalid_ids(bundle, root):
    bundle.write()
    for bad in ("a/b", "..", ".", "a b", "x" * 1025, ""):
        r = create(bundle, root, bad)
        assert r.rc == 1, bad
        assert r.err.startswith('berth: invalid container id "'), r.err
    assert os.listdir(root) == []


def test_duplicate_id(bundle, root, container):
    bundle.args("sleep", "10").write()
    assert create(bundle, root, container).rc == 0
    r = create(bundle, root, container)
    assert r.rc == 1
    assert r.err == f'berth: container "{container}" already exists\n'
    # The first container is untouched by the failed second create.
    assert json.loads(berth("state", container, root=root).out)["status"] == "created"


def test_missing_executable(bundle, root, cid):
    bundle.args("/bin/does-not-exist").write()
    assert_failed_cleanly(create(bundle, root, cid), root, cid, bundle,
                          'exec: "/bin/does-not-exist": No such file or directory')
    bundle.args("nosuchcmd").write()
    assert_failed_cleanly(create(bundle, root, cid), root, cid, bundle,
                          'exec: "nosuchcmd": executable file not found in $PATH')


def test_bad_flag_values(bundle, root, cid):
    bundle.write()
    r = create(bundle, root, cid, "--preserve-fds", "many")
    assert_failed_cleanly(r, root, cid, bundle, '--preserve-fds: expected a number of fds, got "many"')


def test_error_inside_the_init_names_the_step(bundle, root, cid):
    bundle.config["mounts"].append({"destination": "/x", "type": "bind", "source": "/does/not/exist"})
    bundle.write()
    assert_failed_cleanly(create(bundle, root, cid), root, cid, bundle,
                          'mount "/does/not/exist" on "/x": source: No such file or directory')


def test_host_sysctl_is_refused(bundle, root, cid):
    bundle.config["linux"]["sysctl"] = {"vm.swappiness": "10"}
    bundle.write()
    assert_failed_cleanly(create(bundle, root, cid), root, cid, bundle,
                          f"{bundle.path}/config.json: linux.sysctl.vm.swappiness: not a namespaced sysctl; "
                          "refusing to change the host")


def test_hostname_without_uts_namespace(bundle, root, cid):
    bundle.config["linux"]["namespaces"] = [ns for ns in bundle.config["linux"]["namespaces"] if ns["type"] != "uts"]
    bundle.write()
    assert_failed_cleanly(create(bundle, root, cid), root, cid, bundle,
                          f"{bundle.path}/config.json: hostname: needs a uts namespace in linux.namespaces")


def test_json_log_gets_the_cause(bundle, root, cid, tmp_path):
    bundle.config["root"]["path"] = "nope"
    bundle.write()
    log = tmp_path / "log.json"
    r = berth("--log", log, "--log-format", "json", "create", "--bundle", bundle.path, cid, root=root)
    assert r.rc == 1
    record = json.loads(log.read_text().splitlines()[-1])
    assert record["level"] == "error"
    assert record["msg"] == f'create "{cid}": {bundle.path}/config.json: root.path: `nope`: No such file or directory'


def test_deeply_nested_json_is_refused_before_it_is_parsed(bundle, root, cid):
    """yajl frees its tree recursively: 200,000 nested arrays exhausted berth's stack (a crash, not an error)."""
    bundle.write()
    config = json.loads((bundle.path / "config.json").read_text())
    text = json.dumps(config)[:-1] + ', "x-deep": ' + "[" * 200000 + "]" * 200000 + "}"
    (bundle.path / "config.json").write_text(text)
    assert_failed_cleanly(create(bundle, root, cid), root, cid, bundle,
                          f"{bundle.path}/config.json: invalid JSON: nested deeper than 64 levels")
