/* terminal: true — a pty from the container's devpts; the master goes to the caller over --console-socket. */
#pragma once

#include <stdbool.h>

#include "oci/config.h"
#include "util/error.h"

/*
 * Inside the container (after the pivot): open a pty, size it, make the slave
 * fds 0-2 and the controlling tty; the init also binds it over /dev/console.
 */
int console_setup(const struct oci_box *size, bool bind_console, uid_t owner, int *ret_master, berth_error **err);

/* Send the pty master over the unix socket at path with SCM_RIGHTS (the data is the pty's name, as runc sends). */
int console_send(const char *socket_path, int master, berth_error **err);
