/* CVE-2019-5736: keep berth's binary out of a container's reach through /proc/PID/exe. */
#pragma once

#include <stdbool.h>

#include "oci/config.h"
#include "util/error.h"

/* Whether a process with these capabilities could ptrace-access (and so open /proc/PID/exe of) berth's child. */
bool exe_guard_needed(const struct oci_process *p);

/*
 * Make the running binary read-only where a container could reach it: when it
 * is not on a read-only mount already, bind it read-only over itself in a
 * private mount namespace and execute that, with the same arguments. Returns
 * 0 when nothing was needed (or this is the protected run); never returns on
 * success otherwise. No copy of the binary is made.
 */
int exe_guard_reexec(berth_error **err);
