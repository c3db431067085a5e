/* berth delete: remove a container's processes, cgroups and state. */
#include "cmd/commands.h"
#include "runtime/container.h"

enum { OPT_FORCE };
static const struct cli_option options[] = {
	[OPT_FORCE] = { "force", 'f', NULL, "forcibly deletes the container if it is still running (uses SIGKILL)" },
};

static int run_delete(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	return container_delete(global->root, args->positional[0], cli_flag(args, OPT_FORCE), err);
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
