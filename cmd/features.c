/* berth features: print the runtime-spec features document. */
#include <stdio.h>

#include "cmd/commands.h"
#include "oci/features.h"
#include "version.h"

static int run_features(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	_cleanup_free_ char *json = NULL;
	(void) global;
	(void) args;
	int r = oci_features_json(BERTH_VERSION, BERTH_COMMIT, &json, err);
	if (r < 0)
		return r;
	fputs(json, stdout);
	return 0;
}

const struct cli_command cmd_features = {
	.name = "features",
	.summary = "show the enabled features",
	.description = "Prints the features document of the runtime-spec: what this build of berth implements.",
	.min_args = 0,
	.max_args = 0,
	.run = run_features,
};
