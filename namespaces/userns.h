/*
 * User namespace mappings: written directly when berth may (root, or one
 * unprivileged id mapped to itself), through newuidmap/newgidmap (shadow's
 * setuid helpers, /etc/subuid and /etc/subgid) otherwise; and namespaces made
 * only to carry a mapping, for idmapped mounts.
 */
#pragma once

#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

/*
 * Map pid's user namespace. `where` names the config object the mappings come
 * from in errors ("linux", "mounts[2]").
 */
int userns_write_mappings(pid_t pid, const oci_id_mappings *uid, const oci_id_mappings *gid, const char *where,
			  berth_error **err);

/* An fd of a new, empty user namespace with these mappings (for MOUNT_ATTR_IDMAP). */
int userns_open_mapped(const oci_id_mappings *uid, const oci_id_mappings *gid, const char *where, berth_error **err);
