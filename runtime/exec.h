/* exec: one more process in a running container (runtime-spec: outside the spec; runc's exec). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

struct exec_options {
	const char *root;
	const char *id;
	const struct oci_process *process; /* complete: what runs, as whom, with what */
	const char *console_socket;
	const char *pid_file;
	int preserve_fds;
	bool ignore_paused;
	const char *cgroup;                /* --cgroup: a sub-cgroup of the container's to join */
};

struct exec_result {
	pid_t pid;
	int pidfd;      /* owned by the caller */
	int pty_master; /* terminal without --console-socket: the master, else -1 */
};

/* Start the process inside every namespace and cgroup of the container; returns once it has exec'd. */
int container_exec(const struct exec_options *o, struct exec_result *ret, berth_error **err);

/* The config the container was created with (its process is exec's default). */
int container_config(const char *root, const char *id, struct oci_config **ret, berth_error **err);
