#include "cgroups/resources.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/device_filter.h"
#include "cgroups/devices.h"
#include "util/fs.h"

struct dir {
	int fd;
	const char *name; /* v1: the hierarchy ("memory", "cpu,cpuacct"); v2: "" */
	bool v2;
};

/* Open every directory of the set and tell v1 hierarchies from cgroup2. */
static size_t open_dirs(const struct cgroup_set *set, struct dir *dirs, size_t max, bool *ret_has_v1)
{
	size_t n = 0;
	*ret_has_v1 = false;
	for (size_t i = 0; i < set->len && n < max; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s%s", set->dirs[i].mount, set->dirs[i].path);
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		bool v2 = faccessat(fd, "cgroup.controllers", F_OK, 0) == 0;
		const char *slash = strrchr(set->dirs[i].mount, '/');
		dirs[n++] = (struct dir){ fd, v2 ? "" : (slash ? slash + 1 : set->dirs[i].mount), v2 };
		*ret_has_v1 |= !v2;
	}
	return n;
}

static void close_dirs(struct dir *dirs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(dirs[i].fd);
}

/* The v1 hierarchy that has controller (mounts may combine: "cpu,cpuacct"). */
static int v1_dir(const struct dir *dirs, size_t n, const char *controller)
{
	for (size_t i = 0; i < n; i++)
		if (!dirs[i].v2 && cgroup_list_has(dirs[i].name, controller))
			return dirs[i].fd;
	return -1;
}

static int v2_dir(const struct dir *dirs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (dirs[i].v2)
			return dirs[i].fd;
	return -1;
}

static int write_value(int dirfd, const char *field, const char *file, const char *value, berth_error **err)
{
	if (dirfd < 0)
		return error_new(err, ENOTSUP, "linux.resources.%s: this host has no cgroup for it (%s)", field, file);
	_cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
	int r = fd < 0 ? -errno : write_all(fd, value, strlen(value));
	if (r < 0)
		return error_errno(err, -r, "linux.resources.%s: write %s \"%s\"", field, file, value);
	return 0;
}

static int write_i64(int dirfd, const char *field, const char *file, int64_t v, bool minus_one_is_max,
		     berth_error **err)
{
	char buf[32];
	if (minus_one_is_max && v < 0)
		snprintf(buf, sizeof(buf), "max");
	else
		snprintf(buf, sizeof(buf), "%" PRId64, v);
	return write_value(dirfd, field, file, buf, err);
}

unsigned long long cgroup_shares_to_weight(unsigned long long shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

/* "major:minor" of a device entry of linux.resources.blockIO. */
static int device_key(char *buf, size_t size, const struct opt_int *major, const struct opt_int *minor, const char *field,
		      size_t i, berth_error **err)
{
	if (!major->set || !minor->set || major->value < 0 || minor->value < 0)
		return error_new(err, EINVAL, "linux.resources.blockIO.%s[%zu]: needs a major and a minor", field, i);
	snprintf(buf, size, "%" PRId64 ":%" PRId64, major->value, minor->value);
	return 0;
}

static const struct {
	const char *field, *v1_file, *v2_key;
	size_t offset;
} throttles[] = {
	{ "throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps", offsetof(struct oci_block_io, throttle_read_bps_device) },
	{ "throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps", offsetof(struct oci_block_io, throttle_write_bps_device) },
	{ "throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops", offsetof(struct oci_block_io, throttle_read_iops_device) },
	{ "throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops", offsetof(struct oci_block_io, throttle_write_iops_device) },
};

/* blkio weight (10-1000) as io.weight (1-10000), runc's conversion; io.bfq.weight takes it as it is. */
static uint64_t io_weight(uint64_t w, bool bfq)
{
	if (bfq)
		return w;
	if (w < 10)
		w = 10;
	return 1 + (w - 10) * 9999 / 990;
}

/* linux.resources.blockIO on the v1 blkio controller or the v2 io controller. */
static int apply_block_io(int fd, bool v2, const struct oci_block_io *b, berth_error **err)
{
	int r = 0;
	char line[128], key[48];
	bool bfq = fd >= 0 && faccessat(fd, v2 ? "io.bfq.weight" : "blkio.bfq.weight", F_OK, 0) == 0;
	if (b->weight.set && b->weight.value) {
		const char *file = v2 ? (bfq ? "io.bfq.weight" : "io.weight")
				      : (fd >= 0 && faccessat(fd, "blkio.weight", F_OK, 0) == 0 ? "blkio.weight" : "blkio.bfq.weight");
		r = write_i64(fd, "blockIO.weight", file, (int64_t) (v2 ? io_weight(b->weight.value, bfq) : b->weight.value),
			      false, err);
	}
	if (r == 0 && b->leaf_weight.set && b->leaf_weight.value)
		r = v2 ? error_new(err, ENOTSUP, "linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weights")
		       : write_i64(fd, "blockIO.leafWeight", "blkio.leaf_weight", (int64_t) b->leaf_weight.value, false, err);
	for (size_t i = 0; r == 0 && i < b->weight_device.len; i++) {
		const struct oci_weight_device *d = &b->weight_device.items[i];
		r = device_key(key, sizeof(key), &d->major, &d->minor, "weightDevice", i, err);
		if (r == 0 && d->weight.set) {
			const char *file = v2 ? (bfq ? "io.bfq.weight" : "io.weight") : bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";
			snprintf(line, sizeof(line), "%s %" PRIu64, key, v2 ? io_weight(d->weight.value, bfq) : d->weight.value);
			r = write_value(fd, "blockIO.weightDevice", file, line, err);
		}
		if (r == 0 && d->leaf_weight.set) {
			snprintf(line, sizeof(line), "%s %" PRIu64, key, d->leaf_weight.value);
			r = v2 ? error_new(err, ENOTSUP, "linux.resources.blockIO.weightDevice[%zu].leafWeight: cgroup v2 has no leaf weights", i)
			       : write_value(fd, "blockIO.weightDevice", "blkio.leaf_weight_device", line, err);
		}
	}
	for (size_t t = 0; r == 0 && t < ARRAY_SIZE(throttles); t++) {
		const oci_throttle_devices *list = (const oci_throttle_devices *) ((const char *) b + throttles[t].offset);
		for (size_t i = 0; r == 0 && i < list->len; i++) {
			const struct oci_throttle_device *d = &list->items[i];
			r = device_key(key, sizeof(key), &d->major, &d->minor, throttles[t].field, i, err);
			if (r < 0)
				break;
			if (v2)
				snprintf(line, sizeof(line), "%s %s=%" PRIu64, key, throttles[t].v2_key, d->rate.value);
			else
				snprintf(line, sizeof(line), "%s %" PRIu64, key, d->rate.value);
			char field[64];
			snprintf(field, sizeof(field), "blockIO.%s", throttles[t].field);
			r = write_value(fd, field, v2 ? "io.max" : throttles[t].v1_file, line, err);
		}
	}
	return r;
}

/* linux.resources.rdma: one line per device in rdma.max (the same file on v1 and v2). */
static int apply_rdma(int fd, const struct oci_resources *res, berth_error **err)
{
	for (size_t i = 0; i < res->rdma.len; i++) {
		const struct oci_rdma *d = &res->rdma.values[i];
		char line[256];
		int n = snprintf(line, sizeof(line), "%s", res->rdma.keys[i]);
		if (d->hca_handles.set)
			n += snprintf(line + n, sizeof(line) - (size_t) n, " hca_handle=%" PRIu64, d->hca_handles.value);
		if (d->hca_objects.set)
			snprintf(line + n, sizeof(line) - (size_t) n, " hca_object=%" PRIu64, d->hca_objects.value);
		int r = write_value(fd, "rdma", "rdma.max", line, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* hugetlb: the limit, and the reservation limit where the kernel has it (as runc >= 1.2 and crun). */
static int apply_hugetlb(int fd, const struct oci_resources *res, bool v2, berth_error **err)
{
	if (!v2 && fd < 0 && res->hugepage_limits.len) {
		/*
		 * kubelet sends a limit for every huge page size the node has, 0 when the
		 * pod asks for none; runc skips a v1 controller that is not mounted
		 * (here: hybrid hosts keep hugetlb on the unified hierarchy). Said, not refused.
		 */
		warning("linux.resources.hugepageLimits: this host mounts no v1 hugetlb cgroup: not enforced");
		return 0;
	}
	for (size_t i = 0; i < res->hugepage_limits.len; i++) {
		const struct oci_hugepage_limit *h = &res->hugepage_limits.items[i];
		char file[96], rsvd[96];
		snprintf(file, sizeof(file), v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes", h->page_size);
		snprintf(rsvd, sizeof(rsvd), v2 ? "hugetlb.%s.rsvd.max" : "hugetlb.%s.rsvd.limit_in_bytes", h->page_size);
		int r = write_i64(fd, "hugepageLimits", file, (int64_t) h->limit.value, false, err);
		if (r == 0 && fd >= 0 && faccessat(fd, rsvd, F_OK, 0) == 0)
			r = write_i64(fd, "hugepageLimits", rsvd, (int64_t) h->limit.value, false, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * The swap value the config asks for: 0 is "unset" (runc's reading, on v1 and
 * v2), and an unlimited memory without a swap value lifts swap too (runc's
 * rule, so `update --memory -1` works under an existing swap limit).
 */
static bool memory_swap(const struct oci_memory *m, bool swap_exists, int64_t *swap)
{
	if (m->swap.set && m->swap.value != 0) {
		*swap = m->swap.value;
		return true;
	}
	if (m->limit.set && m->limit.value == -1 && swap_exists) {
		*swap = -1;
		return true;
	}
	return false;
}

static int apply_v1_memory(int fd, const struct oci_memory *m, berth_error **err)
{
	int r = 0;
	int64_t swap = 0;
	bool has_swap = memory_swap(m, faccessat(fd, "memory.memsw.limit_in_bytes", F_OK, 0) == 0, &swap);
	bool has_limit = m->limit.set && m->limit.value != 0;
	if (has_limit && has_swap) {
		/* The kernel wants memsw >= limit at every step: write swap first when it grows (runc's order). */
		_cleanup_free_ char *cur = NULL;
		size_t len = 0;
		bool grow = swap == -1;
		if (!grow && read_file_at(fd, "memory.limit_in_bytes", &cur, &len, NULL) == 0)
			grow = strtoull(cur, NULL, 10) < (unsigned long long) swap;
		if (grow) {
			r = write_i64(fd, "memory.swap", "memory.memsw.limit_in_bytes", swap, false, err);
			if (r == 0)
				r = write_i64(fd, "memory.limit", "memory.limit_in_bytes", m->limit.value, false, err);
		} else {
			r = write_i64(fd, "memory.limit", "memory.limit_in_bytes", m->limit.value, false, err);
			if (r == 0)
				r = write_i64(fd, "memory.swap", "memory.memsw.limit_in_bytes", swap, false, err);
		}
	} else if (has_limit) {
		r = write_i64(fd, "memory.limit", "memory.limit_in_bytes", m->limit.value, false, err);
	} else if (has_swap) {
		r = write_i64(fd, "memory.swap", "memory.memsw.limit_in_bytes", swap, false, err);
	}
	if (r == 0 && m->reservation.set)
		r = write_i64(fd, "memory.reservation", "memory.soft_limit_in_bytes", m->reservation.value, false, err);
	if (r == 0 && m->swappiness.set && m->swappiness.value <= 100)
		r = write_i64(fd, "memory.swappiness", "memory.swappiness", (int64_t) m->swappiness.value, false, err);
	if (r == 0 && m->disable_oom_killer.set && m->disable_oom_killer.value)
		r = write_value(fd, "memory.disableOOMKiller", "memory.oom_control", "1", err);
	return r;
}

static int apply_v1(const struct dir *dirs, size_t n, const struct oci_resources *res, bool devices, berth_error **err)
{
	int r = 0;
	if (devices) {
		struct device_rule *rules = NULL;
		size_t n_rules = 0;
		if (device_rules_effective(res, &rules, &n_rules) < 0)
			return error_errno(err, ENOMEM, "linux.resources.devices");
		int fd = v1_dir(dirs, n, "devices");
		r = fd < 0 ? error_new(err, ENOTSUP, "linux.resources.devices: this host has no devices cgroup to confine the container's devices with")
			   : device_rules_apply_v1(fd, rules, n_rules, err);
		free(rules);
	}
	if (r < 0 || !res)
		return r;
	if (res->memory)
		r = apply_v1_memory(v1_dir(dirs, n, "memory"), res->memory, err);
	const struct oci_cpu *c = res->cpu;
	if (r == 0 && c) {
		int fd = v1_dir(dirs, n, "cpu");
		/* docker sends shares 0 for "unset". Period before quota: the kernel checks quota against it. */
		if (r == 0 && c->shares.set && c->shares.value)
			r = write_i64(fd, "cpu.shares", "cpu.shares", (int64_t) c->shares.value, false, err);
		/*
		 * A smaller period can be refused (EINVAL) while the old quota over it
		 * exceeds a limited parent's: then the quota goes first (runc's order).
		 */
		bool period_later = false;
		if (r == 0 && c->period.set && c->period.value) {
			bool quota_follows = c->quota.set && c->quota.value;
			r = write_i64(fd, "cpu.period", "cpu.cfs_period_us", (int64_t) c->period.value, false,
				      quota_follows ? NULL : err);
			if (r == -EINVAL && quota_follows) {
				period_later = true;
				r = 0;
			} else if (r < 0 && quota_follows) {
				r = write_i64(fd, "cpu.period", "cpu.cfs_period_us", (int64_t) c->period.value, false, err);
			}
		}
		if (r == 0 && c->quota.set && c->quota.value)
			r = write_i64(fd, "cpu.quota", "cpu.cfs_quota_us", c->quota.value, false, err);
		if (r == 0 && period_later)
			r = write_i64(fd, "cpu.period", "cpu.cfs_period_us", (int64_t) c->period.value, false, err);
		if (r == 0 && c->burst.set)
			r = write_i64(fd, "cpu.burst", "cpu.cfs_burst_us", (int64_t) c->burst.value, false, err);
		if (r == 0 && c->realtime_period.set && c->realtime_period.value)
			r = write_i64(fd, "cpu.realtimePeriod", "cpu.rt_period_us", (int64_t) c->realtime_period.value, false, err);
		if (r == 0 && c->realtime_runtime.set && c->realtime_runtime.value)
			r = write_i64(fd, "cpu.realtimeRuntime", "cpu.rt_runtime_us", c->realtime_runtime.value, false, err);
		if (r == 0 && c->idle.set)
			r = write_i64(fd, "cpu.idle", "cpu.idle", c->idle.value, false, err);
		int cpuset = v1_dir(dirs, n, "cpuset");
		if (r == 0 && c->cpus && *c->cpus)
			r = write_value(cpuset, "cpu.cpus", "cpuset.cpus", c->cpus, err);
		if (r == 0 && c->mems && *c->mems)
			r = write_value(cpuset, "cpu.mems", "cpuset.mems", c->mems, err);
	}
	if (r == 0 && res->pids)
		r = write_i64(v1_dir(dirs, n, "pids"), "pids.limit", "pids.max",
			      res->pids->limit.value > 0 ? res->pids->limit.value : -1, true, err);
	if (r == 0 && res->block_io)
		r = apply_block_io(v1_dir(dirs, n, "blkio"), false, res->block_io, err);
	if (r == 0)
		r = apply_hugetlb(v1_dir(dirs, n, "hugetlb"), res, false, err);
	const struct oci_network *net = res->network;
	if (r == 0 && net && net->class_id.set) {
		int fd = v1_dir(dirs, n, "net_cls");
		r = fd < 0 ? error_new(err, ENOTSUP, "linux.resources.network.classID: this host has no net_cls cgroup")
			   : write_i64(fd, "network.classID", "net_cls.classid", (int64_t) net->class_id.value, false, err);
	}
	for (size_t i = 0; r == 0 && net && i < net->priorities.len; i++) {
		int fd = v1_dir(dirs, n, "net_prio");
		char line[128];
		snprintf(line, sizeof(line), "%s %" PRIu64, net->priorities.items[i].name ? net->priorities.items[i].name : "",
			 net->priorities.items[i].priority.value);
		r = fd < 0 ? error_new(err, ENOTSUP, "linux.resources.network.priorities: this host has no net_prio cgroup")
			   : write_value(fd, "network.priorities", "net_prio.ifpriomap", line, err);
	}
	if (r == 0 && res->rdma.len) {
		int fd = v1_dir(dirs, n, "rdma");
		r = fd < 0 ? error_new(err, ENOTSUP, "linux.resources.rdma: this host has no rdma cgroup") : apply_rdma(fd, res, err);
	}
	return r;
}

static int apply_v2(int fd, const struct oci_resources *res, bool devices, struct device_filter *deferred,
		    berth_error **err)
{
	int r = 0;
	struct device_rule *rules = NULL;
	size_t n_rules = 0;
	if (devices && device_rules_effective(res, &rules, &n_rules) < 0)
		return error_errno(err, ENOMEM, "linux.resources.devices");
	if (devices) {
		struct device_filter f = DEVICE_FILTER_INIT;
		r = device_filter_build(rules, n_rules, &f);
		if (r < 0)
			r = error_errno(err, -r, "linux.resources.devices: build the device filter (%zu rules)", n_rules);
		else if (deferred)
			*deferred = f;
		else {
			r = device_filter_attach(&f, fd, err);
			device_filter_clear(&f);
		}
	}
	free(rules);
	if (r < 0 || !res)
		return r;
	const struct oci_memory *m = res->memory;
	if (m && m->check_before_update.set && m->check_before_update.value && m->limit.set && m->limit.value >= 0) {
		/* runtime-spec: refuse a limit below what the container already uses. */
		_cleanup_free_ char *cur = NULL;
		size_t len = 0;
		if (read_file_at(fd, "memory.current", &cur, &len, NULL) == 0 && strtoll(cur, NULL, 10) > m->limit.value)
			return error_new(err, EBUSY, "linux.resources.memory.limit: %" PRId64 " is below the %lld bytes in use "
				         "(checkBeforeUpdate)", m->limit.value, strtoll(cur, NULL, 10));
	}
	if (m) {
		if (m->limit.set)
			r = write_i64(fd, "memory.limit", "memory.max", m->limit.value, true, err);
		if (r == 0 && m->reservation.set)
			r = write_i64(fd, "memory.reservation", "memory.low", m->reservation.value, true, err);
		int64_t swap = 0;
		if (r == 0 && memory_swap(m, faccessat(fd, "memory.swap.max", F_OK, 0) == 0, &swap)) {
			/* OCI swap is memory+swap; v2 limits swap alone (runc's conversion). */
			if (swap > 0 && m->limit.set && m->limit.value > 0)
				swap -= m->limit.value;
			r = write_i64(fd, "memory.swap", "memory.swap.max", swap, true, err);
		}
	}
	const struct oci_cpu *c = res->cpu;
	if (r == 0 && c) {
		if (c->shares.set && c->shares.value)
			r = write_i64(fd, "cpu.shares", "cpu.weight", (int64_t) cgroup_shares_to_weight(c->shares.value), false, err);
		if (r == 0 && ((c->quota.set && c->quota.value) || (c->period.set && c->period.value))) {
			char buf[64];
			uint64_t period = c->period.set && c->period.value ? c->period.value : 100000;
			if (c->quota.set && c->quota.value > 0)
				snprintf(buf, sizeof(buf), "%" PRId64 " %" PRIu64, c->quota.value, period);
			else
				snprintf(buf, sizeof(buf), "max %" PRIu64, period);
			r = write_value(fd, "cpu.quota", "cpu.max", buf, err);
		}
		if (r == 0 && c->burst.set)
			r = write_i64(fd, "cpu.burst", "cpu.max.burst", (int64_t) c->burst.value, false, err);
		if (r == 0 && c->idle.set)
			r = write_i64(fd, "cpu.idle", "cpu.idle", c->idle.value, false, err);
		if (r == 0 && c->cpus && *c->cpus)
			r = write_value(fd, "cpu.cpus", "cpuset.cpus", c->cpus, err);
		if (r == 0 && c->mems && *c->mems)
			r = write_value(fd, "cpu.mems", "cpuset.mems", c->mems, err);
	}
	if (r == 0 && res->pids)
		r = write_i64(fd, "pids.limit", "pids.max", res->pids->limit.value > 0 ? res->pids->limit.value : -1, true, err);
	if (r == 0 && res->block_io)
		r = apply_block_io(fd, true, res->block_io, err);
	if (r == 0)
		r = apply_hugetlb(fd, res, true, err);
	if (r == 0 && res->network && (res->network->class_id.set || res->network->priorities.len))
		r = error_new(err, ENOTSUP, "linux.resources.network: cgroup v2 has no net_cls or net_prio controller");
	if (r == 0)
		r = apply_rdma(fd, res, err);
	for (size_t i = 0; r == 0 && i < res->unified.len; i++)
		r = write_value(fd, "unified", res->unified.keys[i], res->unified.values[i], err);
	return r;
}

int cgroup_resources_check(const struct cgroup_set *set, const struct oci_resources *res, berth_error **err)
{
	struct dir dirs[32];
	bool has_v1;
	if (!res)
		return 0;
	size_t n = open_dirs(set, dirs, ARRAY_SIZE(dirs), &has_v1);
	close_dirs(dirs, n);
	for (size_t i = 0; i < res->unified.len; i++) {
		const char *key = res->unified.keys[i];
		if (has_v1)
			return error_new(err, ENOTSUP, "linux.resources.unified: needs a cgroup v2 host (this one uses v1 controllers)");
		/* A key names a file of the container's own cgroup, never a path out of it. */
		if (strchr(key, '/') || strcmp(key, "..") == 0 || strcmp(key, ".") == 0 || !strchr(key, '.'))
			return error_new(err, EINVAL, "linux.resources.unified.%s: not a cgroup file name", key);
	}
	if (res->memory && res->memory->limit.set && res->memory->swap.set && res->memory->swap.value > 0 &&
	    res->memory->limit.value >= 0 && res->memory->swap.value < res->memory->limit.value)
		return error_new(err, EINVAL, "linux.resources.memory.swap: %" PRId64 " is below the limit %" PRId64
				 " (swap counts memory too)", res->memory->swap.value, res->memory->limit.value);
	if (res->cpu && res->cpu->realtime_runtime.set && res->cpu->realtime_runtime.value && !has_v1)
		return error_new(err, ENOTSUP, "linux.resources.cpu.realtimeRuntime: cgroup v2 has no realtime limits");
	if (res->cpu && res->cpu->realtime_period.set && res->cpu->realtime_period.value && !has_v1)
		return error_new(err, ENOTSUP, "linux.resources.cpu.realtimePeriod: cgroup v2 has no realtime limits");
	return 0;
}

int cgroup_resources_apply(const struct cgroup_set *set, const struct oci_resources *res, bool devices,
			   struct device_filter *deferred, berth_error **err)
{
	struct dir dirs[32];
	bool has_v1;
	int r = cgroup_resources_check(set, res, err);
	if (r < 0)
		return r;
	size_t n = open_dirs(set, dirs, ARRAY_SIZE(dirs), &has_v1);
	r = has_v1 ? apply_v1(dirs, n, res, devices, err) : apply_v2(v2_dir(dirs, n), res, devices, deferred, err);
	close_dirs(dirs, n);
	return r;
}
