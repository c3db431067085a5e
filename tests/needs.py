"""What a test needs from the machine, said once for every suite.

A tool the tests need is installed by tests/deps.sh. On a developer's machine a missing one skips the tests
that need it; under CI=true (the README's test command, .ci/run) it fails them, so a CI that is green cannot
be hiding a tool nobody installed. A skip is otherwise only for what the host's kernel or cgroup layout
cannot do, and says so.
"""
import functools
import os
import shutil

import pytest

CI = os.environ.get("CI") == "true"


def missing(message):
    """Call from a fixture or test: the machine lacks what tests/deps.sh should have installed."""
    if CI:
        pytest.fail(f"{message} (tests/deps.sh installs it; under CI=true that is a failure, not a skip)")
    pytest.skip(f"{message} (tests/deps.sh installs it)")


def tools(*names):
    """Decorator: the test needs these programs on PATH."""
    absent = [n for n in names if not shutil.which(n)]

    def decorate(fn):
        if not absent:
            return fn

        @functools.wraps(fn)
        def without(*args, **kwargs):
            missing(f"{', '.join(absent)} not installed")
        return without
    return decorate
