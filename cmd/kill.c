/* berth kill: send a signal to a container's init, or to all its processes. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "cmd/commands.h"
#include "runtime/container.h"
#include "util/proc.h"

enum { OPT_ALL };
static const struct cli_option options[] = {
	[OPT_ALL] = { "all", 'a', NULL, "send the specified signal to all processes inside the container" },
};

static int run_kill(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	int sig = SIGTERM;
	if (args->n_positional > 1) {
		/* Signal 0 checks the init is there and signals nothing (runc takes it too). */
		sig = strcmp(args->positional[1], "0") == 0 ? 0 : signal_parse(args->positional[1]);
		if (sig < 0)
			return error_new(err, EINVAL, "kill: unknown signal \"%s\"", args->positional[1]);
	}
	return container_kill(global->root, args->positional[0], sig, cli_flag(args, OPT_ALL), err);
}

const struct cli_command cmd_kill = {
	.name = "kill",
	.summary = "kill sends the specified signal (default: SIGTERM) to the container's init process",
	.arguments = "<container-id> [signal]",
	.description = "The signal is a name (KILL or SIGKILL) or a number (9).",
	.options = options,
	.n_options = ARRAY_SIZE(options),
	.min_args = 1,
	.max_args = 2,
	.run = run_kill,
};
