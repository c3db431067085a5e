/* berth delete: remove a container's processes, cgroups and state. */
#include "cmd/commands.h"
#include "runtime/container.h"

enum { OPT_FORCE };
static const struct cli_option options[] = {
	[OPT_FORCE] = { "force", 'f', NULL, "forcibly deletes the container if it is still running (uses SIGKILL)" },
};

static int run_delete(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	uint64_t oom_kills = 0;
	int r = container_delete(global->root, args->positional[0], cli_flag(args, OPT_FORCE), &oom_kills, err);
	if (r == 0 && oom_kills)
		log_message(LOG_LEVEL_WARNING, "container \"%s\": the kernel's OOM killer killed %llu process(es)",
			    args->positional[0], (unsigned long long) oom_kills);
	return r;
}

const struct cli_command cmd_delete = {
	.name = "delete",
	.summary = "delete any resources held by the container often used with detached container",
	.arguments = "<container-id>",
	.options = options,
	.n_options = ARRAY_SIZE(options),
	.min_args = 1,
	.max_args = 1,
	.run = run_delete,
};
