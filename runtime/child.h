/* What every process berth clones into a container (the init, an exec'd process) does around its setup. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "oci/config.h"
#include "util/error.h"

/*
 * First thing in the child: close berth's ends and state fds, give back the
 * default SIGPIPE and an empty signal mask, become non-dumpable (CVE-2019-5736:
 * /proc/PID/exe of berth's image stays out of the container's reach until
 * execve resets it) unless stay_dumpable, and die with berth while the setup lasts.
 */
void child_prologue(const int *close_fds, size_t n_close, bool stay_dumpable);

/* Non-dumpable from here on (the init, once an unprivileged berth has written its id maps). */
void child_become_undumpable(void);

/* Setup done: the child outlives berth from here on. */
void child_setup_done(void);

/*
 * Mark every fd from 3 + preserve_fds up close-on-exec, and the preserved ones
 * inheritable (except keep_fd, berth's own), while no seccomp filter forbids it.
 */
int child_prepare_fds(int preserve_fds, int keep_fd, berth_error **err);

/*
 * In the container, its namespaces joined and berth's fds closed: chdir to
 * process.cwd (create_cwd: made when missing, as runc does for the init) and check it is inside (CVE-2024-21626), find the executable,
 * apply the LSM labels and the final CPU affinity.
 */
int child_enter_process(const struct oci_process *p, bool create_cwd, char *const *env, char ***ret_env,
			char **ret_executable, berth_error **err);

/* Hand the pty master to berth over sync_fd (closing ours) and wait for its SYNC_ACK. */
int child_send_pty(int sync_fd, int master, berth_error **err);

/* Load the filter berth compiled; a notify fd goes over sync_fd to berth (which hands it to listenerPath). */
struct seccomp_program;
int child_load_seccomp(int sync_fd, const struct seccomp_program *seccomp, berth_error **err);
