/* /dev inside the container: runc's default devices, the config's linux.devices, and the standard links. */
#pragma once

#include <stdbool.h>

#include "oci/config.h"
#include "util/error.h"

/*
 * Create the default devices (null, zero, full, random, urandom, tty) unless
 * the config lists them, then linux.devices. With bind_from_host (inside a
 * user namespace, where mknod is refused) each node is a bind of the host's.
 * Then the links: /dev/fd, /dev/std{in,out,err}, /dev/ptmx -> pts/ptmx,
 * /dev/core (existing entries are left alone, but for ptmx).
 */
int devices_create(int rootfd, const struct oci_linux *linux_config, bool bind_from_host, berth_error **err);
