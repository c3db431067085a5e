/* berth list: the containers under --root, as a table or JSON. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "oci/state.h"
#include "runtime/state_store.h"

enum { OPT_FORMAT, OPT_QUIET };
static const struct cli_option options[] = {
	[OPT_FORMAT] = { "format", 'f', "FORMAT", "select one of: table or json (default: \"table\")" },
	[OPT_QUIET] = { "quiet", 'q', NULL, "display only container IDs" },
};

static int run_list(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	const char *format = args->values[OPT_FORMAT] ? args->values[OPT_FORMAT] : "table";
	bool json = strcmp(format, "json") == 0, quiet = cli_flag(args, OPT_QUIET);
	char **ids = NULL;
	size_t n = 0, shown = 0;

	if (!json && strcmp(format, "table") != 0)
		return error_new(err, EINVAL, "list: --format: unknown value \"%s\" (use table or json)", format);
	int r = container_list_ids(global->root, &ids, &n, err);
	if (r < 0)
		return r;
	if (!json && !quiet)
		printf("%-12s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
	for (size_t i = 0; i < n; i++) {
		struct container c;
		_cleanup_error_ berth_error *ignored = NULL;
		/* A container deleted meanwhile is simply not listed. */
		if (container_open(global->root, ids[i], false, &c, &ignored) < 0)
			continue;
		enum oci_status status = container_status(&c);
		if (json) {
			_cleanup_free_ char *state = NULL;
			if (container_state_json(&c, status, &state, &ignored) == 0)
				printf("%s%s", shown++ ? "," : "[", state);
		} else if (quiet)
			printf("%s\n", ids[i]);
		else
			printf("%-12s %-8lld %-10s %-40s %-32s %s\n", ids[i],
			       status == OCI_STATUS_STOPPED ? 0LL : (long long) c.state->init_pid.value,
			       oci_status_names[status], c.state->bundle, c.state->created ? c.state->created : "",
			       c.state->owner ? c.state->owner : "");
		container_close(&c);
	}
	/* runc prints null for an empty JSON list; containerd's go-runc expects exactly that. */
	if (json)
		puts(shown ? "]" : "null");
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return 0;
}

const struct cli_command cmd_list = {
	.name = "list",
	.summary = "lists containers started by berth with the given root",
	.options = options,
	.n_options = ARRAY_SIZE(options),
	.min_args = 0,
	.max_args = 0,
	.run = run_list,
};
