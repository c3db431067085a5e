"""berth spec: runc's default config at runtime-spec 1.3.0, refusing to overwrite."""
import json
import os
import shutil
import subprocess

import pytest

from cgroupfs import V2
from conftest import berth, golden
from needs import tools


def test_spec_writes_runcs_default(tmp_path):
    r = berth("spec", cwd=tmp_path)
    assert r.rc == 0, r
    text = (tmp_path / "config.json").read_text()
    config = json.loads(text)
    # As runc's: a cgroup namespace on a cgroup v2 host only. The golden file is the v2 host's spec.
    if not V2:
        assert {"type": "cgroup"} not in config["linux"]["namespaces"]
        config["linux"]["namespaces"].append({"type": "cgroup"})
        text = json.dumps(config, indent="\t") + ("\n" if text.endswith("\n") else "")
    else:
        assert {"type": "cgroup"} in config["linux"]["namespaces"]
    golden("spec.json", text)
    assert config["ociVersion"] == "1.3.0"
    assert config["process"]["args"] == ["sh"]
    assert config["root"] == {"path": "rootfs", "readonly": True}


@tools("runc")
@pytest.mark.parametrize("rootless", [False, True])
def test_spec_matches_runc_but_for_known_differences(tmp_path, rootless):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    flags = ["--rootless"] if rootless else []
    assert berth("spec", "--bundle", ours, *flags).rc == 0
    subprocess.run(["runc", "spec", "--bundle", str(theirs), *flags], check=True)
    a = json.loads((ours / "config.json").read_text())
    b = json.loads((theirs / "config.json").read_text())
    # What berth deliberately does differently from runc 1.1.5:
    a["ociVersion"] = b["ociVersion"]                  # berth speaks runtime-spec 1.3.0
    a["hostname"] = b["hostname"]                      # "berth" rather than "runc"
    a["linux"]["maskedPaths"].remove("/sys/devices/virtual/powercap")  # CVE-2020-8694, as runc >= 1.2
    assert a == b


def test_spec_rootless_maps_the_caller(tmp_path):
    assert berth("spec", "--rootless", "-b", tmp_path).rc == 0
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["linux"]["uidMappings"] == [{"containerID": 0, "hostID": os.geteuid(), "size": 1}]
    assert {"type": "user"} in config["linux"]["namespaces"]
    assert {"type": "network"} not in config["linux"]["namespaces"]
    assert "resources" not in config["linux"]


def test_spec_refuses_to_overwrite(tmp_path):
    (tmp_path / "config.json").write_text("mine")
    r = berth("spec", "--bundle", tmp_path)
    assert r.rc == 1
    assert r.err == f"berth: spec: config.json already exists in `{tmp_path}`; remove it first\n"
    assert (tmp_path / "config.json").read_text() == "mine"


def test_spec_into_missing_bundle(tmp_path):
    r = berth("spec", "--bundle", tmp_path / "nope")
    assert r.rc == 1
    assert r.err == f"berth: spec: --bundle `{tmp_path / 'nope'}`: No such file or directory\n"
    assert not (tmp_path / "nope").exists()


def test_spec_file_is_private_to_no_one(tmp_path):
    berth("spec", cwd=tmp_path)
    assert oct(os.stat(tmp_path / "config.json").st_mode & 0o777) == "0o644"
