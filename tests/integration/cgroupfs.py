"""Reading a container's cgroups on this host's layout: v1/hybrid (here) or cgroup v2 only (the VM)."""
import os


def _cgroup_mount_type():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[4] == "/sys/fs/cgroup":
                return fields[fields.index("-") + 1]
    return None


V2 = _cgroup_mount_type() == "cgroup2"

# v1 file -> (v2 file, field of a space-separated v2 value or None)
_V2_FILES = {
    "memory.limit_in_bytes": ("memory.max", None),
    "memory.soft_limit_in_bytes": ("memory.low", None),
    "cpu.cfs_quota_us": ("cpu.max", 0),
    "cpu.cfs_period_us": ("cpu.max", 1),
    "cpu.cfs_burst_us": ("cpu.max.burst", None),
    "cpu.idle": ("cpu.idle", None),
    "cpu.shares": ("cpu.weight", None),
    "pids.max": ("pids.max", None),
    "pids.current": ("pids.current", None),
    "cpuset.cpus": ("cpuset.cpus", None),
    "cpuset.mems": ("cpuset.mems", None),
    "freezer.state": ("cgroup.freeze", None),
}


def shares_to_weight(shares):
    """runc's and crun's conversion of cpu.shares to cpu.weight."""
    return 1 + ((shares - 2) * 9999) // 262142


def container_dir(pid, controller):
    """The container's cgroup directory for a v1 controller (on v2: its one directory)."""
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, controllers, path = line.strip().split(":", 2)
            if V2 and controllers == "":
                return "/sys/fs/cgroup" + path
            if not V2 and controller in controllers.split(","):
                return "/sys/fs/cgroup/" + controllers.replace("name=", "") + path
    raise AssertionError(f"no {controller} cgroup for {pid}")


def hierarchy_dir(controller):
    """Where a v1 controller's hierarchy is mounted (on v2: the one hierarchy)."""
    return "/sys/fs/cgroup" if V2 else "/sys/fs/cgroup/" + controller


def read(pid, controller, v1_file):
    """The value of v1_file for the container, read from its v2 equivalent on a v2 host; cpu.shares comes back
    as a weight (compare with shares_to_weight), freezer.state as 0/1."""
    if not V2:
        with open(os.path.join(container_dir(pid, controller), v1_file)) as f:
            return f.read().strip()
    name, field = _V2_FILES[v1_file]
    with open(os.path.join(container_dir(pid, controller), name)) as f:
        value = f.read().strip()
    return value.split()[field] if field is not None else value


def expect(pid, controller, v1_file, v1_value):
    """Assert the container's limit, given as v1 would show it."""
    want = str(v1_value)
    if V2 and v1_file == "cpu.shares":
        want = str(shares_to_weight(int(v1_value)))
    got = read(pid, controller, v1_file)
    assert got == want, f"{v1_file}: {got} != {want}"
