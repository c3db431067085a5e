/* berth restore: a container from a checkpoint's images, with criu (runc's flags). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/criu_options.h"
#include "cmd/supervise.h"
#include "runtime/checkpoint.h"

enum {
	OPT_BUNDLE = CRIU_OPT_COUNT,
	OPT_CONSOLE_SOCKET,
	OPT_DETACH,
	OPT_PID_FILE,
	OPT_NO_SUBREAPER,
	OPT_NO_PIVOT,
	OPT_LSM_PROFILE,
	OPT_LSM_MOUNT_CONTEXT,
};
static const struct cli_option options[] = {
	CRIU_OPTIONS_TABLE,
	[OPT_BUNDLE] = { "bundle", 'b', "DIR", "path to the root of the bundle directory" },
	[OPT_CONSOLE_SOCKET] = { "console-socket", 0, "SOCKET",
				 "path to an AF_UNIX socket which will receive the pty master of the container" },
	[OPT_DETACH] = { "detach", 'd', NULL, "detach from the container's process" },
	[OPT_PID_FILE] = { "pid-file", 0, "FILE", "specify the file to write the process id to" },
	[OPT_NO_SUBREAPER] = { "no-subreaper", 0, NULL, "disable the use of the subreaper used to reap reparented processes" },
	[OPT_NO_PIVOT] = { "no-pivot", 0, NULL, "do not use pivot root to jail process inside rootfs" },
	[OPT_LSM_PROFILE] = { "lsm-profile", 0, "TYPE:NAME", "specify an LSM profile to be used during restore" },
	[OPT_LSM_MOUNT_CONTEXT] = { "lsm-mount-context", 0, "CONTEXT", "specify an LSM mount context to be used during restore" },
};

static int run_restore(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	struct create_options co = {
		.root = global->root,
		.id = args->positional[0],
		.bundle = args->values[OPT_BUNDLE],
		.pid_file = args->values[OPT_PID_FILE],
		.console_socket = args->values[OPT_CONSOLE_SOCKET],
		/* criu pivots into the rootfs itself; --no-pivot changes nothing for a restore. */
		.no_pivot = cli_flag(args, OPT_NO_PIVOT),
		.cgroups_disabled = global->cgroup_manager && !strcmp(global->cgroup_manager, "disabled"),
		.systemd_cgroup = global->systemd_cgroup,
		.rootless = global->rootless_resolved,
	};
	struct criu_options o;
	struct created_container created;
	bool detach = cli_flag(args, OPT_DETACH);
	int r = criu_options_from_args(args, &o, err);
	if (r < 0) {
		criu_options_clear(&o);
		return r;
	}
	o.no_subreaper = cli_flag(args, OPT_NO_SUBREAPER);
	o.lsm_profile = args->values[OPT_LSM_PROFILE];
	o.lsm_mount_context = args->values[OPT_LSM_MOUNT_CONTEXT];
	if (!detach)
		supervise_block_signals();
	r = container_restore(&co, &o, &created, err);
	criu_options_clear(&o);
	if (r < 0 || detach) {
		if (r == 0)
			close(created.pidfd);
		return r;
	}
	int status = supervise(created.pidfd, -1);
	close(created.pidfd);
	r = container_delete(co.root, co.id, true, NULL, err);
	if (r < 0)
		return r;
	fflush(stdout);
	_exit(status);
}

const struct cli_command cmd_restore = {
	.name = "restore",
	.summary = "restore a container from a previous checkpoint",
	.arguments = "<container-id>",
	.description = "Makes the container from the bundle as create does, then has criu restore the checkpoint's "
		       "processes into it; without --detach berth waits and exits with the process' status.",
	.options = options,
	.n_options = ARRAY_SIZE(options),
	.min_args = 1,
	.max_args = 1,
	.run = run_restore,
};
