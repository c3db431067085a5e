#!/usr/bin/python3
"""berth's benchmark: berth, runc and crun side by side, interleaved round-robin.

Run through bench/run.sh (it installs the runtimes and builds berth). Prints medians and paired
ratios per operation, the peak RSS of `run`, the smallest memory cgroup `run` works in, syscall
counts, throughput of 4 concurrent loops, and the binary's size and shared libraries.

Everything runs in a private mount namespace whose /sys/fs/cgroup is a fresh cgroup2 mount (the
"cgroup v2 view"): crun 1.8.1 refuses this machine's hybrid layout, and runs there only with
--cgroup-manager=disabled. berth and runc create their cgroup there as they would on a v2 host.
Nothing here asserts a time: this is a measurement, not a test.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

DEVNULL = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)


def spawn(argv, stdin=None):
    """posix_spawn argv with stdio on /dev/null; returns (seconds, exit status, peak RSS KiB of its tree)."""
    fa = [(os.POSIX_SPAWN_DUP2, DEVNULL, 0), (os.POSIX_SPAWN_DUP2, DEVNULL, 1), (os.POSIX_SPAWN_DUP2, DEVNULL, 2)]
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=fa)
    _, status, ru = os.wait4(pid, 0)
    return time.perf_counter() - t0, os.waitstatus_to_exitcode(status), ru.ru_maxrss


def spawn_ok(argv):
    """For setup steps whose process keeps stdio (a detached container): stdio on /dev/null."""
    _, rc, _ = spawn(argv)
    if rc != 0:
        sys.exit(f"bench: {' '.join(argv)}: exit status {rc}")


def must(argv):
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)}: {r.stderr.strip() or r.returncode}")
    return r.stdout


class Runtime:
    def __init__(self, name, binary, extra, root):
        self.name, self.binary = name, binary
        self.base = [binary] + extra + ["--root", root]

    def __call__(self, *args):
        return self.base + list(args)


def containers_seccomp():
    """containers-common's default profile (Docker's, as Podman ships it) in runtime-spec form, for amd64 with
    the default capabilities: ~440 syscall names, three architectures."""
    with open("/usr/share/containers/seccomp.json") as f:
        prof = json.load(f)
    rules = []
    for s in prof["syscalls"]:
        inc = s.get("includes", {})
        if inc.get("caps") or (inc.get("arches") and "amd64" not in inc["arches"]):
            continue
        rule = {"names": s["names"], "action": s["action"]}
        for key in ("args", "errnoRet"):
            if s.get(key) is not None:
                rule[key] = s[key]
        rules.append(rule)
    return {"defaultAction": prof["defaultAction"], "defaultErrnoRet": prof.get("defaultErrnoRet", 1),
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": rules}


def make_bundle(top, runc, args, seccomp=None):
    bundle = os.path.join(top, "bundle-" + args[0].strip("/").replace("/", "_") + ("-seccomp" if seccomp else ""))
    rootfs = os.path.join(bundle, "rootfs")
    for d in ("bin", "proc", "dev", "sys", "tmp"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    shutil.copy(shutil.which("busybox"), os.path.join(rootfs, "bin", "busybox"))
    for applet in ("true", "sleep", "sh"):
        os.symlink("busybox", os.path.join(rootfs, "bin", applet))
    # runc's default spec: 5 namespaces, read-only root, no seccomp.
    must([runc, "spec", "--bundle", bundle])
    with open(os.path.join(bundle, "config.json")) as f:
        config = json.load(f)
    config["ociVersion"] = "1.0.2"  # runc 1.5 writes 1.3.0, which Debian's crun 1.8.1 refuses ("unknown version")
    config["process"]["terminal"] = False
    config["process"]["args"] = args
    config["root"] = {"path": rootfs, "readonly": True}
    if seccomp:
        config["linux"]["seccomp"] = seccomp
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f)
    return bundle


def wait_gone(pidfile):
    with open(pidfile) as f:
        pid = int(f.read().strip())
    for _ in range(2000):
        if not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z":
            return
        time.sleep(0.0005)


class Results:
    def __init__(self, names):
        self.names = names
        self.samples = {}

    def add(self, op, rt, seconds):
        self.samples.setdefault(op, {}).setdefault(rt, []).append(seconds)

    def median(self, op, rt):
        s = self.samples.get(op, {}).get(rt)
        return statistics.median(s) if s else None


def rotate(seq, i):
    i %= len(seq)
    return seq[i:] + seq[:i]


PROTECTED_ROW = "run /bin/true, berth from a writable file (re-executed from a sealed memfd)"
NO_CGROUP_ROW = "run /bin/true, no cgroup (berth --cgroup-manager=disabled, as crun runs here)"


def bench_lifecycle(rts, res, bundle, rounds, top, berth_writable):
    berth = next(rt for rt in rts if rt.name == "berth")
    for i in range(rounds):
        # The protected path (no read-only mount): beside the others' plain run, interleaved with them.
        t, rc, _ = spawn(berth_writable("run", "--bundle", bundle, f"berth-rw-{i}"))
        if rc == 0:
            res.add(PROTECTED_ROW, "berth", t)
        # crun cannot make its cgroup here (see the docstring): berth without one is the like-for-like figure.
        t, rc, _ = spawn([berth.binary, "--cgroup-manager=disabled"] + berth.base[1:] +
                         ["run", "--bundle", bundle, f"berth-nocg-{i}"])
        if rc == 0:
            res.add(NO_CGROUP_ROW, "berth", t)
        for rt in rotate(rts, i):
            cid = f"{rt.name}-lc-{i}"
            t, rc, _ = spawn(rt("run", "--bundle", bundle, cid))
            if rc == 0:
                res.add("run /bin/true", rt.name, t)
                if rt.name != "berth":
                    res.add(PROTECTED_ROW, rt.name, t)
                if rt.name == "crun":
                    res.add(NO_CGROUP_ROW, rt.name, t)
            pidfile = os.path.join(top, cid + ".pid")
            t, rc, _ = spawn(rt("create", "--bundle", bundle, "--pid-file", pidfile, cid + "c"))
            if rc != 0:
                continue
            res.add("create", rt.name, t)
            t, rc, _ = spawn(rt("start", cid + "c"))
            res.add("start", rt.name, t)
            wait_gone(pidfile)
            t, rc, _ = spawn(rt("delete", cid + "c"))
            res.add("delete", rt.name, t)


def bench_seccomp(rts, res, bundle, rounds):
    # berth compiles the profile once and keeps the program under its root; the others compile on every start.
    for i in range(rounds):
        for rt in rotate(rts, i):
            t, rc, _ = spawn(rt("run", "--bundle", bundle, f"{rt.name}-sc-{i}"))
            if rc == 0:
                res.add("run /bin/true, containers-common seccomp profile", rt.name, t)


def bench_exec_state(rts, res, bundle, rounds):
    for rt in rts:
        spawn_ok(rt("run", "--detach", "--bundle", bundle, f"{rt.name}-long"))
    for i in range(rounds):
        for rt in rotate(rts, i):
            t, rc, _ = spawn(rt("exec", f"{rt.name}-long", "/bin/true"))
            if rc == 0:
                res.add("exec /bin/true", rt.name, t)
            t, rc, _ = spawn(rt("state", f"{rt.name}-long"))
            if rc == 0:
                res.add("state", rt.name, t)
    for rt in rts:
        spawn(rt("delete", "--force", f"{rt.name}-long"))


def bench_list(rts, res, bundle, rounds, count):
    for rt in rts:
        for n in range(count):
            spawn_ok(rt("create", "--bundle", bundle, f"{rt.name}-many-{n}"))
    for i in range(rounds):
        for rt in rotate(rts, i):
            t, rc, _ = spawn(rt("list"))
            if rc == 0:
                res.add(f"list ({count} containers)", rt.name, t)
    for rt in rts:
        for n in range(count):
            spawn(rt("delete", "--force", f"{rt.name}-many-{n}"))


def build_peak(top):
    """bench/peak.c, built static: a launcher too small to inflate what it measures."""
    out = os.path.join(top, "peak")
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peak.c")
    subprocess.run(["cc", "-O2", "-static", "-o", out, src], check=True)
    return out


def bench_rss(rts, res, bundle, rounds, peak):
    for i in range(rounds):
        for rt in rotate(rts, i):
            r = subprocess.run([peak] + rt("run", "--bundle", bundle, f"{rt.name}-rss-{i}"),
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if r.returncode == 0:
                res.add("peak RSS of `run` (KiB)", rt.name, int(r.stderr.split()[-1]))


def memory_cgroup_fd(top):
    """An fd of our own v1 memory cgroup, or None (pure v2). The hierarchy is mounted only long enough
    to open it: a v1 mount in sight would make berth and runc treat this view as a hybrid host."""
    with open("/proc/self/cgroup") as f:
        line = next((l for l in f if l.split(":")[1] == "memory"), None)
    if not line:
        return None
    mnt = os.path.join(top, "memcg")
    os.makedirs(mnt, exist_ok=True)
    if subprocess.run(["mount", "-t", "cgroup", "-o", "memory", "none", mnt]).returncode != 0:
        return None
    fd = os.open(os.path.join(mnt, line.split(":", 2)[2].strip().lstrip("/")), os.O_RDONLY | os.O_DIRECTORY)
    subprocess.run(["umount", "-l", mnt], check=True)
    return fd


def runs_within(rt, bundle, parent, limit, tag):
    name = f"berth-bench-{tag}"
    os.mkdir(name, dir_fd=parent)
    cg = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=parent)
    try:
        with open(os.open("memory.limit_in_bytes", os.O_WRONLY, dir_fd=cg), "w") as f:
            f.write(str(limit))

        def enter():
            with open(os.open("cgroup.procs", os.O_WRONLY, dir_fd=cg), "w") as f:
                f.write("0")
        # stdio on /dev/null: a runtime OOM-killed after create leaves its init holding them.
        r = subprocess.run(rt("run", "--bundle", bundle, f"{rt.name}-mem-{tag}"), preexec_fn=enter,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        spawn(rt("delete", "--force", f"{rt.name}-mem-{tag}"))
        return r.returncode == 0
    finally:
        os.close(cg)
        for _ in range(100):
            try:
                os.rmdir(name, dir_fd=parent)
                break
            except OSError:
                time.sleep(0.02)


def bench_min_memory(rts, bundle, top):
    parent = memory_cgroup_fd(top)
    out = {}
    if parent is None:
        return out
    for rt in rts:
        lo, hi = 128 << 10, 32 << 20
        if not runs_within(rt, bundle, parent, hi, "hi"):
            continue
        step = 0
        while hi - lo > 32 << 10:
            mid = (lo + hi) // 2 // 4096 * 4096
            if runs_within(rt, bundle, parent, mid, str(step)):
                hi = mid
            else:
                lo = mid
            step += 1
        out[rt.name] = hi
    os.close(parent)
    return out


def bench_syscalls(rts, bundle, top):
    out = {}
    if not shutil.which("strace"):
        return out
    for rt in rts:
        log = os.path.join(top, f"strace-{rt.name}")
        r = subprocess.run(["strace", "-f", "-qq", "-c", "-o", log] + rt("run", "--bundle", bundle, f"{rt.name}-st"),
                           stdin=subprocess.DEVNULL, capture_output=True)
        if r.returncode == 0:
            with open(log) as f:
                total = [l for l in f if l.strip().endswith("total")]
            if total:
                out[rt.name] = int(total[0].split()[3])  # % seconds usecs/call calls
    return out


def bench_throughput(rts, bundle, seconds, workers=4):
    out = {}
    for rt in rts:
        done = [0] * workers
        stop = time.perf_counter() + seconds

        def loop(w):
            n = 0
            while time.perf_counter() < stop:
                _, rc, _ = spawn(rt("run", "--bundle", bundle, f"{rt.name}-tp-{w}-{n}"))
                n += 1
                done[w] += rc == 0
        threads = [threading.Thread(target=loop, args=(w,)) for w in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        out[rt.name] = sum(done) / seconds
    return out


def binary_facts(path):
    fd, stripped = tempfile.mkstemp()
    os.close(fd)
    subprocess.run(["strip", "-o", stripped, path], check=True)
    size = os.path.getsize(stripped)
    os.unlink(stripped)
    libs = [l.split()[0] for l in must(["ldd", path]).splitlines()
            if "=>" in l and "linux-vdso" not in l and "ld-linux" not in l]
    return size, libs


def fmt(v, unit):
    if v is None:
        return "—"
    return f"{v * 1000:.2f} ms" if unit == "s" else f"{v / 1024:.2f} MiB" if unit == "KiB" else f"{v:.1f}"


def report(rts, res, extra):
    names = [rt.name for rt in rts]
    print("\n| figure (median) | " + " | ".join(names) + " | berth/runc | berth/crun |")
    print("|---|" + "---|" * (len(names) + 2))
    rows = [(op, "KiB" if "KiB" in op else "s", {n: res.median(op, n) for n in names}) for op in res.samples]
    rows += [(op, unit, vals) for op, unit, vals in extra]
    for op, unit, vals in rows:
        cells = [fmt(vals.get(n), unit) for n in names]
        ratio = []
        for other in ("runc", "crun"):
            a, b = vals.get("berth"), vals.get(other)
            ratio.append(f"{a / b:.2f}×" if a and b else "—")
        print(f"| {op.replace(' (KiB)', '')} | " + " | ".join(cells) + " | " + " | ".join(ratio) + " |")


def inner(args):
    # A private mount namespace with cgroup2 on /sys/fs/cgroup.
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    subprocess.run(["umount", "-l", "/sys/fs/cgroup"], check=True)
    subprocess.run(["mount", "-t", "cgroup2", "none", "/sys/fs/cgroup"], check=True)
    top = tempfile.mkdtemp(prefix="berth-bench-", dir="/tmp")
    os.chmod(top, 0o755)
    # CVE-2019-5736: berth runs as it is only from a read-only mount (the package binds it read-only over
    # itself at boot); this namespace does the same. A writable copy measures the sealed-memfd re-exec.
    writable = os.path.join(top, "berth-writable")
    shutil.copy2(args.berth, writable)
    subprocess.run(["mount", "--bind", args.berth, args.berth], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", args.berth], check=True)
    # State roots on a tmpfs, as /run is wherever these runtimes are deployed: on this machine's ext4 /tmp,
    # creating and deleting state files thousands of times made ext4's inode allocator (find_inode_bit,
    # skipping recently deleted inodes) some 8% of every run's CPU, for every runtime alike.
    run_dir = os.path.join(top, "run")
    os.mkdir(run_dir)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "bench-run", run_dir], check=True)
    berth_writable = Runtime("berth", writable, [], os.path.join(run_dir, "root-berth-rw"))
    try:
        rts = [Runtime("berth", args.berth, [], os.path.join(run_dir, "root-berth")),
               Runtime("runc", args.runc, [], os.path.join(run_dir, "root-runc"))]
        if shutil.which("crun"):
            rts.append(Runtime("crun", shutil.which("crun"), ["--cgroup-manager=disabled"],
                               os.path.join(run_dir, "root-crun")))
        true_bundle = make_bundle(top, args.runc, ["/bin/true"])
        sleep_bundle = make_bundle(top, args.runc, ["/bin/sleep", "1000"])
        res = Results([rt.name for rt in rts])
        # The cost of spawning a process from this script, for scale.
        for _ in range(args.rounds):
            res.add("spawn /bin/true (harness floor)", "berth", spawn(["/bin/true"])[0])
        t0 = time.time()
        print(f"bench: {args.rounds} rounds, runtimes: {', '.join(rt.name for rt in rts)}", file=sys.stderr)
        bench_lifecycle(rts, res, true_bundle, args.rounds, run_dir, berth_writable)
        if os.path.exists("/usr/share/containers/seccomp.json"):
            bench_seccomp(rts, res, make_bundle(top, args.runc, ["/bin/true"], containers_seccomp()), args.rounds)
        bench_exec_state(rts, res, sleep_bundle, args.rounds)
        bench_list(rts, res, sleep_bundle, max(5, args.rounds // 2), args.list_count)
        bench_rss(rts, res, true_bundle, max(5, args.rounds // 2), build_peak(top))
        extra = []
        mem = bench_min_memory(rts, true_bundle, top)
        extra.append(("smallest memory cgroup `run` works in (KiB)", "KiB", {k: v / 1024 for k, v in mem.items()}))
        sc = bench_syscalls(rts, true_bundle, top)
        extra.append(("syscalls of one `run` (strace -f)", "n", sc))
        tp = bench_throughput(rts, true_bundle, args.throughput_seconds)
        extra.append(("`run`s per second, 4 concurrent loops", "n", tp))
        report(rts, res, extra)
        size, libs = binary_facts(args.berth)
        print(f"\nberth binary: {size / 1024:.0f} KiB stripped, {len(libs)} shared libraries ({', '.join(libs)})")
        for rt in rts[1:]:
            s, l = binary_facts(rt.binary)
            version = subprocess.run([rt.binary, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
            print(f"{rt.name} binary: {s / 1024:.0f} KiB stripped, {len(l)} shared libraries ({version}, {rt.binary})")
        print(f"(harness floor: spawning /bin/true from the script takes "
              f"{res.median('spawn /bin/true (harness floor)', 'berth') * 1000:.2f} ms; {time.time() - t0:.0f} s in all)")
    finally:
        for rt in rts + [berth_writable]:
            root = rt.base[-1]
            if os.path.isdir(root):
                for cid in os.listdir(root):
                    spawn(rt("delete", "--force", cid))
        subprocess.run(["umount", "-l", run_dir], check=False)
        shutil.rmtree(top, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--berth", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build-release",
                                                    "berth"))
    ap.add_argument("--runc", default=shutil.which("runc"),
                    help="the runc to compare with (bench/run.sh passes runc 1.5 from tests/gotools.sh)")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--list-count", type=int, default=100)
    ap.add_argument("--throughput-seconds", type=float, default=5)
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.berth = os.path.abspath(args.berth)
    if not args.runc:
        sys.exit("bench: no runc to compare with (--runc)")
    args.runc = os.path.abspath(args.runc)
    if args.inner:
        inner(args)
        return
    os.execvp("unshare", ["unshare", "--mount", "--propagation", "private", sys.executable,
                          os.path.abspath(__file__), "--inner"] + sys.argv[1:])


if __name__ == "__main__":
    main()
