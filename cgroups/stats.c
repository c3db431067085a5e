#include "cgroups/stats.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/json.h"

struct dirs {
	int memory, cpuacct, cpu, pids, blkio, hugetlb, v2;
};

static int open_dir(const struct cgroup_dir *d)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s%s", d->mount, d->path);
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static bool named(const char *mount, const char *controller)
{
	const char *base = strrchr(mount, '/');
	return cgroup_list_has(base ? base + 1 : mount, controller);
}

static void open_dirs(const struct cgroup_set *set, struct dirs *d)
{
	*d = (struct dirs){ -1, -1, -1, -1, -1, -1, -1 };
	for (size_t i = 0; i < set->len; i++) {
		int fd = open_dir(&set->dirs[i]);
		if (fd < 0)
			continue;
		const char *m = set->dirs[i].mount;
		int *slot = faccessat(fd, "cgroup.controllers", F_OK, 0) == 0 ? &d->v2
			    : named(m, "memory")                              ? &d->memory
			    : named(m, "cpuacct")                             ? &d->cpuacct
			    : named(m, "pids")                                ? &d->pids
			    : named(m, "blkio")                               ? &d->blkio
			    : named(m, "hugetlb")                             ? &d->hugetlb
			    : named(m, "cpu")                                 ? &d->cpu
									      : NULL;
		if (slot && *slot < 0)
			*slot = fd;
		else
			close(fd);
		/* cpu,cpuacct mounted together: one directory serves both. */
		if (slot == &d->cpuacct && named(m, "cpu") && d->cpu < 0)
			d->cpu = dup(fd);
	}
}

static void close_dirs(struct dirs *d)
{
	int *all[] = { &d->memory, &d->cpuacct, &d->cpu, &d->pids, &d->blkio, &d->hugetlb, &d->v2 };
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (*all[i] >= 0)
			close(*all[i]);
}

/* A single number from a file ("max" reads as UINT64_MAX); 0 when absent. */
static uint64_t read_u64(int dirfd, const char *file)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (dirfd < 0 || read_file_at(dirfd, file, &data, &len, NULL) < 0)
		return 0;
	if (strncmp(data, "max", 3) == 0)
		return UINT64_MAX;
	return strtoull(data, NULL, 10);
}

/* "key value" lines (memory.stat, cpu.stat, memory.events): the value of key, 0 when absent. */
static uint64_t read_keyed(int dirfd, const char *file, const char *key)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0, klen = strlen(key);
	if (dirfd < 0 || read_file_at(dirfd, file, &data, &len, NULL) < 0)
		return 0;
	for (char *line = data; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return strtoull(line + klen + 1, NULL, 10);
	return 0;
}

static void key(yajl_gen g, const char *k)
{
	json_gen_cstring(g, k);
}

static void num(yajl_gen g, const char *k, uint64_t v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRIu64, v);
	key(g, k);
	yajl_gen_number(g, buf, (size_t) n);
}

/* memory.stat as an object of every key, like runc's "raw". */
static void raw_stats(yajl_gen g, int dirfd, const char *file)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	key(g, "raw");
	yajl_gen_map_open(g);
	if (dirfd >= 0 && read_file_at(dirfd, file, &data, &len, NULL) == 0)
		for (char *save = NULL, *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *space = strchr(line, ' ');
			if (!space)
				continue;
			*space = '\0';
			num(g, line, strtoull(space + 1, NULL, 10));
		}
	yajl_gen_map_close(g);
}

static void usage_entry(yajl_gen g, const char *name, uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
	key(g, name);
	yajl_gen_map_open(g);
	num(g, "limit", limit);
	num(g, "usage", usage);
	num(g, "max", max);
	num(g, "failcnt", failcnt);
	yajl_gen_map_close(g);
}

static void emit_v1(const struct dirs *d, yajl_gen g)
{
	/* cpu: cpuacct.usage in ns; user/system from cpuacct.stat in USER_HZ ticks. */
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ns_per_tick = hz > 0 ? 1000000000ULL / (uint64_t) hz : 10000000ULL;
	key(g, "cpu");
	yajl_gen_map_open(g);
	key(g, "usage");
	yajl_gen_map_open(g);
	num(g, "total", read_u64(d->cpuacct, "cpuacct.usage"));
	num(g, "kernel", read_keyed(d->cpuacct, "cpuacct.stat", "system") * ns_per_tick);
	num(g, "user", read_keyed(d->cpuacct, "cpuacct.stat", "user") * ns_per_tick);
	yajl_gen_map_close(g);
	key(g, "throttling");
	yajl_gen_map_open(g);
	num(g, "periods", read_keyed(d->cpu, "cpu.stat", "nr_periods"));
	num(g, "throttled_periods", read_keyed(d->cpu, "cpu.stat", "nr_throttled"));
	num(g, "throttled_time", read_keyed(d->cpu, "cpu.stat", "throttled_time"));
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);

	key(g, "memory");
	yajl_gen_map_open(g);
	num(g, "cache", read_keyed(d->memory, "memory.stat", "cache"));
	usage_entry(g, "usage", read_u64(d->memory, "memory.limit_in_bytes"), read_u64(d->memory, "memory.usage_in_bytes"),
		    read_u64(d->memory, "memory.max_usage_in_bytes"), read_u64(d->memory, "memory.failcnt"));
	usage_entry(g, "swap", read_u64(d->memory, "memory.memsw.limit_in_bytes"),
		    read_u64(d->memory, "memory.memsw.usage_in_bytes"), read_u64(d->memory, "memory.memsw.max_usage_in_bytes"),
		    read_u64(d->memory, "memory.memsw.failcnt"));
	raw_stats(g, d->memory, "memory.stat");
	yajl_gen_map_close(g);

	key(g, "pids");
	yajl_gen_map_open(g);
	num(g, "current", read_u64(d->pids, "pids.current"));
	uint64_t limit = read_u64(d->pids, "pids.max");
	num(g, "limit", limit == UINT64_MAX ? 0 : limit);
	yajl_gen_map_close(g);
}

static void emit_v2(int fd, yajl_gen g)
{
	key(g, "cpu");
	yajl_gen_map_open(g);
	key(g, "usage");
	yajl_gen_map_open(g);
	num(g, "total", read_keyed(fd, "cpu.stat", "usage_usec") * 1000);
	num(g, "kernel", read_keyed(fd, "cpu.stat", "system_usec") * 1000);
	num(g, "user", read_keyed(fd, "cpu.stat", "user_usec") * 1000);
	yajl_gen_map_close(g);
	key(g, "throttling");
	yajl_gen_map_open(g);
	num(g, "periods", read_keyed(fd, "cpu.stat", "nr_periods"));
	num(g, "throttled_periods", read_keyed(fd, "cpu.stat", "nr_throttled"));
	num(g, "throttled_time", read_keyed(fd, "cpu.stat", "throttled_usec") * 1000);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);

	key(g, "memory");
	yajl_gen_map_open(g);
	num(g, "cache", read_keyed(fd, "memory.stat", "file"));
	usage_entry(g, "usage", read_u64(fd, "memory.max"), read_u64(fd, "memory.current"), read_u64(fd, "memory.peak"),
		    read_keyed(fd, "memory.events", "max"));
	usage_entry(g, "swap", read_u64(fd, "memory.swap.max"), read_u64(fd, "memory.swap.current"),
		    read_u64(fd, "memory.swap.peak"), read_keyed(fd, "memory.swap.events", "max"));
	raw_stats(g, fd, "memory.stat");
	yajl_gen_map_close(g);

	key(g, "pids");
	yajl_gen_map_open(g);
	num(g, "current", read_u64(fd, "pids.current"));
	uint64_t limit = read_u64(fd, "pids.max");
	num(g, "limit", limit == UINT64_MAX ? 0 : limit);
	yajl_gen_map_close(g);
}

/* hugetlb: one entry per page size the kernel offers ("2MB": usage, max, failcnt). */
static void emit_hugetlb(int fd, bool v2, yajl_gen g)
{
	key(g, "hugetlb");
	yajl_gen_map_open(g);
	_cleanup_closedir_ DIR *dir = opendir("/sys/kernel/mm/hugepages");
	struct dirent *e;
	while (fd >= 0 && dir && (e = readdir(dir))) {
		unsigned long kb;
		if (sscanf(e->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		char size[32], file[96];
		if (kb >= 1024 * 1024)
			snprintf(size, sizeof(size), "%luGB", kb / (1024 * 1024));
		else
			snprintf(size, sizeof(size), "%luMB", kb / 1024);
		key(g, size);
		yajl_gen_map_open(g);
		snprintf(file, sizeof(file), v2 ? "hugetlb.%s.current" : "hugetlb.%s.usage_in_bytes", size);
		num(g, "usage", read_u64(fd, file));
		snprintf(file, sizeof(file), v2 ? "hugetlb.%s.max" : "hugetlb.%s.max_usage_in_bytes", size);
		num(g, "max", read_u64(fd, file));
		snprintf(file, sizeof(file), v2 ? "hugetlb.%s.events" : "hugetlb.%s.failcnt", size);
		num(g, "failcnt", v2 ? read_keyed(fd, file, "max") : read_u64(fd, file));
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
}

int cgroup_stats_emit(const struct cgroup_set *set, yajl_gen g)
{
	struct dirs d;
	open_dirs(set, &d);
	bool v1 = d.memory >= 0 || d.pids >= 0 || d.cpuacct >= 0;
	yajl_gen_map_open(g);
	if (v1)
		emit_v1(&d, g);
	else
		emit_v2(d.v2, g);
	key(g, "blkio");
	yajl_gen_map_open(g);
	yajl_gen_map_close(g);
	emit_hugetlb(v1 ? d.hugetlb : d.v2, !v1, g);
	yajl_gen_map_close(g);
	close_dirs(&d);
	return 0;
}

static bool set_is_v1(const struct cgroup_set *set)
{
	struct dirs d;
	open_dirs(set, &d);
	bool v1 = d.memory >= 0;
	close_dirs(&d);
	return v1;
}

uint64_t cgroup_oom_kills(const struct cgroup_set *set)
{
	struct dirs d;
	open_dirs(set, &d);
	uint64_t kills = d.memory >= 0 ? read_keyed(d.memory, "memory.oom_control", "oom_kill")
				       : read_keyed(d.v2, "memory.events", "oom_kill");
	close_dirs(&d);
	return kills;
}

int cgroup_oom_watch(const struct cgroup_set *set)
{
	struct dirs d;
	int r = -ENOENT;
	open_dirs(set, &d);
	if (d.memory >= 0) {
		/* v1: an eventfd registered on memory.oom_control through cgroup.event_control. */
		int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		int ofd = openat(d.memory, "memory.oom_control", O_RDONLY | O_CLOEXEC);
		int cfd = openat(d.memory, "cgroup.event_control", O_WRONLY | O_CLOEXEC);
		char buf[64];
		int n = snprintf(buf, sizeof(buf), "%d %d", efd, ofd);
		if (efd >= 0 && ofd >= 0 && cfd >= 0 && write_all(cfd, buf, (size_t) n) == 0) {
			r = efd;
			efd = -1;
		} else
			r = -errno;
		if (efd >= 0)
			close(efd);
		if (ofd >= 0)
			close(ofd);
		if (cfd >= 0)
			close(cfd);
	} else if (d.v2 >= 0) {
		/* v2: memory.events changes (and inotify says so) when oom_kill is counted. */
		char path[64];
		int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		snprintf(path, sizeof(path), "/proc/self/fd/%d/memory.events", d.v2);
		if (ifd >= 0 && inotify_add_watch(ifd, path, IN_MODIFY) >= 0)
			r = ifd;
		else {
			r = -errno;
			if (ifd >= 0)
				close(ifd);
		}
	}
	close_dirs(&d);
	return r;
}

int cgroup_oom_ack(const struct cgroup_set *set, int watch_fd, uint64_t *last_count)
{
	char buf[4096];
	bool notified = false;
	while (read(watch_fd, buf, sizeof(buf)) > 0)
		notified = true;
	uint64_t now = cgroup_oom_kills(set);
	int events = now > *last_count ? (int) (now - *last_count) : 0;
	*last_count = now;
	/* An OOM without a kill (v1 with disableOOMKiller) is still one event to report. */
	return events == 0 && notified && set_is_v1(set) ? 1 : events;
}
