/* berth create: set a container up and leave its init waiting for start. */
#include <unistd.h>

#include "cmd/create_options.h"

static const struct cli_option options[] = { CREATE_OPTIONS_TABLE };

static int run_create(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	struct create_options o;
	struct created_container created;
	int r = create_options_from_args(global, args, &o, err);
	if (r < 0)
		return r;
	r = container_create(&o, &created, err);
	if (r < 0)
		return r;
	/* The init is our child: exiting hands it to the caller's subreaper (the shim, conmon), and lets it wait for start. */
	created_container_close(&created);
	return 0;
}

const struct cli_command cmd_create = {
	.name = "create",
	.enters_container = true,
	.summary = "create a container",
	.arguments = "<container-id>",
	.description = "Creates a container from the bundle's config.json; its process waits until `berth start`.",
	.options = options,
	.n_options = ARRAY_SIZE(options),
	.min_args = 1,
	.max_args = 1,
	.run = run_create,
};
