#!/usr/bin/env python3
"""Sum JUnit XML reports into the closing line: "N passed, M failed, K skipped".

Before it, one line per reliability group (load, faults, bad input) over every suite that ran them."""
import sys
import xml.etree.ElementTree as ET

GROUPS = {"load": "test_load", "faults": "test_faults", "bad input": ("test_corpus", "test_bad_input")}


def outcome(case):
    if case.find("failure") is not None or case.find("error") is not None:
        return "failed"
    if case.find("skipped") is not None:
        return "skipped"
    return "passed"


totals = {"passed": 0, "failed": 0, "skipped": 0}
groups = {name: {"passed": 0, "failed": 0, "skipped": 0} for name in GROUPS}
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"{path}: unreadable report: {e}", file=sys.stderr)
        totals["failed"] += 1
        continue
    for case in root.iter("testcase"):
        result = outcome(case)
        totals[result] += 1
        classname = case.get("classname", "")
        for name, modules in GROUPS.items():
            if any(classname.endswith(m) for m in ((modules,) if isinstance(modules, str) else modules)):
                groups[name][result] += 1
for name, counts in groups.items():
    print(f"{name}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
print(f"{totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped")
sys.exit(1 if totals["failed"] or totals["passed"] == 0 else 0)
