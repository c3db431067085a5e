/* berth pause: freeze every process of a container. */
#include "cmd/commands.h"
#include "runtime/control.h"

static int run_pause(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	return container_pause(global->root, args->positional[0], err);
}

const struct cli_command cmd_pause = {
	.name = "pause",
	.summary = "pause suspends all processes inside the container",
	.arguments = "<container-id>",
	.min_args = 1,
	.max_args = 1,
	.run = run_pause,
};
