"""Load: parallel workers drive many containers, each through every operation; concurrent commands on one id; and
afterwards nothing is left: mounts, cgroups, state entries, processes, fds of the calling process.

BERTH_LOAD_COUNT sets how many containers (1,000 by default; the VM run uses fewer)."""
import concurrent.futures
import json
import os
import threading

from conftest import berth, cgroup_dirs_named, processes_with, wait_for

COUNT = int(os.environ.get("BERTH_LOAD_COUNT", "1000"))
WORKERS = 4


def lifecycle(bundles, root, prefix, i):
    """One container through every operation: create, start, exec, ps, update, events --stats, pause, resume,
    kill, delete; the configs alternate."""
    cid = f"{prefix}-{i}"
    bundle = bundles[i % len(bundles)]
    steps = [("create", "-b", bundle, cid), ("start", cid), ("exec", cid, "true"), ("ps", cid),
             ("update", "--pids-limit", "100", cid), ("events", "--stats", cid), ("pause", cid), ("resume", cid),
             ("kill", cid, "KILL"), ("delete", "--force", cid)]
    for step in steps:
        r = berth(*step, root=root, timeout=60)
        if r.rc != 0:
            return f"{cid}: {' '.join(map(str, step[:1]))} failed: {r.err.strip()}"
    return None


def berths_mounts(*needles):
    """The host's mounts that could be berth's containers': those naming their ids, bundles or state root.
    (Counting every mount failed when something else on the machine mounted meanwhile.)"""
    with open("/proc/self/mountinfo") as f:
        return [line for line in f if any(n in line for n in needles)]


def test_parallel_lifecycles_leave_nothing(bundle, root, tmp_path):
    bundles = []
    for n, args in enumerate([("sleep", "30"), ("sh", "-c", "sleep 30 & sleep 30")]):
        b = tmp_path / f"b{n}"
        b.mkdir()
        config = dict(bundle.config, process=dict(bundle.config["process"], args=list(args)))
        if n == 1:
            config["linux"] = dict(config["linux"], resources=dict(config["linux"].get("resources", {}),
                                                                  pids={"limit": 50}))
        (b / "config.json").write_text(json.dumps(config))
        bundles.append(b)
    prefix = "load" + os.urandom(3).hex()
    fds_before = len(os.listdir("/proc/self/fd"))
    needles = (prefix, str(tmp_path), str(root), str(bundle.config["root"]["path"]))
    mounts_before = berths_mounts(*needles)
    failures, observed = [], []
    done = threading.Event()

    def observe():
        """list and state stay consistent throughout: every listed container has a state, or is just gone."""
        while not done.is_set():
            r = berth("list", "--format", "json", root=root)
            if r.rc != 0:
                observed.append(f"list failed: {r.err}")
                continue
            for entry in json.loads(r.out) or []:  # runc's shape: null when there are none
                s = berth("state", entry["id"], root=root)
                if s.rc == 0:
                    if json.loads(s.out)["status"] not in ("creating", "created", "running", "paused", "stopped"):
                        observed.append(s.out)
                elif "does not exist" not in s.err:
                    observed.append(f"state {entry['id']}: {s.err}")
    def observe_or_record():
        try:
            observe()
        except Exception as e:  # a crash of the observer is a finding too
            observed.append(repr(e))
    observer = threading.Thread(target=observe_or_record)
    observer.start()
    try:
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            for failure in pool.map(lambda i: lifecycle(bundles, root, prefix, i), range(COUNT)):
                if failure:
                    failures.append(failure)
    finally:
        done.set()
        observer.join()
    assert failures == [], failures[:5]
    assert observed == [], observed[:5]
    # list and state agree there is nothing, and nothing is left anywhere.
    r = berth("list", "-q", root=root)
    assert r.rc == 0 and r.out.split() == []
    assert os.listdir(root) == []
    assert cgroup_dirs_named(prefix) == []
    assert berths_mounts(*needles) == mounts_before
    assert len(os.listdir("/proc/self/fd")) == fds_before
    assert wait_for(lambda: not processes_with(prefix))
    assert _zombie_children() == []


def _zombie_children():
    me, zombies = str(os.getpid()), []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] == "Z" and fields[1] == me:
            zombies.append(pid)
    return zombies


def test_two_creates_of_one_id_exactly_one_wins(bundle, root, cid):
    bundle.args("sleep", "30").write()
    results = []

    def create():
        results.append(berth("create", "-b", bundle.path, cid, root=root))
    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.rc for r in results) == [0, 1, 1, 1], results
    assert all(f'container "{cid}" already exists' in r.err for r in results if r.rc == 1), results
    assert berth("delete", "--force", cid, root=root).rc == 0


def test_delete_racing_start_and_kill_racing_exit(bundle, root, cid):
    for round_ in range(10):
        bundle.args("sleep", "30").write()
        name = f"{cid}-{round_}"
        assert berth("create", "-b", bundle.path, name, root=root).rc == 0
        out = []
        ts = [threading.Thread(target=lambda: out.append(berth("start", name, root=root))),
              threading.Thread(target=lambda: out.append(berth("delete", "--force", name, root=root)))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        # Whatever the order, the container is gone afterwards, or running and then deleted.
        berth("delete", "--force", name, root=root)
        assert not (root / name).exists()
        assert cgroup_dirs_named(name) == []
    for round_ in range(10):
        bundle.args("true").write()
        name = f"{cid}-x{round_}"
        assert berth("run", "-d", "-b", bundle.path, name, root=root).rc == 0
        r = berth("kill", name, "KILL", root=root)
        # Killing a process that is exiting or gone: success, or "not running", never a crash or a hang.
        assert r.rc == 0 or "not running" in r.err or "stopped" in r.err, r
        assert berth("delete", "--force", name, root=root).rc == 0
        assert not (root / name).exists()
