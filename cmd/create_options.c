#include "cmd/create_options.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/log.h"

static int parse_count(const char *flag, const char *value, int *ret, berth_error **err)
{
	char *end = NULL;
	errno = 0;
	long n = strtol(value, &end, 10);
	if (errno || !*value || *end || n < 0 || n > 65536)
		return error_new(err, EINVAL, "--%s: expected a number of fds, got \"%s\"", flag, value);
	*ret = (int) n;
	return 0;
}

int create_options_from_args(const struct global_options *global, const struct cli_args *args, struct create_options *o,
			     berth_error **err)
{
	int preserve = 0, listen = 0;
	*o = (struct create_options){
		.root = global->root,
		.id = args->positional[0],
		.bundle = args->values[CREATE_OPT_BUNDLE],
		.pid_file = args->values[CREATE_OPT_PID_FILE],
		.console_socket = args->values[CREATE_OPT_CONSOLE_SOCKET],
		.no_pivot = cli_flag(args, CREATE_OPT_NO_PIVOT),
		.no_new_keyring = cli_flag(args, CREATE_OPT_NO_NEW_KEYRING),
		.cgroups_disabled = global->cgroup_manager && strcmp(global->cgroup_manager, "disabled") == 0,
		.systemd_cgroup = global->systemd_cgroup,
		.rootless = global->rootless_resolved,
	};
	if (args->values[CREATE_OPT_PRESERVE_FDS]) {
		int r = parse_count("preserve-fds", args->values[CREATE_OPT_PRESERVE_FDS], &preserve, err);
		if (r < 0)
			return r;
	}
	/* Socket activation, as runc: LISTEN_FDS fds (from 3) go to the container, whose pid is 1. */
	const char *listen_fds = getenv("LISTEN_FDS"), *listen_pid = getenv("LISTEN_PID");
	if (listen_fds && listen_pid && atoi(listen_pid) == getpid()) {
		int r = parse_count("LISTEN_FDS", listen_fds, &listen, err);
		if (r < 0)
			return r;
		o->listen_fds = true;
	}
	o->preserve_fds = listen + preserve;
	return preserve_fds_reserve(o->preserve_fds, err);
}

int preserve_fds_reserve(int n, berth_error **err)
{
	/*
	 * CVE-2024-21626: the process gets fds 0 .. 3+n-1 and nothing else. Each
	 * that the caller left closed becomes /dev/null now, before berth opens
	 * anything, so no fd of berth's (a cgroup directory, a pidfd, the state
	 * directory, the log) can take such a number and reach the container.
	 */
	for (int fd = 0; fd < 3 + n; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0)
			return error_errno(err, errno, "fill fd %d with /dev/null", fd);
		if (null != fd) {
			int r = dup3(null, fd, O_CLOEXEC);
			int e = errno;
			close(null);
			if (r < 0)
				return error_errno(err, e, "fill fd %d with /dev/null", fd);
		}
		/* stdio is inherited as such; the process' own range is made inheritable by its child. */
		if (fd < 3)
			fcntl(fd, F_SETFD, 0);
	}
	return log_move_above(2 + n, err);
}
