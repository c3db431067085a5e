"""The CLI frame: runc's global options, help, version, errors and log formats."""
import json
import re

from conftest import berth, golden


def normalise(text):
    """Hide what changes with every build: the commit."""
    return re.sub(r"commit: \S+", "commit: COMMIT", text)


def test_version_has_runcs_shape():
    r = berth("--version")
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert re.fullmatch(r"berth version \d+\.\d+\.\d+", lines[0])
    assert lines[1].startswith("commit: ")
    assert lines[2] == "spec: 1.3.0"
    assert len(lines) == 3
    assert berth("-v").out == r.out
    golden("version.txt", normalise(r.out))


def test_help_lists_commands_and_global_options():
    r = berth("--help")
    assert r.rc == 0, r
    golden("help.txt", normalise(r.out))
    assert berth("help").out == r.out
    assert berth("-h").out == r.out


def test_help_for_a_command():
    r = berth("spec", "--help")
    assert r.rc == 0, r
    golden("help-spec.txt", r.out)
    assert berth("help", "spec").out == r.out


def test_no_command_shows_help_and_fails():
    r = berth()
    assert r.rc != 0
    assert "USAGE:" in r.out


def test_unknown_command_is_one_clear_line():
    r = berth("frobnicate")
    assert r.rc == 3, r
    assert r.err == "berth: unknown command 'frobnicate' (see 'berth --help')\n"
    assert r.out == ""


def test_unknown_help_topic():
    r = berth("help", "frobnicate")
    assert r.rc == 3
    assert "no help topic for 'frobnicate'" in r.err


def test_unknown_global_flag():
    r = berth("--frobnicate", "spec")
    assert r.rc == 1, r
    assert r.err == "berth: flag provided but not defined: --frobnicate\n"


def test_unknown_command_flag_names_command_and_flag(tmp_path):
    r = berth("spec", "--frobnicate", cwd=tmp_path)
    assert r.rc == 1, r
    assert r.err == "berth: spec: flag provided but not defined: --frobnicate\n"
    assert not (tmp_path / "config.json").exists()


def test_flag_missing_its_value():
    r = berth("--root")
    assert r.rc == 1
    assert "flag needs an argument: --root" in r.err


def test_bad_global_values_are_rejected():
    for flag, value in [("--log-format", "xml"), ("--rootless", "maybe"), ("--cgroup-manager", "lxc")]:
        r = berth(flag, value, "features")
        assert r.rc == 1, (flag, r)
        assert r.err == f'berth: {flag}: unknown value "{value}"\n'


def test_global_options_in_every_spelling(tmp_path):
    # containerd: "--log-format json" (two words); conmon: "--log-format=json"; Go: "-root x".
    for args in (["--root", tmp_path, "--log-format", "json"], [f"--root={tmp_path}", "--log-format=json"],
                 ["-root", tmp_path, "-log-format=json", "--debug", "--systemd-cgroup", "--rootless=false"],
                 ["--cgroup-manager", "disabled"], ["--cgroup-manager=systemd"]):
        r = berth(*args, "features")
        assert r.rc == 0, (args, r)
        json.loads(r.out)


def test_json_log_record_carries_the_cause(tmp_path):
    log = tmp_path / "log.json"
    r = berth("--log", log, "--log-format", "json", "frobnicate")
    assert r.rc == 3
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(records) == 1
    rec = records[0]
    assert rec["level"] == "error"
    assert rec["msg"] == "unknown command 'frobnicate' (see 'berth --help')"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rec["time"])
    # With the log in a file, stderr still gets the bare message (runc does the same).
    assert r.err == "berth: unknown command 'frobnicate' (see 'berth --help')\n"


def test_json_log_to_stderr_without_a_file():
    r = berth("--log-format", "json", "frobnicate")
    rec = json.loads(r.err)
    assert rec["level"] == "error" and "frobnicate" in rec["msg"]


def test_text_log_file_is_logrus_shaped(tmp_path):
    log = tmp_path / "log.txt"
    berth("--log", log, "frobni\"cate")
    line = log.read_text()
    assert re.fullmatch(r'time="[^"]+" level=error msg="unknown command \'frobni\\"cate\' \(see \'berth --help\'\)"\n',
                        line), line


def test_log_records_append(tmp_path):
    log = tmp_path / "log.json"
    berth("--log", log, "--log-format", "json", "one")
    berth("--log", log, "--log-format", "json", "two")
    msgs = [json.loads(line)["msg"] for line in log.read_text().splitlines()]
    assert ["one" in msgs[0], "two" in msgs[1]] == [True, True]


def test_unwritable_log_is_an_error(tmp_path):
    r = berth("--log", tmp_path / "missing" / "log", "features")
    assert r.rc == 1
    assert "--log: open" in r.err and "No such file or directory" in r.err


def test_commands_reject_extra_arguments(tmp_path):
    r = berth("features", "extra")
    assert r.rc == 1
    assert r.err == 'berth: features: takes no arguments, got "extra"\n'
