/* berth state: the runtime-spec state of a container, as JSON. */
#include <stdio.h>

#include "cmd/commands.h"
#include "runtime/container.h"

static int run_state(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	_cleanup_free_ char *json = NULL;
	int r = container_state(global->root, args->positional[0], &json, err);
	if (r < 0)
		return r;
	puts(json);
	return 0;
}

const struct cli_command cmd_state = {
	.name = "state",
	.summary = "output the state of a container",
	.arguments = "<container-id>",
	.min_args = 1,
	.max_args = 1,
	.run = run_state,
};
