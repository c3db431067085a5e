"""hugepageLimits: a huge page the limit does not cover is refused to the container, one it covers is given.

The v2 VM boots with hugepages=8 (tests/vm/vm.py); a host that reserves none cannot show the effect. On a
v1/hybrid host without a v1 hugetlb hierarchy (this machine keeps it on the unified one) the limits are not
enforced, as runc skips an unmounted controller, and berth says so in one warning.
"""
import os
import subprocess

import pytest

from cgroupfs import V2, hierarchy_dir
from conftest import run
from needs import tools

PROGRAM = r"""
#include <stdio.h>
#include <sys/mman.h>
int main(void) {
    char *p = mmap(0, 2 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    if (p == MAP_FAILED) { puts("refused"); return 0; }
    p[0] = 1;  /* a fault the limit does not cover is a SIGBUS */
    puts("touched");
    return 0;
}
"""


def huge_pages_reserved():
    try:
        with open("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages") as f:
            return int(f.read())
    except FileNotFoundError:
        return 0


def v1_hugetlb():
    return not V2 and os.path.isdir(hierarchy_dir("hugetlb"))


needs_huge_pages = pytest.mark.skipif(
    huge_pages_reserved() == 0 or not (V2 or v1_hugetlb()),
    reason="this host reserves no 2 MB huge pages (vm.nr_hugepages is 0) or has no hugetlb cgroup to limit them; "
           "the v2 VM boots with hugepages=8")


@pytest.fixture
def program(tmp_path):
    out = tmp_path / "prog"
    out.mkdir()
    src = tmp_path / "huge.c"
    src.write_text(PROGRAM)
    subprocess.run(["cc", "-static", "-O1", "-o", str(out / "huge"), str(src)], check=True)
    return out


@needs_huge_pages
@tools("cc")
@pytest.mark.parametrize("limit,outcome", [(0, "refused"), (2 << 20, "touched")])
def test_a_huge_page_beyond_the_limit_is_refused(bundle, root, container, program, limit, outcome):
    bundle.config["mounts"].append({"destination": "/prog", "type": "bind", "source": str(program),
                                    "options": ["rbind", "ro"]})
    bundle.config["linux"]["resources"]["hugepageLimits"] = [{"pageSize": "2MB", "limit": limit}]
    r = run(bundle, root, container, "/prog/huge")
    if outcome == "refused":
        assert (r.rc == 0 and r.out == "refused\n") or r.rc == 128 + 7, r  # ENOMEM at mmap, or SIGBUS at the fault
    else:
        assert r.rc == 0 and r.out == "touched\n", r


@pytest.mark.skipif(V2 or v1_hugetlb(), reason="this host has a hugetlb cgroup berth can use")
def test_hugepage_limits_without_a_hugetlb_cgroup_are_a_warning(bundle, root, container):
    bundle.config["linux"]["resources"]["hugepageLimits"] = [{"pageSize": "2MB", "limit": 0}]
    r = run(bundle, root, container, "true")
    assert r.rc == 0, r
    assert r.err == "berth: warning: linux.resources.hugepageLimits: this host mounts no v1 hugetlb cgroup: " \
                    "not enforced\n", r
