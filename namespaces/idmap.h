/*
 * Idmapped mounts (a mount's uidMappings/gidMappings, options idmap and
 * ridmap). The kernel wants privilege over the source's filesystem to idmap a
 * mount, which the init gave up when it entered its user namespace; so berth
 * makes each one, detached, and the init only attaches it: before the clone
 * without a user namespace; with one, in the init's mount namespace, from its
 * locked copy of the source (namespaces/mount_sources.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "oci/config.h"
#include "util/error.h"

/*
 * One fd per entry of c->mounts: a detached idmapped tree, or -1. *ret_fds is
 * NULL when no mount is idmapped (nothing to free).
 */
int idmap_mounts_prepare(const struct oci_config *c, int bundlefd, int **ret_fds, berth_error **err);
void idmap_mounts_close(int *fds, size_t n);

/* The detached idmapped tree of c->mounts[index] (its source opened from bundlefd when relative), or -errno with err. */
int idmap_mount_make(const struct oci_config *c, size_t index, int bundlefd, berth_error **err);

/* Whether mount m asks to be idmapped (mappings, or the idmap/ridmap option). */
bool idmap_mount_wanted(const struct oci_mount *m);
