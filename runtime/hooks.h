/* OCI hooks (config.md#posix-platform-hooks): run with the state JSON on stdin, args, env and timeout. */
#pragma once

#include "oci/config.h"
#include "util/error.h"

/*
 * Run every hook of a list in order; the first failure stops and is returned
 * as "<kind> hook `path`: exited with status 3: <its output>".
 */
int hooks_run(const oci_hook_list *hooks, const char *kind, const char *state_json, berth_error **err);

/*
 * The same with the state already in a memfd (memfd_with): each hook reads it
 * whole on its stdin from the start, whatever its size, and a hook that never
 * reads it cannot hold berth past its timeout.
 */
int hooks_run_fd(const oci_hook_list *hooks, const char *kind, int state_fd, berth_error **err);

/*
 * poststart and poststop (runtime.md): a failing hook is logged as a warning
 * and the remaining hooks still run, as if it had succeeded.
 */
void hooks_run_all_warn(const oci_hook_list *hooks, const char *kind, const char *state_json);
