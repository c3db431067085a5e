/* The options create and run share (runc's), and turning them into create_options. */
#pragma once

#include "cmd/commands.h"
#include "runtime/container.h"

enum {
	CREATE_OPT_BUNDLE,
	CREATE_OPT_CONSOLE_SOCKET,
	CREATE_OPT_PID_FILE,
	CREATE_OPT_NO_PIVOT,
	CREATE_OPT_NO_NEW_KEYRING,
	CREATE_OPT_PRESERVE_FDS,
	CREATE_OPT_COUNT,
};

#define CREATE_OPTIONS_TABLE                                                                                       \
	[CREATE_OPT_BUNDLE] = { "bundle", 'b', "DIR", "path to the root of the bundle directory, defaults to the current directory" }, \
	[CREATE_OPT_CONSOLE_SOCKET] = { "console-socket", 0, "SOCKET",                                            \
					"path to an AF_UNIX socket which will receive the pty master of the container" }, \
	[CREATE_OPT_PID_FILE] = { "pid-file", 0, "FILE", "specify the file to write the process id to" },          \
	[CREATE_OPT_NO_PIVOT] = { "no-pivot", 0, NULL, "do not use pivot root to jail process inside rootfs (for ramfs roots)" }, \
	[CREATE_OPT_NO_NEW_KEYRING] = { "no-new-keyring", 0, NULL,                                                \
					"do not create a new session keyring for the container" },                \
	[CREATE_OPT_PRESERVE_FDS] = { "preserve-fds", 0, "N",                                                     \
				      "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)" }

/* Fill o from the parsed options; reserves the preserved fd range so berth's own fds stay above it. */
int create_options_from_args(const struct global_options *global, const struct cli_args *args, struct create_options *o,
			     berth_error **err);

/*
 * Keep fds [0, 3+n) for the process: fill the caller's holes with /dev/null and
 * move the log above, before berth opens anything (create, run and exec alike).
 */
int preserve_fds_reserve(int n, berth_error **err);
