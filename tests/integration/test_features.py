"""berth features: the runtime-spec features document, claiming only what berth implements."""
import json
import re

from conftest import berth, golden


def features():
    r = berth("features")
    assert r.rc == 0, r
    return json.loads(r.out)


def test_features_document_shape():
    r = berth("features")
    golden("features.json", re.sub(r'"org.berth.commit": "[^"]*"', '"org.berth.commit": "COMMIT"', r.out))


def test_version_range_is_accepted_by_the_parser(tmp_path):
    # features.md: the runtime MUST accept ociVersionMin and ociVersionMax as config.json's ociVersion.
    f = features()
    assert f["ociVersionMin"] == "1.0.0"
    assert f["ociVersionMax"] == "1.3.0"
    assert f["annotations"]["org.berth.version"] == berth("--version").out.split()[2]


def test_nothing_is_claimed_before_it_is_built():
    # Every claim is tied to working code: these keys appear as the issues that implement them land.
    f = features()
    claimed = set(f) - {"ociVersionMin", "ociVersionMax", "annotations"}
    assert claimed == set(), f"claims without tests: {claimed}"
