"""berth's output against the runtime-spec's own JSON schemas (v1.3.0, fetched by tests/deps.sh).

The golden files are berth's output as once reviewed; these check it, and the goldens, against an
expectation berth did not write: config-schema.json for `spec`, state-schema.json for `state`,
features-schema.json for `features`.
"""
import json
import os

import pytest

from conftest import GOLDEN, berth, state
from needs import missing

SCHEMA_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "build", "gomod", "github.com", "opencontainers",
                          "runtime-spec@v1.3.0", "schema")


@pytest.fixture(scope="module")
def validate():
    """validate(document, "config-schema.json") raises on any violation."""
    try:
        import jsonschema
    except ImportError:
        missing("python3-jsonschema is not installed")
    if not os.path.exists(os.path.join(SCHEMA_DIR, "config-schema.json")):
        missing("the runtime-spec v1.3.0 schemas are not in build/gomod")
    store = {}
    for name in os.listdir(SCHEMA_DIR):
        if name.endswith(".json"):
            with open(os.path.join(SCHEMA_DIR, name)) as f:
                store[name] = json.load(f)

    def check(document, schema_name):
        schema = store[schema_name]
        try:
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT4
            registry = Registry().with_resources(
                (name, Resource.from_contents(doc, default_specification=DRAFT4)) for name, doc in store.items())
            validator = jsonschema.Draft4Validator(schema, registry=registry)
        except ImportError:  # Debian 12's jsonschema 4.10
            resolver = jsonschema.RefResolver(base_uri="", referrer=schema, store=store)
            validator = jsonschema.Draft4Validator(schema, resolver=resolver)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        assert not errors, [f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5]]
    return check


def test_the_check_itself_refuses_a_broken_document(validate):
    # A validator that accepts everything would make the tests below pass whatever berth printed.
    with pytest.raises(AssertionError):
        validate({"ociVersion": "1.3.0", "id": "x", "status": "sleeping", "bundle": "/b"}, "state-schema.json")
    with pytest.raises(AssertionError):
        validate({"ociVersion": "1.3.0", "root": {"path": 7}}, "config-schema.json")
    with pytest.raises(AssertionError):
        validate({"ociVersion": "1.3.0", "linux": {"namespaces": ["nonet"]}}, "features-schema.json")


@pytest.mark.parametrize("flags", [[], ["--rootless"]], ids=["spec", "spec-rootless"])
def test_spec_is_a_valid_config(validate, tmp_path, flags):
    assert berth("spec", "--bundle", tmp_path, *flags).rc == 0
    validate(json.loads((tmp_path / "config.json").read_text()), "config-schema.json")


def test_golden_files_are_valid(validate):
    with open(os.path.join(GOLDEN, "spec.json")) as f:
        validate(json.load(f), "config-schema.json")
    with open(os.path.join(GOLDEN, "features.json")) as f:
        validate(json.load(f), "features-schema.json")


def test_features_are_valid(validate):
    r = berth("features")
    assert r.rc == 0, r
    validate(json.loads(r.out), "features-schema.json")


def test_state_is_valid_through_the_lifecycle(validate, bundle, root, container):
    bundle.config["annotations"] = {"org.example.key": "value"}
    bundle.args("sleep", "30").write()
    assert berth("create", "-b", bundle.path, container, root=root).rc == 0
    seen = [state(root, container)]
    assert berth("start", container, root=root).rc == 0
    seen.append(state(root, container))
    assert berth("kill", container, "KILL", root=root).rc == 0
    for _ in range(200):
        if state(root, container)["status"] == "stopped":
            break
    seen.append(state(root, container))
    assert [s["status"] for s in seen] == ["created", "running", "stopped"], seen
    for s in seen:
        validate(s, "state-schema.json")
    berth("delete", "-f", container, root=root)
