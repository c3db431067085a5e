/* Operations on a running container: pause, resume, ps (update and events live in their own files). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

int container_pause(const char *root, const char *id, berth_error **err);
int container_resume(const char *root, const char *id, berth_error **err);

/* The host pids in the container's cgroup (sorted). */
int container_pids(const char *root, const char *id, pid_t **ret_pids, size_t *ret_len, berth_error **err);
