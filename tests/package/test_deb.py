"""berth builds into a .deb with Debian's own tools, and the package holds what `meson install` installs."""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests"))
from needs import missing  # noqa: E402


@pytest.fixture(scope="module")
def package():
    if not shutil.which("dpkg-buildpackage") or not shutil.which("dh"):
        missing("dpkg-dev and debhelper are not installed")
    work = tempfile.mkdtemp(prefix="berth-deb-")
    try:
        # A clone of the committed tree, as a packager would have it (with git, for the commit in --version).
        src = os.path.join(work, "berth")
        subprocess.run(["git", "clone", "-q", TOP, src], check=True)
        r = subprocess.run(["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=src, capture_output=True, text=True,
                           timeout=600)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        debs = [f for f in os.listdir(work) if f.endswith(".deb") and "-dbgsym_" not in f]
        assert len(debs) == 1, debs
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=src, capture_output=True, text=True,
                              check=True).stdout.strip()
        yield os.path.join(work, debs[0]), work, head
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_package_contents(package):
    deb, _, _ = package
    files = set(subprocess.run(f"dpkg-deb --fsys-tarfile {deb} | tar -t", shell=True, capture_output=True,
                               text=True, check=True).stdout.split())
    assert "./usr/sbin/berth" in files
    assert "./usr/share/bash-completion/completions/berth" in files
    pages = {f for f in files if f.startswith("./usr/share/man/man8/")}
    expected = {f"./usr/share/man/man8/{p}.8.gz" for p in ["berth"] + [f"berth-{c}" for c in (
        "create", "start", "run", "exec", "state", "kill", "delete", "list", "ps", "pause", "resume", "update",
        "events", "spec", "features", "checkpoint", "restore")]}
    assert expected <= pages


def test_package_depends_on_the_shared_libraries(package):
    deb, work, _ = package
    fields = {f: subprocess.run(["dpkg-deb", "-f", deb, f], capture_output=True, text=True, check=True).stdout
              for f in ("Depends", "Recommends")}
    # yajl, libcap and libseccomp are linked from their archives: libc is the only shared library.
    assert "libc6" in fields["Depends"], fields
    for lib in ("libcap2", "libseccomp2", "libyajl2"):
        assert lib not in fields["Depends"], fields
    # Loaded with dlopen, only for linux.netDevices and --systemd-cgroup.
    for lib in ("libmnl0", "libsystemd0"):
        assert lib in fields["Recommends"], fields
    root = os.path.join(work, "deps")
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    needed = subprocess.run(["readelf", "-d", os.path.join(root, "usr", "sbin", "berth")], capture_output=True,
                            text=True, check=True).stdout
    assert [l.split("[")[1].rstrip("]") for l in needed.splitlines() if "(NEEDED)" in l] == ["libc.so.6"], needed


def test_packaged_binary_reports_the_commit(package):
    deb, work, head = package
    root = os.path.join(work, "x")
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    out = subprocess.run([os.path.join(root, "usr", "sbin", "berth"), "--version"], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0].startswith("berth version ") and out[1] == f"commit: {head}" and out[2] == "spec: 1.3.0", out


def test_bash_completion_offers_commands_flags_and_ids(package, tmp_path):
    if not os.path.exists("/usr/share/bash-completion/bash_completion"):
        pytest.skip("bash-completion is not installed")
    deb, work, _ = package
    root = os.path.join(work, "x")
    berth = os.path.join(root, "usr", "sbin", "berth")
    script = f"""
source /usr/share/bash-completion/bash_completion
source {root}/usr/share/bash-completion/completions/berth
berth() {{ {berth} "$@"; }}
complete_words() {{ COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${{#COMP_LINE}}; _berth; echo "${{COMPREPLY[*]}}"; }}
complete_words berth st
complete_words berth run --bu
complete_words berth --ro
"""
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["start", "state"], r
    assert lines[1].split() == ["--bundle"], r
    assert lines[2].split() == ["--root", "--rootless"], r


def test_package_binds_berth_read_only_at_boot(package, tmp_path):
    """CVE-2019-5736's fast path: the package's unit binds the binary read-only over itself (before containerd,
    CRI-O, Podman and Docker start), stopped before an upgrade replaces the file. Its own ExecStart lines, run
    here in a private mount namespace on the unpacked binary, leave a berth that needs no sealed copy."""
    deb, work, _ = package
    files = subprocess.run(f"dpkg-deb --fsys-tarfile {deb} | tar -t", shell=True, capture_output=True,
                           text=True, check=True).stdout.split()
    units = [f for f in files if f.endswith("/systemd/system/berth-readonly.service")]
    assert len(units) == 1, files
    control = tmp_path / "control"
    subprocess.run(["dpkg-deb", "-e", deb, str(control)], check=True)
    postinst = (control / "postinst").read_text()
    prerm = (control / "prerm").read_text()
    assert "berth-readonly.service" in postinst and "enable" in postinst, postinst
    assert "berth-readonly.service" in prerm and "stop" in prerm, prerm
    unpacked = tmp_path / "fs"
    subprocess.run(["dpkg-deb", "-x", deb, str(unpacked)], check=True)
    unit = (unpacked / units[0].lstrip("./")).read_text()
    binary = str(unpacked / "usr" / "sbin" / "berth")
    starts = [line.split("=", 1)[1].replace("/usr/sbin/berth", binary) for line in unit.splitlines()
              if line.startswith("ExecStart=")]
    assert len(starts) == 2, unit
    # In the protected run, berth's /proc/self/exe is the bound binary itself (a memfd otherwise).
    script = " && ".join(starts) + f" && {binary} --version >/dev/null && " \
             f"python3 -c \"import os; print(os.statvfs('{binary}').f_flag & os.ST_RDONLY)\""
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r
    assert r.stdout.strip() == str(os.ST_RDONLY), r
