/* berth ps: the processes of a container; json is the array of host pids (containerd parses it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "runtime/control.h"

enum { OPT_FORMAT };
static const struct cli_option options[] = {
	[OPT_FORMAT] = { "format", 'f', "FORMAT", "select one of: table or json (default: \"table\")" },
};

static bool contains(const pid_t *pids, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* As runc: run the host's ps with the given arguments and keep the header and the container's lines. */
static int ps_table(const pid_t *pids, size_t n, char **ps_args, int n_args, berth_error **err)
{
	char *argv[64] = { (char *) "ps" };
	int argc = 1;
	if (n_args == 0)
		argv[argc++] = (char *) "-ef";
	for (int i = 0; i < n_args && argc < 63; i++)
		argv[argc++] = ps_args[i];
	argv[argc] = NULL;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return error_errno(err, errno, "ps");
	pid_t child = fork();
	if (child < 0)
		return error_errno(err, errno, "ps: fork");
	if (child == 0) {
		dup2(fds[1], 1);
		execvp("ps", argv);
		_exit(127);
	}
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	char *line = NULL;
	size_t cap = 0;
	int pid_column = -1;
	bool header = true;
	while (f && getline(&line, &cap, f) > 0) {
		if (header) {
			/* Find the PID column in the header, whatever the format asked for. */
			char copy[4096];
			snprintf(copy, sizeof(copy), "%s", line);
			int col = 0;
			for (char *save = NULL, *tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save), col++)
				if (strcmp(tok, "PID") == 0)
					pid_column = col;
			fputs(line, stdout);
			header = false;
			continue;
		}
		char copy[4096];
		snprintf(copy, sizeof(copy), "%s", line);
		char *save = NULL, *tok = strtok_r(copy, " \t\n", &save);
		for (int col = 0; tok && col < pid_column; col++)
			tok = strtok_r(NULL, " \t\n", &save);
		if (tok && contains(pids, n, strtol(tok, NULL, 10)))
			fputs(line, stdout);
	}
	free(line);
	if (f)
		fclose(f);
	int status = 0;
	waitpid(child, &status, 0);
	if (pid_column < 0)
		return error_new(err, EINVAL, "ps: no PID column in the output of ps");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return error_new(err, EIO, "ps: ps exited with status %d", WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	return 0;
}

static int run_ps(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	const char *format = args->values[OPT_FORMAT] ? args->values[OPT_FORMAT] : "table";
	pid_t *pids = NULL;
	size_t n = 0;
	if (strcmp(format, "json") && strcmp(format, "table"))
		return error_new(err, EINVAL, "ps: --format: unknown value \"%s\" (use table or json)", format);
	int r = container_pids(global->root, args->positional[0], &pids, &n, err);
	if (r < 0)
		return r;
	/* `ps ID -- -e -x`, the older spelling, still works. */
	char **ps_args = args->positional + 1;
	int n_ps_args = args->n_positional - 1;
	if (n_ps_args > 0 && strcmp(ps_args[0], "--") == 0) {
		ps_args++;
		n_ps_args--;
	}
	if (strcmp(format, "json") == 0) {
		if (n_ps_args > 0)
			r = error_new(err, EINVAL, "ps: ps arguments cannot be used with --format json");
		else {
			putchar('[');
			for (size_t i = 0; i < n; i++)
				printf("%s%d", i ? "," : "", (int) pids[i]);
			puts("]");
		}
	} else
		r = ps_table(pids, n, ps_args, n_ps_args, err);
	free(pids);
	return r;
}

const struct cli_command cmd_ps = {
	.name = "ps",
	.summary = "ps displays the processes running inside a container",
	.arguments = "<container-id> [ps options]",
	.options = options,
	.n_options = ARRAY_SIZE(options),
	.min_args = 1,
	.max_args = -1,
	.options_end_at_first_argument = true, /* runc's: `ps ID -e -x` passes -e -x to ps */
	.run = run_ps,
};
