/* What create and restore share: from a bundle to a state directory and cgroups, and back on failure. */
#pragma once

#include <sys/types.h>

#include "cgroups/cgroup.h"
#include "cgroups/device_filter.h"
#include "oci/config.h"
#include "runtime/container.h"
#include "runtime/state_store.h"

/* What create and restore share: the config, the state directory and the cgroups with their limits. */
struct prepared {
	struct oci_config *config;
	char *bundle, *rootfs, *label;
	int bundlefd;
	struct container c;
	struct cgroup_set cgroups;
	pid_t scope_holder;  /* --systemd-cgroup: holds the scope until the init is in it; 0 when none */
	struct device_filter device_filter;  /* cgroup v2: built, for the caller to attach (device_filter_attach) */
};

#define PREPARED_INIT \
	((struct prepared){ .bundlefd = -1, .c = { .dirfd = -1, .rootfd = -1 }, .device_filter = DEVICE_FILTER_INIT })

/*
 * Read and check the bundle's config, make the state directory (status
 * "creating", the config copied in) and the cgroups with their limits; a
 * cgroup v2 device filter is left built in p->device_filter for the caller.
 * On failure nothing is left (the caller still calls prepared_clear).
 */
int prepare(const struct create_options *o, struct prepared *p, berth_error **err);

/* The init runs: record it with its status, its cgroups, and write the pid file. */
int commit(struct prepared *p, const struct create_options *o, pid_t pid, enum oci_status status, berth_error **err);

/*
 * Kill what runs (pidfd may be -1), remove the cgroups and the state
 * directory. Returns whether the init is dead (false: it outlived the wait).
 */
bool undo_create(struct container *c, struct cgroup_set *cgroups, int pidfd);

void prepared_clear(struct prepared *p);
