/* berth checkpoint: dump a running container with criu (runc's flags). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/criu_options.h"
#include "runtime/checkpoint.h"

enum { OPT_PARENT_PATH = CRIU_OPT_COUNT, OPT_LEAVE_RUNNING, OPT_STATUS_FD, OPT_PAGE_SERVER, OPT_PRE_DUMP };
static const struct cli_option options[] = {
	CRIU_OPTIONS_TABLE,
	[OPT_PARENT_PATH] = { "parent-path", 0, "DIR", "path for previous criu image files in pre-dump" },
	[OPT_LEAVE_RUNNING] = { "leave-running", 0, NULL, "leave the process running after checkpointing" },
	[OPT_STATUS_FD] = { "status-fd", 0, "FD", "criu writes \\0 to this FD once lazy-pages is ready" },
	[OPT_PAGE_SERVER] = { "page-server", 0, "ADDRESS:PORT", "address of the page server" },
	[OPT_PRE_DUMP] = { "pre-dump", 0, NULL, "dump the container's memory only, leaving it running" },
};

static int run_checkpoint(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	struct criu_options o;
	int r = criu_options_from_args(args, &o, err);
	if (r == 0) {
		o.parent_path = args->values[OPT_PARENT_PATH];
		o.leave_running = cli_flag(args, OPT_LEAVE_RUNNING);
		o.page_server = args->values[OPT_PAGE_SERVER];
		o.pre_dump = cli_flag(args, OPT_PRE_DUMP);
		if (args->values[OPT_STATUS_FD]) {
			char *end;
			long fd = strtol(args->values[OPT_STATUS_FD], &end, 10);
			if (*end || fd < 0 || fd > 65535)
				r = error_new(err, EINVAL, "--status-fd: expected a file descriptor, got \"%s\"",
					      args->values[OPT_STATUS_FD]);
			o.status_fd = (int) fd;
		}
	}
	if (r == 0)
		r = container_checkpoint(global->root, args->positional[0], &o, err);
	criu_options_clear(&o);
	return r;
}

const struct cli_command cmd_checkpoint = {
	.name = "checkpoint",
	.summary = "checkpoint a running container",
	.arguments = "<container-id>",
	.description = "Dumps the container's processes with criu into the image path; unless --leave-running, the "
		       "container is gone afterwards. criu's log (dump.log) stays in the work path.",
	.options = options,
	.n_options = ARRAY_SIZE(options),
	.min_args = 1,
	.max_args = 1,
	.run = run_checkpoint,
};
