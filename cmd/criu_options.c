#include "cmd/criu_options.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *absolute(const char *path)
{
	if (path[0] == '/')
		return strdup(path);
	char cwd[PATH_MAX];
	char *ret = NULL;
	if (!getcwd(cwd, sizeof(cwd)) || asprintf(&ret, "%s/%s", cwd, path) < 0)
		return NULL;
	return ret;
}

int criu_options_from_args(const struct cli_args *args, struct criu_options *o, berth_error **err)
{
	*o = (struct criu_options){ .status_fd = -1 };
	const char *image = args->values[CRIU_OPT_IMAGE_PATH] ? args->values[CRIU_OPT_IMAGE_PATH] : "checkpoint";
	o->image_path = absolute(image);
	if (args->values[CRIU_OPT_WORK_PATH])
		o->work_path = absolute(args->values[CRIU_OPT_WORK_PATH]);
	if (!o->image_path || (args->values[CRIU_OPT_WORK_PATH] && !o->work_path))
		return error_errno(err, errno ? errno : ENOMEM, "--image-path/--work-path");
	const char *mode = args->values[CRIU_OPT_MANAGE_CGROUPS_MODE];
	if (mode && strcmp(mode, "soft") != 0 && strcmp(mode, "full") != 0 && strcmp(mode, "strict") != 0 &&
	    strcmp(mode, "ignore") != 0)
		return error_new(err, EINVAL, "--manage-cgroups-mode: expected soft, full, strict or ignore, got \"%s\"", mode);
	o->manage_cgroups_mode = mode;
	o->tcp_established = cli_flag(args, CRIU_OPT_TCP_ESTABLISHED);
	o->ext_unix_sk = cli_flag(args, CRIU_OPT_EXT_UNIX_SK);
	o->shell_job = cli_flag(args, CRIU_OPT_SHELL_JOB);
	o->file_locks = cli_flag(args, CRIU_OPT_FILE_LOCKS);
	o->auto_dedup = cli_flag(args, CRIU_OPT_AUTO_DEDUP);
	o->lazy_pages = cli_flag(args, CRIU_OPT_LAZY_PAGES);
	static const char *empty[8];
	for (int i = 0; i < args->n_repeats && o->n_empty_ns < 8; i++)
		if (args->repeat_option[i] == CRIU_OPT_EMPTY_NS)
			empty[o->n_empty_ns++] = args->repeats[i];
	o->empty_ns = empty;
	return 0;
}

void criu_options_clear(struct criu_options *o)
{
	free((char *) o->image_path);
	free((char *) o->work_path);
	*o = (struct criu_options){ .status_fd = -1 };
}
