#!/usr/bin/python3
"""A pure cgroup v2 host for berth's tests: Debian's 6.1 kernel booted in qemu (software emulation).

    vm.py prepare            fetch the kernel (apt-get download), unpack it, build the initramfs
    vm.py run [--dir D] CMD  boot, run `sh -c CMD` as root in D (default: the repository), print its
                             stdout and stderr, and exit with its status

The guest shares the host's /usr and /etc read-only (virtio-9p), and the repository read-write at
the same path, so host-built binaries run unchanged. cgroup2 is mounted on /sys/fs/cgroup with
every controller enabled for the children of the root: the layout of a v2-only host.
Everything lives under build/vm; nothing on the host is changed.
"""
import argparse
import glob
import hashlib
import io
import lzma
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CACHE = os.path.join(TOP, "build", "vm")
# Loaded in this order before the shares are mounted; the rest are loaded on demand by tests.
BOOT_MODULES = ["drivers/virtio/virtio_ring", "drivers/virtio/virtio", "drivers/virtio/virtio_mmio",
                "net/9p/9pnet", "net/9p/9pnet_virtio", "fs/netfs/netfs", "fs/fscache/fscache", "fs/9p/9p",
                "fs/overlayfs/overlay", "drivers/block/loop",
                # criu probes nftables
                "crypto/crc32c_generic", "lib/libcrc32c", "net/netfilter/nfnetlink", "net/netfilter/nf_tables",
                # and dumps sockets through sock_diag
                "net/unix/unix_diag", "net/ipv4/inet_diag", "net/ipv4/tcp_diag", "net/ipv4/udp_diag",
                "net/netlink/netlink_diag", "net/packet/af_packet_diag",
                # netDevices tests make veth pairs; busybox modprobe has no alias for "rtnl-link-veth"
                "drivers/net/veth",
                # tests/cri's pods are on a CNI bridge
                "net/llc/llc", "net/802/stp", "net/bridge/bridge",
                # test_rdma.py's soft-RoCE device
                "crypto/crc32_generic", "net/ipv4/udp_tunnel", "net/ipv6/ip6_udp_tunnel",
                "drivers/infiniband/core/ib_core", "drivers/infiniband/core/ib_uverbs", "drivers/infiniband/sw/rxe/rdma_rxe"]
EXTRA_MODULES = ["drivers/block/null_blk/null_blk", "drivers/net/dummy", "block/bfq", "fs/configfs/configfs"]

INIT = r"""#!/busybox sh
# The command itself (also what the systemd service runs): its output and status go to /ctl.
if [ "$1" = run-cmd ]; then
  cd "$(/busybox cat /ctl/workdir)"
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb \
    $(cat /ctl/env) /bin/sh /ctl/cmd > /ctl/stdout 2> /ctl/stderr < /dev/null
  echo $? > /ctl/status
  /busybox sync
  exit 0
fi
# Stage 1: pivot_root(2) refuses the initramfs, and runtimes need it: move to a tmpfs first.
if [ "$1" != stage2 ]; then
  /busybox mkdir -p /newroot
  /busybox mount -t tmpfs -o mode=755 tmpfs /newroot
  /busybox cp -a /init /busybox /modules /newroot/
  exec /busybox switch_root /newroot /init stage2
fi
B=/busybox
$B mkdir -p /proc /sys /dev /run /tmp /usr /etc /ctl /root
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mount -t devtmpfs devtmpfs /dev
$B mkdir -p /dev/pts /dev/shm
$B mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
$B mount -t tmpfs -o mode=1777 tmpfs /dev/shm
$B mount -t tmpfs -o mode=755 tmpfs /run
$B mount -t tmpfs -o mode=1777 tmpfs /tmp
for m in $($B cat /modules/boot); do $B insmod /modules/$m.ko || echo "vm: insmod $m failed"; done
opts=trans=virtio,version=9p2000.L,msize=262144
$B mount -t 9p -o $opts,ro usr /usr
$B mkdir -p /run/etc.lower /run/etc.upper /run/etc.work
$B mount -t 9p -o $opts,ro etc /run/etc.lower
$B mount -t overlay -o lowerdir=/run/etc.lower,upperdir=/run/etc.upper,workdir=/run/etc.work overlay /etc
$B mount -t 9p -o $opts ctl /ctl
for d in bin sbin lib lib64; do $B ln -s usr/$d /$d; done
work=$($B cat /ctl/workdir)
$B mkdir -p "$work"
$B mount -t 9p -o $opts,cache=none work "$work"
# A v2-only host: cgroup2 on /sys/fs/cgroup, every controller delegated to the root's children.
$B mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
for c in $($B cat /sys/fs/cgroup/cgroup.controllers); do
  echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control || echo "vm: cannot enable $c"
done
echo /run/modprobe > /proc/sys/kernel/modprobe
printf '#!/busybox sh\nexec /busybox modprobe -d /modules/tree "$@"\n' > /run/modprobe
$B chmod 755 /run/modprobe
$B hostname berth-vm
$B ip link set lo up
if [ -e /ctl/systemd ]; then
  # systemd as PID 1 (for the systemd cgroup driver): the command is its one service, then power off.
  $B mkdir -p /run/systemd/system
  printf '%s\n' '[Unit]' 'DefaultDependencies=no' 'SuccessAction=poweroff-force' 'FailureAction=poweroff-force' \
    '[Service]' 'Type=oneshot' 'Delegate=yes' 'ExecStart=/init run-cmd' > /run/systemd/system/berth-vm.service
  exec /lib/systemd/systemd --unit=berth-vm.service --log-level=warning
fi
/init run-cmd
$B poweroff -f
"""


def log(msg):
    print(f"vm: {msg}", file=sys.stderr, flush=True)


def newc(files):
    """A cpio archive (newc) of (name, mode, data-or-None) entries."""
    out = io.BytesIO()
    for ino, (name, mode, data) in enumerate(files + [("TRAILER!!!", 0, b"")], start=1):
        data = data or b""
        nm = name.encode() + b"\0"
        hdr = "070701" + "".join(f"{v:08X}" for v in (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nm), 0))
        out.write(hdr.encode() + nm)
        out.write(b"\0" * ((4 - (110 + len(nm)) % 4) % 4))
        out.write(data)
        out.write(b"\0" * ((4 - len(data) % 4) % 4))
    return out.getvalue()


def unpack_vmlinux(vmlinuz, out):
    """microvm boots an ELF vmlinux: take the xz payload out of the bzImage."""
    data = open(vmlinuz, "rb").read()
    start = data.find(b"\xfd7zXZ\x00")
    if start < 0:
        sys.exit("vm: no xz payload in " + vmlinuz)
    d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    elf = d.decompress(data[start:])
    if not elf.startswith(b"\x7fELF"):
        sys.exit("vm: the payload of " + vmlinuz + " is not an ELF kernel")
    with open(out, "wb") as f:
        f.write(elf)


def prepare():
    os.makedirs(CACHE, exist_ok=True)
    vmlinux = os.path.join(CACHE, "vmlinux")
    # Named after what goes in, so a changed module list or init script builds a new one.
    key = hashlib.sha256(repr((BOOT_MODULES, EXTRA_MODULES, INIT)).encode()).hexdigest()[:12]
    initrd = os.path.join(CACHE, f"initramfs-{key}.cpio")
    if os.path.exists(vmlinux) and os.path.exists(initrd):
        return vmlinux, initrd
    tmp = tempfile.mkdtemp(prefix="berth-vm-")
    try:
        log("fetching Debian's linux-image-amd64")
        subprocess.run(["apt-get", "download", "-qq", "linux-image-amd64"], cwd=tmp, check=True,
                       stderr=subprocess.DEVNULL)
        meta = glob.glob(os.path.join(tmp, "linux-image-amd64_*.deb"))[0]
        dep = subprocess.run(["dpkg-deb", "-f", meta, "Depends"], capture_output=True, text=True,
                             check=True).stdout.split()[0]
        subprocess.run(["apt-get", "download", "-qq", dep], cwd=tmp, check=True, stderr=subprocess.DEVNULL)
        deb = glob.glob(os.path.join(tmp, dep + "_*.deb"))[0]
        root = os.path.join(tmp, "k")
        subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
        unpack_vmlinux(glob.glob(os.path.join(root, "boot", "vmlinuz-*"))[0], vmlinux + ".tmp")
        moddir = glob.glob(os.path.join(root, "lib", "modules", "*", "kernel"))[0]
        files = [("init", stat.S_IFREG | 0o755, INIT.encode()),
                 ("busybox", stat.S_IFREG | 0o755, open(shutil.which("busybox"), "rb").read()),
                 ("modules", stat.S_IFDIR | 0o755, None),
                 ("modules/boot", stat.S_IFREG | 0o644,
                  "\n".join(os.path.basename(m) for m in BOOT_MODULES).encode() + b"\n")]
        tree = []
        for m in BOOT_MODULES + EXTRA_MODULES:
            data = open(os.path.join(moddir, m + ".ko"), "rb").read()
            files.append((f"modules/{os.path.basename(m)}.ko", stat.S_IFREG | 0o644, data))
            tree.append(m)
        # busybox modprobe reads modules.dep from -d DIR: a flat one of the extra modules.
        files.append(("modules/tree", stat.S_IFDIR | 0o755, None))
        dep_lines = [f"{os.path.basename(m)}.ko:" for m in EXTRA_MODULES]
        for m in EXTRA_MODULES:
            files.append((f"modules/tree/{os.path.basename(m)}.ko", stat.S_IFREG | 0o644,
                          open(os.path.join(moddir, m + ".ko"), "rb").read()))
        files.append(("modules/tree/modules.dep", stat.S_IFREG | 0o644, ("\n".join(dep_lines) + "\n").encode()))
        with open(initrd + ".tmp", "wb") as f:
            f.write(newc(files))
        os.rename(vmlinux + ".tmp", vmlinux)
        os.rename(initrd + ".tmp", initrd)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return vmlinux, initrd


def tsc_khz():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("cpu MHz"):
                return int(float(line.split(":")[1]) * 1000)
    return 2000000


def run(cmd, workdir, env=(), timeout=900, memory=1024, systemd=False):
    vmlinux, initrd = prepare()
    ctl = tempfile.mkdtemp(prefix="berth-vm-ctl-")
    try:
        with open(os.path.join(ctl, "cmd"), "w") as f:
            f.write(cmd + "\n")
        with open(os.path.join(ctl, "workdir"), "w") as f:
            f.write(workdir + "\n")
        if systemd:
            open(os.path.join(ctl, "systemd"), "w").close()
        with open(os.path.join(ctl, "env"), "w") as f:
            f.write(" ".join(env) + "\n")
        kernel_args = os.environ.get("BERTH_VM_KERNEL_ARGS", "quiet") + " hugepages=8"  # test_hugetlb.py
        shares = [("usr", "/usr", True), ("etc", "/etc", True), ("ctl", ctl, False), ("work", workdir, False)]
        argv = ["qemu-system-x86_64", "-machine", "microvm", "-accel", "tcg,thread=multi", "-cpu", "max",
                "-smp", "2", "-m", str(memory), "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-kernel", vmlinux, "-initrd", initrd, "-serial", "file:" + os.path.join(ctl, "console"),
                "-append", f"console=ttyS0 panic=-1 {kernel_args} norandmaps cryptomgr.notests tsc_early_khz={tsc_khz()} "
                           "rdinit=/init"]
        for tag, path, ro in shares:
            argv += ["-fsdev", f"local,id={tag},path={path},security_model=passthrough" + (",readonly=on" if ro else ""),
                     "-device", f"virtio-9p-device,fsdev={tag},mount_tag={tag}"]
        t0 = time.time()
        try:
            subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            log(f"the VM did not finish within {timeout} s")
        for name, stream in (("stdout", sys.stdout), ("stderr", sys.stderr)):
            path = os.path.join(ctl, name)
            if os.path.exists(path):
                with open(path) as f:
                    stream.write(f.read())
                stream.flush()
        status_file = os.path.join(ctl, "status")
        if not os.path.exists(status_file):
            with open(os.path.join(ctl, "console"), errors="replace") as f:
                log("the command did not finish; the guest's console:\n" + f.read()[-4000:])
            return 125
        log(f"done in {time.time() - t0:.1f} s")
        return int(open(status_file).read().strip() or 125)
    finally:
        shutil.rmtree(ctl, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    sub.add_parser("prepare")
    r = sub.add_parser("run")
    r.add_argument("--dir", default=TOP)
    r.add_argument("--env", action="append", default=[], help="KEY=VALUE for the command")
    r.add_argument("--timeout", type=int, default=900)
    r.add_argument("--systemd", action="store_true", help="boot systemd as PID 1 and run the command as its service")
    r.add_argument("cmd")
    args = ap.parse_args()
    if args.what == "prepare":
        prepare()
        return 0
    return run(args.cmd, os.path.abspath(args.dir), args.env, args.timeout, systemd=args.systemd)


if __name__ == "__main__":
    sys.exit(main())
