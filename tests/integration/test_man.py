"""The man pages (man/*.scd) document every command and flag that --help shows, and no other."""
import os
import re

import pytest

from conftest import berth

MAN = os.path.join(os.path.dirname(__file__), "..", "..", "man")


def help_sections(args):
    r = berth(*args, "--help")
    assert r.rc == 0, r
    sections, current = {}, None
    for line in r.out.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            current = line[:-1]
            sections[current] = []
        elif current and line.strip():
            sections[current].append(line)
    return sections


def help_flags(lines):
    flags = set()
    for line in lines:
        # "   --bundle DIR, -b DIR    text": the option names before the description.
        spec = re.split(r"\s{2,}", line.strip())[0]
        flags.update(re.findall(r"(?:^|, )(--?[a-z][a-z-]*)", spec))
    return flags


def man_section(page, title):
    with open(os.path.join(MAN, page + ".scd")) as f:
        text = f.read()
    m = re.search(rf"^# {title}\n(.*?)(?=^# |\Z)", text, re.S | re.M)
    return m.group(1) if m else ""


def man_flags(section):
    # Option entries are the unindented lines: "*--bundle* _DIR_, *-b* _DIR_".
    return {f for line in section.splitlines() if line.startswith("*-") for f in re.findall(r"\*(--?[a-z][a-z-]*)\*", line)}


def commands():
    return [line.split()[0].rstrip(",") for line in help_sections([])["COMMANDS"] if not line.strip().startswith("help")]


def test_every_command_has_a_page_and_berth8_lists_it():
    listed = man_section("berth.8", "COMMANDS")
    for cmd in commands():
        assert os.path.exists(os.path.join(MAN, f"berth-{cmd}.8.scd")), cmd
        assert f"*{cmd}*" in listed, cmd
    pages = {f[len("berth-"):-len(".8.scd")] for f in os.listdir(MAN) if f.startswith("berth-")}
    assert pages == set(commands())


def test_global_options_match():
    assert man_flags(man_section("berth.8", "GLOBAL OPTIONS")) == help_flags(help_sections([])["GLOBAL OPTIONS"])


@pytest.mark.parametrize("cmd", ["create", "start", "run", "exec", "state", "kill", "delete", "list", "ps", "pause",
                                 "resume", "update", "events", "spec", "features", "checkpoint", "restore"])
def test_command_options_match(cmd):
    documented = man_flags(man_section(f"berth-{cmd}.8", "OPTIONS"))
    assert documented == help_flags(help_sections([cmd]).get("OPTIONS", [])), cmd
