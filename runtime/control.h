/* Operations on a running container: pause, resume, ps (update and events live in their own files). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

int container_pause(const char *root, const char *id, berth_error **err);
int container_resume(const char *root, const char *id, berth_error **err);

/* Apply new limits to a living container's cgroups (checked before anything is written). */
struct oci_resources;
int container_update(const char *root, const char *id, const struct oci_resources *resources, berth_error **err);

/* For events: a running container's cgroups and a pidfd of its init (both owned by the caller). */
struct cgroup_set;
int container_watch_open(const char *root, const char *id, struct cgroup_set *ret_set, int *ret_pidfd,
			 berth_error **err);

/*
 * The host pids of the container: those in its cgroup; without one (rootless,
 * or cgroups disabled), those in its init's pid namespace. *ret_pids is malloc'd.
 */
struct container;
int container_processes(const struct container *c, const struct cgroup_set *set, pid_t **ret_pids, size_t *ret_len);

/* The host pids of the container (sorted): none once it has stopped. */
int container_pids(const char *root, const char *id, pid_t **ret_pids, size_t *ret_len, berth_error **err);
