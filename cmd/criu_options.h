/* The options checkpoint and restore share (runc's), and turning them into criu_options. */
#pragma once

#include "cmd/commands.h"
#include "runtime/criu.h"

enum {
	CRIU_OPT_IMAGE_PATH,
	CRIU_OPT_WORK_PATH,
	CRIU_OPT_TCP_ESTABLISHED,
	CRIU_OPT_EXT_UNIX_SK,
	CRIU_OPT_SHELL_JOB,
	CRIU_OPT_FILE_LOCKS,
	CRIU_OPT_MANAGE_CGROUPS_MODE,
	CRIU_OPT_EMPTY_NS,
	CRIU_OPT_AUTO_DEDUP,
	CRIU_OPT_LAZY_PAGES,
	CRIU_OPT_COUNT,
};

#define CRIU_OPTIONS_TABLE                                                                                        \
	[CRIU_OPT_IMAGE_PATH] = { "image-path", 0, "DIR", "path for saving criu image files (default: ./checkpoint)" }, \
	[CRIU_OPT_WORK_PATH] = { "work-path", 0, "DIR", "path for saving work files and logs (default: the image path)" }, \
	[CRIU_OPT_TCP_ESTABLISHED] = { "tcp-established", 0, NULL, "allow open tcp connections" },               \
	[CRIU_OPT_EXT_UNIX_SK] = { "ext-unix-sk", 0, NULL, "allow external unix sockets" },                      \
	[CRIU_OPT_SHELL_JOB] = { "shell-job", 0, NULL, "allow shell jobs" },                                      \
	[CRIU_OPT_FILE_LOCKS] = { "file-locks", 0, NULL, "handle file locks, for safety" },                       \
	[CRIU_OPT_MANAGE_CGROUPS_MODE] = { "manage-cgroups-mode", 0, "MODE",                                       \
					   "cgroups mode: soft, full, strict or ignore (default: soft)" },          \
	[CRIU_OPT_EMPTY_NS] = { "empty-ns", 0, "NAMESPACE", "create a namespace, but do not restore its properties", \
				true },                                                                           \
	[CRIU_OPT_AUTO_DEDUP] = { "auto-dedup", 0, NULL, "enable auto deduplication of memory images" },         \
	[CRIU_OPT_LAZY_PAGES] = { "lazy-pages", 0, NULL, "use userfaultfd to lazily restore memory pages" }

/* Fill o from the parsed options (paths made absolute); free with criu_options_clear. */
int criu_options_from_args(const struct cli_args *args, struct criu_options *o, berth_error **err);

void criu_options_clear(struct criu_options *o);
