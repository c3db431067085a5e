/* The container lifecycle (runtime-spec runtime.md#operations), composed from the layers below. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/state.h"
#include "util/error.h"

struct create_options {
	const char *root;
	const char *id;
	const char *bundle;         /* NULL: the current directory */
	const char *pid_file;
	const char *console_socket;
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;           /* --preserve-fds, plus LISTEN_FDS when set */
	bool listen_fds;            /* pass LISTEN_FDS/LISTEN_PID on */
	bool cgroups_disabled;      /* --cgroup-manager disabled */
	bool systemd_cgroup;
	bool rootless;              /* cgroups berth may not create are done without (--rootless) */
};

/* What the init may still read of berth's memory until it execs (runtime/container.c). */
struct init_hold;

struct created_container {
	pid_t pid;        /* host pid of the init */
	int pidfd;        /* a pidfd of the init (owned by the caller) */
	int pty_master;   /* terminal without --console-socket (run): the master, else -1 */
	struct init_hold *hold; /* for container_start (run), or created_container_close */
};

/* create: everything up to "waiting for start". On failure nothing is left behind. */
int container_create(const struct create_options *o, struct created_container *ret, berth_error **err);

/*
 * Close what create handed back. An init that shares berth's memory and has
 * not exec'd yet is released only when this process exits: call it last.
 */
void created_container_close(struct created_container *c);

/*
 * start: let the init exec the user's program; then poststart hooks. hold
 * (run: the one create returned, taken over; else NULL): berth waits for the
 * init's exec and uses the config it already has.
 */
int container_start(const char *root, const char *id, struct init_hold *hold, berth_error **err);

/* kill: one signal to the init, or with all to every process of the container's cgroup. */
int container_kill(const char *root, const char *id, int sig, bool all, berth_error **err);

/*
 * delete: a stopped (or, with force, any) container: processes, poststop hooks,
 * cgroups, state. *ret_oom_kills (may be NULL) gets the OOM kills the container saw.
 */
int container_delete(const char *root, const char *id, bool force, uint64_t *ret_oom_kills, berth_error **err);

/* The runtime-spec state JSON of a container. */
int container_state(const char *root, const char *id, char **ret_json, berth_error **err);
