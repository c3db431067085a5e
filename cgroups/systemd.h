/*
 * The systemd cgroup driver (--systemd-cgroup): the container's cgroup is a
 * transient scope that systemd makes (StartTransientUnit over sd-bus, with
 * Delegate=yes), so systemd knows the cgroup is taken and never moves or
 * empties it. libsystemd is loaded only when this driver is used: berth
 * otherwise starts without it.
 */
#pragma once

#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

struct systemd_unit {
	char *slice;  /* "system.slice" */
	char *name;   /* "berth-<id>.scope" */
	char *path;   /* its cgroup, from the root of the hierarchy: "/system.slice/berth-<id>.scope" */
};

/*
 * linux.cgroupsPath as runc reads it for systemd, "slice:prefix:name" (NULL or
 * empty: "system.slice:berth:<id>"), into the unit berth starts.
 */
int systemd_unit_parse(const char *cgroups_path, const char *id, struct systemd_unit *ret, berth_error **err);
void systemd_unit_clear(struct systemd_unit *u);

/*
 * Start the scope with pid in it, the limits systemd knows as unit properties
 * and org.systemd.property.* annotations; returns once pid is in the scope's cgroup.
 */
int systemd_start_scope(const struct systemd_unit *u, pid_t pid, const char *id, const struct oci_linux *l,
			const struct string_map *annotations, berth_error **err);

/* Stop the unit (its processes are killed and its cgroup removed by systemd); gone already is fine. */
int systemd_stop_unit(const struct systemd_unit *u, berth_error **err);

/*
 * On update: the new limits systemd knows (memory, pids, cpu weight and quota) as properties of the running
 * unit, so that systemd, which writes a unit's limits to its cgroup again on daemon-reload, keeps them.
 */
int systemd_set_limits(const struct systemd_unit *u, const struct oci_resources *res, berth_error **err);
