/* berth start: run the user's program in a created container. */
#include "cmd/commands.h"
#include "runtime/container.h"

static int run_start(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	return container_start(global->root, args->positional[0], NULL, err);
}

const struct cli_command cmd_start = {
	.name = "start",
	.summary = "executes the user defined process in a created container",
	.arguments = "<container-id>",
	.min_args = 1,
	.max_args = 1,
	.run = run_start,
};
