/* Freezing a container's cgroup: v1 freezer.state, or v2 cgroup.freeze (checked in cgroup.events). */
#pragma once

#include <stdbool.h>

#include "cgroups/cgroup.h"
#include "util/error.h"

/* Freeze or thaw, and wait until the kernel says it is done. */
int cgroup_freeze(const struct cgroup_set *set, bool freeze, berth_error **err);

/* 1 frozen, 0 not, -errno when no freezer can be found. */
int cgroup_frozen(const struct cgroup_set *set);
