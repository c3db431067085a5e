/*
 * Idmapped mounts (a mount's uidMappings/gidMappings, options idmap and
 * ridmap). The kernel wants privilege over the source's filesystem to idmap a
 * mount, which the init gave up when it entered its user namespace; so berth
 * makes each one, detached, before the clone, and the init only attaches it.
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

/* Whether mount m asks to be idmapped (mappings, or the idmap/ridmap option). */
bool idmap_mount_wanted(const struct oci_mount *m);
