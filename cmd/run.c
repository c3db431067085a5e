/* berth run: create and start a container, stay in the foreground and exit with its status. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "cmd/create_options.h"
#include "cmd/supervise.h"

enum { OPT_DETACH = CREATE_OPT_COUNT, OPT_KEEP };
static const struct cli_option options[] = {
	CREATE_OPTIONS_TABLE,
	[OPT_DETACH] = { "detach", 'd', NULL, "detach from the container's process" },
	[OPT_KEEP] = { "keep", 0, NULL, "do not delete the container after it exits" },
};

static int run_run(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	struct create_options o;
	struct created_container created;
	bool detach = cli_flag(args, OPT_DETACH);
	int r = create_options_from_args(global, args, &o, err);
	if (r < 0)
		return r;
	if (!detach)
		supervise_block_signals();
	r = container_create(&o, &created, err);
	if (r < 0)
		return r;
	if (created.pty_master >= 0 && detach) {
		(void) container_delete(o.root, o.id, true, NULL, NULL);
		created_container_close(&created);
		return error_new(err, EINVAL, "run: --detach with terminal: true needs --console-socket");
	}
	r = container_start(o.root, o.id, TAKE_PTR(created.hold), err);
	if (r < 0 || detach) {
		if (r < 0)
			(void) container_delete(o.root, o.id, true, NULL, NULL);
		created_container_close(&created);
		return r;
	}
	int status = supervise(created.pidfd, created.pty_master);
	created_container_close(&created);
	if (!cli_flag(args, OPT_KEEP)) {
		uint64_t oom_kills = 0;
		r = container_delete(o.root, o.id, true, &oom_kills, err);
		if (r < 0)
			return r;
		if (oom_kills)
			log_message(LOG_LEVEL_WARNING, "container \"%s\": the kernel's OOM killer killed %llu process(es)", o.id,
				    (unsigned long long) oom_kills);
	}
	fflush(stdout);
	_exit(status);
}

const struct cli_command cmd_run = {
	.name = "run",
	.enters_container = true,
	.summary = "create and run a container",
	.arguments = "<container-id>",
	.description = "Creates and starts a container; without --detach it waits and exits with the container's status.",
	.options = options,
	.n_options = ARRAY_SIZE(options),
	.min_args = 1,
	.max_args = 1,
	.run = run_run,
};
