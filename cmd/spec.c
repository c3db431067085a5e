/* berth spec: write the default config.json into a bundle, as runc spec does. */
#include <errno.h>
#include <fcntl.h>

#include "cmd/commands.h"
#include "oci/config.h"
#include "util/fs.h"

enum { OPT_BUNDLE, OPT_ROOTLESS };

static const struct cli_option options[] = {
	[OPT_BUNDLE] = { "bundle", 'b', "DIR", "path to the root of the bundle directory" },
	[OPT_ROOTLESS] = { "rootless", 0, NULL, "generate a configuration for a rootless container" },
};

static int run_spec(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	_cleanup_config_ struct oci_config *config = NULL;
	_cleanup_free_ char *json = NULL;
	size_t len = 0;
	const char *bundle = args->values[OPT_BUNDLE] ? args->values[OPT_BUNDLE] : ".";
	int r;

	(void) global;
	_cleanup_close_ int dirfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return error_errno(err, errno, "spec: --bundle `%s`", bundle);
	r = oci_config_default(cli_flag(args, OPT_ROOTLESS), &config, err);
	if (r < 0)
		return r;
	r = model_to_json(&oci_config_type, config, "\t", &json, &len, err);
	if (r < 0)
		return r;
	r = write_file_exclusive_at(dirfd, "config.json", 0644, json, len, err);
	if (r == -EEXIST)
		return error_new(err, EEXIST, "spec: config.json already exists in `%s`; remove it first", bundle);
	return r < 0 ? error_prefix(err, "spec") : 0;
}

const struct cli_command cmd_spec = {
	.name = "spec",
	.summary = "create a new specification file",
	.description = "Writes a starter config.json for the bundle: runc's default, at runtime-spec " OCI_SPEC_VERSION
		       ".\n   Its args run \"sh\"; edit it to suit the image.",
	.options = options,
	.n_options = ARRAY_SIZE(options),
	.min_args = 0,
	.max_args = 0,
	.run = run_spec,
};
