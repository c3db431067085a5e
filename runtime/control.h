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

/* The host pids in the container's cgroup (sorted). */
int container_pids(const char *root, const char *id, pid_t **ret_pids, size_t *ret_len, berth_error **err);
