/*
 * The container's init: the child berth clones. It sets the container up
 * inside its namespaces, reports back over the sync socket, waits on the
 * exec fifo until `start`, and execs the user's program. Nothing here re-execs
 * berth (CVE-2019-5736 cannot arise from a /proc/self/exe that is never used).
 */
#pragma once

#include <stdbool.h>

#include "cgroups/cgroup.h"
#include "namespaces/namespaces.h"
#include "oci/config.h"
#include "runtime/seccomp.h"

struct init_context {
	const struct oci_config *config;
	const char *rootfs;               /* absolute host path */
	const char *bundle;               /* absolute host path: relative bind sources start there */
	int sync_fd;                      /* the init's end of the socketpair */
	int parent_sync_fd;               /* berth's end: closed in the init */
	int fifo_fd;                      /* exec.fifo, O_RDWR: read blocks until start writes */
	const struct cgroup_set *cgroups;
	const struct namespace_plan *namespaces;
	const struct seccomp_program *seccomp; /* linux.seccomp compiled by berth, or NULL */
	const int *mount_fds;             /* per config mount: a detached tree made by berth (idmapped), or -1; may be NULL */
	/*
	 * berth runs without root: decided before the clone, because the init's own
	 * geteuid() turns 0 as soon as berth has written its uid_map.
	 */
	bool unprivileged;
	bool sources_from_berth;          /* bind sources come from berth (SYNC_SOURCES): a user namespace, berth root */
	bool no_pivot;
	bool namespaces_joined;           /* the namespaces to join by path were joined before the clone (clone_after) */
	bool no_new_keyring;
	int preserve_fds;                 /* fds 3 .. 3+n-1 go to the container (incl. LISTEN_FDS) */
	char **env;                       /* process.env, plus LISTEN_FDS/LISTEN_PID when passed on */
	const char *id;
	int state_fds[2];                 /* berth's state dir and root: closed at once (their flock is berth's) */
};

/* Runs in the cloned child; never returns. */
__attribute__((noreturn)) void init_main(const struct init_context *ctx);
