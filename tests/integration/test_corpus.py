"""The bad-input corpus (tests/data/bad): broken configs and command lines. Each gets a non-zero exit, exactly one
error line, the message recorded for it (naming the file, JSON path or flag, and the cause), and leaves nothing."""
import copy
import json
import os

import pytest

from conftest import assert_nothing_left, berth

CORPUS = os.path.join(os.path.dirname(__file__), "..", "data", "bad")
with open(os.path.join(CORPUS, "configs.json")) as f:
    CONFIGS = json.load(f)
with open(os.path.join(CORPUS, "cli.json")) as f:
    CLI = json.load(f)


def case_id(case):
    if "raw" in case:
        return "raw:" + (case["raw"][:20] or "empty")
    return (case.get("set") or "del:" + case["delete"]) + ":" + json.dumps(case.get("value"))[:30]


def apply(config, case):
    keys = [int(k) if k.isdigit() else k for k in (case.get("set") or case.get("delete")).split(".")]
    node = config
    for k in keys[:-1]:
        node = node[k]
    if "delete" in case:
        del node[keys[-1]]
    else:
        node[keys[-1]] = case["value"]


def assert_one_error_line(r, expected):
    assert r.rc != 0, r
    assert r.out == "", r
    assert r.err.count("\n") == 1 and r.err.endswith("\n"), r.err
    assert r.err == "berth: " + expected + "\n"


@pytest.mark.parametrize("case", CONFIGS, ids=[case_id(c) for c in CONFIGS])
def test_broken_config(bundle, root, cid, case):
    if "raw" in case:
        bundle.write()
        (bundle.path / "config.json").write_text(case["raw"])
    else:
        config = copy.deepcopy(bundle.config)
        apply(config, case)
        (bundle.path / "config.json").write_text(json.dumps(config))
    r = berth("create", "-b", bundle.path, cid, root=root)
    if r.rc == 0:  # accepted after all: the test fails, but leaves no container behind
        berth("delete", "--force", cid, root=root)
    assert_one_error_line(r, case["expect"].replace("{bundle}", str(bundle.path)).replace("{cid}", cid))
    assert_nothing_left(root, cid, bundle.path)


@pytest.fixture
def created(bundle, root, cid):
    bundle.args("sleep", "60").write()
    name = cid + "-live"
    assert berth("create", "-b", bundle.path, name, root=root).rc == 0
    yield name
    assert berth("delete", "--force", name, root=root).rc == 0
    assert_nothing_left(root, name, bundle.path)


@pytest.mark.parametrize("case", CLI, ids=[" ".join(c["args"]) for c in CLI])
def test_broken_command_line(bundle, root, cid, created, case):
    def fill(text):
        return text.replace("{bundle}", str(bundle.path)).replace("{root}", str(root)) \
            .replace("{cid}", "nosuch").replace("{created}", created)
    r = berth(*[fill(a) for a in case["args"]], root=root)
    assert r.rc == case["rc"], r
    assert_one_error_line(r, fill(case["expect"]))
    # Nothing new under the root but the created container, and it is untouched.
    assert sorted(os.listdir(root)) == [created]
    assert json.loads(berth("state", created, root=root).out)["status"] == "created"


with open(os.path.join(CORPUS, "process.json")) as f:
    PROCESSES = json.load(f)


@pytest.mark.parametrize("case", PROCESSES, ids=[json.dumps(c.get("json", c.get("raw")))[:40] for c in PROCESSES])
def test_broken_process_json(bundle, root, created, case, tmp_path):
    """exec --process FILE (the shims' way) with a broken runtime-spec process object."""
    path = bundle.path / "process.json"
    path.write_text(case["raw"] if "raw" in case else json.dumps(case["json"]))
    r = berth("exec", "--process", path, created, root=root)
    assert_one_error_line(r, case["expect"].replace("{bundle}", str(bundle.path)).replace("{created}", created))
    assert json.loads(berth("state", created, root=root).out)["status"] == "created"
