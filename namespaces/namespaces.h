/* Which namespaces a container creates or joins, joining by path, and user-namespace mappings. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

struct namespace_plan {
	unsigned long new_flags;       /* CLONE_NEW* to create */
	int join_fds[OCI_NS_COUNT];    /* fds of namespaces to join, -1 when none */
	bool has[OCI_NS_COUNT];        /* listed in the config at all */
};

/* Open the join paths (verified to be namespaces of the right type) and compute the clone flags. */
int namespace_plan_open(const struct oci_linux *l, struct namespace_plan *ret, berth_error **err);
void namespace_plan_close(struct namespace_plan *plan);

/* setns into every joined namespace but user; then (if joined) the user namespace. */
int namespace_join_all(const struct namespace_plan *plan, berth_error **err);

unsigned long namespace_clone_flag(enum oci_namespace_type type);

/*
 * berth's own pid and time namespaces "for children", saved before it joins a
 * container's (so the clone lands inside) and restored right after: nothing
 * else berth forks (hooks, its own helpers) may land in the container's.
 */
struct children_namespaces {
	int pid_fd, time_fd;
};
int namespace_children_save(struct children_namespaces *saved, berth_error **err);
void namespace_children_restore(struct children_namespaces *saved);

/* Write /proc/<pid>/<file> (uid_map, timens_offsets, ...); errors name the file. */
int namespace_proc_write(pid_t pid, const char *file, const char *data, size_t len, berth_error **err);

/* timeOffsets: write /proc/<pid>/timens_offsets before the time namespace has a process. */
int timens_write_offsets(pid_t pid, const struct oci_linux *l, berth_error **err);
