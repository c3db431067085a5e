/* berth resume: thaw a paused container. */
#include "cmd/commands.h"
#include "runtime/control.h"

static int run_resume(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	return container_resume(global->root, args->positional[0], err);
}

const struct cli_command cmd_resume = {
	.name = "resume",
	.summary = "resumes all processes that have been previously paused",
	.arguments = "<container-id>",
	.min_args = 1,
	.max_args = 1,
	.run = run_resume,
};
