"""Shared fixtures for berth's integration tests: the binary, private roots, helpers."""
import os
import subprocess
import uuid

import pytest

BERTH = os.environ.get("BERTH") or os.path.join(os.path.dirname(__file__), "..", "..", "build", "berth")
GOLDEN = os.path.join(os.path.dirname(__file__), "golden")


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self):
        return f"rc={self.rc} out={self.out!r} err={self.err!r}"


def berth(*args, root=None, input=None, cwd=None, env=None, timeout=30):
    """Run berth with args; `root` is passed as --root before the subcommand."""
    argv = [BERTH]
    if root is not None:
        argv += ["--root", str(root)]
    argv += [str(a) for a in args]
    proc = subprocess.run(argv, input=input, capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)
    return Result(proc)


@pytest.fixture
def root(tmp_path):
    """A private state root, so tests never share containers."""
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def cid():
    """A unique container id."""
    return "t-" + uuid.uuid4().hex[:12]


def golden(name, actual):
    """Compare with tests/integration/golden/<name>; BERTH_UPDATE_GOLDEN=1 rewrites it."""
    path = os.path.join(GOLDEN, name)
    if os.environ.get("BERTH_UPDATE_GOLDEN") == "1":
        with open(path, "w") as f:
            f.write(actual)
    with open(path) as f:
        expected = f.read()
    assert actual == expected, f"{name} differs from its golden file"
