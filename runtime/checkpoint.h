/* checkpoint and restore (runc's), driving the criu program. */
#pragma once

#include "runtime/container.h"
#include "runtime/criu.h"

/*
 * Dump the running container's process tree to o->image_path, with what its
 * fds 0-2 were in descriptors.json. Unless leave_running (or pre_dump), the
 * container is gone afterwards, as with runc.
 */
int container_checkpoint(const char *root, const char *id, const struct criu_options *o, berth_error **err);

/*
 * Make the container from the bundle as create does (state, cgroups, limits),
 * then have criu restore the images into it. The restored init becomes a child
 * of the caller (berth is a subreaper while criu runs); ret as for create.
 */
int container_restore(const struct create_options *co, const struct criu_options *o, struct created_container *ret,
		      berth_error **err);
