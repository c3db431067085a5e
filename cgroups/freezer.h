/* Freezing a container's cgroup: v1 freezer.state, or v2 cgroup.freeze (checked in cgroup.events). */
#pragma once

#include <stdbool.h>

#include "cgroups/cgroup.h"
#include "util/error.h"

/*
 * The directory whose freezer berth uses: the v1 freezer hierarchy if mounted
 * (runc's choice), else the cgroup2 one. Caller frees; NULL when there is none.
 */
char *cgroup_freezer_dir(const struct cgroup_set *set, bool *ret_v1);

/* Freeze or thaw, and wait until the kernel says it is done. */
int cgroup_freeze(const struct cgroup_set *set, bool freeze, berth_error **err);

/* 1 frozen, 0 not, -errno when no freezer can be found. */
int cgroup_frozen(const struct cgroup_set *set);
