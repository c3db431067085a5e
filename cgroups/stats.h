/* Resource usage of a container's cgroups in runc's stats shape, and OOM notification. */
#pragma once

#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "cgroups/cgroup.h"
#include "util/error.h"

/* Emit runc's "data" object of a stats event: cpu, memory, pids, blkio, hugetlb. */
int cgroup_stats_emit(const struct cgroup_set *set, yajl_gen g);

/*
 * An fd that becomes readable when the kernel OOM-kills in the container's
 * memory cgroup (v1: an eventfd on memory.oom_control; v2: inotify on
 * memory.events). Read it with cgroup_oom_ack. -errno if there is no memory cgroup.
 */
int cgroup_oom_watch(const struct cgroup_set *set);

/* Consume the notification; returns how many new OOM events happened (v2: kills counted in memory.events). */
int cgroup_oom_ack(const struct cgroup_set *set, int watch_fd, uint64_t *last_count);

/* Kills the kernel's OOM killer made in the cgroup so far (memory.events oom_kill, or v1 oom_control). */
uint64_t cgroup_oom_kills(const struct cgroup_set *set);
