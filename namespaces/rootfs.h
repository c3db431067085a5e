/* The container's root filesystem: bind, mounts, masks, devices, pivot. Runs in the init's mount namespace. */
#pragma once

#include <stdbool.h>

#include "namespaces/mounts.h"
#include "oci/config.h"
#include "util/error.h"

/*
 * Make "/" a slave (or the configured propagation) so nothing leaks to the
 * host, bind the rootfs onto itself and open it. Returns the rootfs O_PATH fd.
 */
int rootfs_prepare(const char *rootfs, int propagation, berth_error **err);

/* maskedPaths: /dev/null over files, an empty read-only tmpfs over directories. */
int rootfs_mask_paths(int rootfd, const struct string_list *paths, berth_error **err);
/* readonlyPaths: bind each onto itself, read-only. */
int rootfs_readonly_paths(int rootfd, const struct string_list *paths, berth_error **err);

/* Make rootfd the root: pivot_root, or (no_pivot) MS_MOVE + chroot for ramfs roots. */
int rootfs_pivot(int rootfd, const char *rootfs, bool no_pivot, berth_error **err);

/* After the pivot: root.readonly and rootfsPropagation on the new "/". */
int rootfs_finish(bool readonly, int propagation, berth_error **err);

/* Map enum oci_propagation to MS_* flags (0 for unset). */
unsigned long rootfs_propagation_flags(int propagation);
