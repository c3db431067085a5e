/* checkpoint/restore: the criu command lines berth runs, and criu's errors made readable. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

struct criu_options {
	const char *image_path;          /* where the images go (checkpoint) or come from (restore) */
	const char *work_path;           /* criu's logs and work files; NULL: image_path */
	const char *parent_path;         /* a pre-dump's images, for an incremental dump */
	const char *page_server;         /* ADDRESS:PORT */
	const char *manage_cgroups_mode; /* soft, full, strict or ignore; NULL: criu's default */
	const char *const *empty_ns;     /* namespaces criu should not restore (e.g. "network") */
	size_t n_empty_ns;
	const char *lsm_profile;         /* restore: TYPE:NAME */
	const char *lsm_mount_context;   /* restore: an SELinux mount context */
	bool leave_running, tcp_established, ext_unix_sk, shell_job, file_locks, pre_dump, lazy_pages, auto_dedup;
	bool no_subreaper;               /* restore: let the restored init go to the caller's subreaper at once */
	int status_fd;                   /* -1: none */
	/*
	 * A terminal: the container's pty slave as criu names it, "tty[rdev:dev]".
	 * Dump declares it (and the /dev/console bound from it) external; restore
	 * gives criu tty_fd, a new pty's slave at tty_path, in their place.
	 */
	const char *tty;
	int tty_fd;
	const char *tty_path;
};

/* The mount key of the /dev/console a terminal binds (external to criu, like the tty). */
#define CRIU_CONSOLE_KEY "berth-console"

struct criu_argv {
	char **items; /* NULL-terminated */
	size_t len;
	bool failed;
};

void criu_argv_free(struct criu_argv *a);

/*
 * `criu dump` (or pre-dump) of the tree rooted at pid, with the config's bind
 * mounts declared external. freezer (may be NULL): the container's freezer
 * cgroup (v1) or cgroup (v2), so criu freezes the whole tree at once and a
 * process forking meanwhile cannot slip by.
 */
int criu_dump_argv(const struct criu_options *o, pid_t pid, const struct oci_config *config, const char *bundle,
		   const char *rootfs, const char *freezer, struct criu_argv *ret);

/*
 * `criu restore --restore-detached`: external mounts mapped to their sources
 * on this host, and descriptors[] (what the dumped process' fds 0-2 were)
 * inherited from the caller's stdio when they were pipes or sockets.
 */
int criu_restore_argv(const struct criu_options *o, const struct oci_config *config, const char *bundle,
		      const char *rootfs, const char *pid_file, const char *const descriptors[3], struct criu_argv *ret);

/* An error naming what failed, how criu ended, the last error in its log, and where the log is kept. */
/* run_errno: why criu could not be run at all (0 when it ran and ended with the wait status `status`). */
int criu_error(const char *what, int run_errno, int status, const char *log_dir, const char *log_name,
	       berth_error **err);
