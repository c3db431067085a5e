/* The container process' attributes, applied by the init right before exec (runtime-spec config.md#process). */
#pragma once

#include <stdbool.h>

#include "oci/config.h"
#include "util/error.h"

/*
 * oomScoreAdj, while the process still has the host's credentials: once it is root of a user namespace it is
 * no longer dumpable, its /proc files belong to the host's root, and it may not write them (EACCES).
 */
int process_apply_oom_score_adj(const struct oci_process *p, berth_error **err);

/* rlimits, ioPriority, scheduler, personality, umask: before dropping privileges. */
int process_apply_limits(const struct oci_process *p, const struct oci_linux *l, berth_error **err);

/* apparmorProfile and selinuxLabel, written through a procfs that is checked to be procfs. */
int process_apply_labels(const struct oci_process *p, berth_error **err);

/* user (groups, gid, uid) and the five capability sets, then noNewPrivileges. */
int process_apply_credentials(const struct oci_process *p, bool in_user_namespace, berth_error **err);

/* execCPUAffinity: which set to apply now ("initial" or "final"). */
int process_apply_cpu_affinity(const char *cpus, const char *which, berth_error **err);

/* Find args[0] on the process' PATH (inside the container); returns a malloc'd path. */
/*
 * env with HOME added when it has none: the user's home from the container's
 * /etc/passwd, or "/" (runc's rule, for run and exec). env itself when it has HOME.
 */
char **process_env_with_home(char *const *env, uid_t uid);

int process_find_executable(const struct oci_process *p, char **ret_path, berth_error **err);
