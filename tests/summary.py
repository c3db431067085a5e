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
    for suite in root.iter("testsuite"):
        failed_here = 0
        for case in suite.iter("testcase"):
            result = outcome(case)
            totals[result] += 1
            failed_here += result == "failed"
            classname = case.get("classname", "")
            for name, modules in GROUPS.items():
                if any(classname.endswith(m) for m in ((modules,) if isinstance(modules, str) else modules)):
                    groups[name][result] += 1
        # Criterion leaves out a test that crashed in its setup or teardown, counting it only in the suite's
        # failures and errors (one each): what the suite declares and no testcase shows is a failure too.
        declared = max(int(suite.get("failures", 0) or 0), int(suite.get("errors", 0) or 0))
        totals["failed"] += max(0, declared - failed_here)
for name, counts in groups.items():
    print(f"{name}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
print(f"{totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped")
sys.exit(1 if totals["failed"] or totals["passed"] == 0 else 0)
