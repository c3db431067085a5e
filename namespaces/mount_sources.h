/*
 * Bind sources of a container with a user namespace, opened by berth rather
 * than by the init. The init is root only in its user namespace, so a source
 * below a directory that namespace cannot traverse would fail ("source:
 * Permission denied"); runc opens them as the caller. berth joins the init's
 * mount namespace for that, as runc's nsexec does: a mount of berth's own
 * namespace could not be cloned into the init's (open_tree: EINVAL), and one
 * cloned in berth's namespace would lose the locks the kernel put on the
 * init's copy of the host's mounts (a read-only host mount could be made
 * writable from inside). An idmapped mount is made there too, from the locked copy.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "oci/config.h"
#include "util/error.h"

/* Whether berth opens mount m's source (a bind with a source, or any idmapped mount); both sides count with this. */
bool mount_source_from_berth(const struct oci_mount *m);

/* How many of c's mounts that is. */
size_t mount_sources_count(const struct oci_config *c);

/*
 * In the mount namespace of the process behind pidfd (the init, blocked on the
 * sync socket), as berth: one fd per mount_source_from_berth() entry of c, in
 * order, into fds (mount_sources_count() of them): an O_PATH fd of the source
 * (relative ones from bundle), or for an idmapped mount its detached tree.
 * berth's own mount namespace, root and cwd are back when this returns.
 */
int mount_sources_open_in(int pidfd, const struct oci_config *c, const char *bundle, int *fds, berth_error **err);
