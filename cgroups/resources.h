/*
 * Writing linux.resources into a container's cgroups. On a hybrid host the v1
 * controllers carry the limits (cgroup2 there has none); on a v2 host the
 * unified files do, with runc's conversions (shares -> weight, swap).
 */
#pragma once

#include "cgroups/cgroup.h"
#include "cgroups/device_filter.h"
#include "oci/config.h"
#include "util/error.h"

/* Check what cannot be expressed (e.g. unified keys on v1) before anything is written. */
int cgroup_resources_check(const struct cgroup_set *set, const struct oci_resources *r, berth_error **err);

/*
 * Write every set field. Errors name the field and the file: "linux.resources.memory.limit: write memory.max: ...".
 * With deferred, a cgroup v2 device filter is only built into it, for the caller to load and attach
 * (device_filter_attach); without, it is attached here. With devices, the device allowlist is
 * applied (deny-all, r's rules, the defaults; r may be NULL): at create always, at update when asked.
 */
int cgroup_resources_apply(const struct cgroup_set *set, const struct oci_resources *r, bool devices,
			   struct device_filter *deferred,
			   berth_error **err);

/* runc's conversion of cpu shares [2, 262144] to cgroup v2 cpu.weight [1, 10000]. */
unsigned long long cgroup_shares_to_weight(unsigned long long shares);
