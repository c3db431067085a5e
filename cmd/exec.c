/* berth exec: run one more process in a container, as runc exec does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "cmd/create_options.h"
#include "cmd/supervise.h"
#include "oci/config_check.h"
#include "runtime/exec.h"
#include "util/fs.h"
#include "util/ids.h"

enum {
	OPT_PROCESS,
	OPT_TTY,
	OPT_CONSOLE_SOCKET,
	OPT_CWD,
	OPT_ENV,
	OPT_USER,
	OPT_ADDITIONAL_GIDS,
	OPT_CAP,
	OPT_NO_NEW_PRIVS,
	OPT_APPARMOR,
	OPT_PROCESS_LABEL,
	OPT_PRESERVE_FDS,
	OPT_DETACH,
	OPT_PID_FILE,
	OPT_IGNORE_PAUSED,
	OPT_CGROUP,
};

static const struct cli_option options[] = {
	[OPT_PROCESS] = { "process", 'p', "FILE", "path to the process.json" },
	[OPT_TTY] = { "tty", 't', NULL, "allocate a pseudo-TTY" },
	[OPT_CONSOLE_SOCKET] = { "console-socket", 0, "SOCKET", "path to an AF_UNIX socket which will receive the pty master" },
	[OPT_CWD] = { "cwd", 0, "DIR", "current working directory in the container" },
	[OPT_ENV] = { "env", 'e', "KEY=VALUE", "set environment variables", true },
	[OPT_USER] = { "user", 'u', "UID[:GID]", "UID (format: <uid>[:<gid>])" },
	[OPT_ADDITIONAL_GIDS] = { "additional-gids", 'g', "GID", "additional gids", true },
	[OPT_CAP] = { "cap", 'c', "CAP", "add a capability to the bounding set for the process", true },
	[OPT_NO_NEW_PRIVS] = { "no-new-privs", 0, NULL, "set the no new privileges value for the process" },
	[OPT_APPARMOR] = { "apparmor", 0, "PROFILE", "set the apparmor profile for the process" },
	[OPT_PROCESS_LABEL] = { "process-label", 0, "LABEL", "set the asm process label for the process" },
	[OPT_PRESERVE_FDS] = { "preserve-fds", 0, "N", "pass N additional file descriptors to the process" },
	[OPT_DETACH] = { "detach", 'd', NULL, "detach from the container's process" },
	[OPT_PID_FILE] = { "pid-file", 0, "FILE", "specify the file to write the process id to" },
	[OPT_IGNORE_PAUSED] = { "ignore-paused", 0, NULL, "allow exec in a paused container" },
	[OPT_CGROUP] = { "cgroup", 0, "PATH", "run the process in a (sub-)cgroup of the container" },
};

static int parse_id(const char *flag, const char *text, uint64_t *ret, berth_error **err)
{
	uint32_t v;
	if (parse_id32(text, &v) < 0)
		return error_new(err, EINVAL, "exec: --%s: expected a number, got \"%s\"", flag, text);
	*ret = v;
	return 0;
}

/* Set KEY=VALUE in env, replacing an earlier KEY. */
static int env_set(struct string_list *env, const char *entry)
{
	size_t key = strcspn(entry, "=");
	for (size_t i = 0; i < env->len; i++)
		if (strncmp(env->items[i], entry, key) == 0 && env->items[i][key] == '=') {
			char *copy = strdup(entry);
			if (!copy)
				return -ENOMEM;
			free(env->items[i]);
			env->items[i] = copy;
			return 0;
		}
	return string_list_append(env, entry);
}

static int replace_string(char **field, const char *value)
{
	char *copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

/* The container's process with the command line's changes on top, as runc builds it. */
static int process_from_flags(const struct global_options *global, const struct cli_args *args,
			      struct oci_process **ret, berth_error **err)
{
	_cleanup_config_ struct oci_config *config = NULL;
	_cleanup_free_ char *json = NULL;
	const char *id = args->positional[0];
	int r = container_config(global->root, id, &config, err);
	if (r < 0)
		return r;
	if (args->n_positional < 2)
		return error_new(err, EINVAL, "exec: no command given (berth exec [options] <container-id> <command> ...)");
	/* A deep copy through the model: the config's process is only the starting point. */
	r = model_to_json(&oci_process_type, config->process, NULL, &json, NULL, err);
	struct oci_process *p = NULL;
	if (r == 0)
		r = oci_process_parse(json, strlen(json), "process", &p, err);
	if (r < 0)
		return r;
	struct string_list argv = { 0 };
	for (int i = 1; i < args->n_positional && r == 0; i++)
		r = string_list_append(&argv, args->positional[i]);
	/* As runc: a terminal comes from -t alone, never from config.json's process. */
	p->terminal = false;
	for (size_t i = 0; i < p->args.len; i++)
		free(p->args.items[i]);
	free(p->args.items);
	p->args = argv;
	const char *want = args->values[OPT_CWD] ? oci_rule_absolute_path(args->values[OPT_CWD]) : NULL;
	if (r == 0 && want) /* the rule process.cwd has in config.json */
		r = error_new(err, EINVAL, "exec: --cwd: expected %s, got \"%s\"", want, args->values[OPT_CWD]);
	else if (r == 0 && args->values[OPT_CWD])
		r = replace_string(&p->cwd, args->values[OPT_CWD]);
	if (r == 0 && args->values[OPT_APPARMOR])
		r = replace_string(&p->apparmor_profile, args->values[OPT_APPARMOR]);
	if (r == 0 && args->values[OPT_PROCESS_LABEL])
		r = replace_string(&p->selinux_label, args->values[OPT_PROCESS_LABEL]);
	if (cli_flag(args, OPT_NO_NEW_PRIVS))
		p->no_new_privileges = true;
	for (int i = 0; i < args->n_repeats && r == 0; i++) {
		const char *v = args->repeats[i];
		switch (args->repeat_option[i]) {
		case OPT_ENV:
			r = env_set(&p->env, v);
			break;
		case OPT_ADDITIONAL_GIDS: {
			uint64_t gid = 0;
			r = parse_id("additional-gids", v, &gid, err);
			uint64_t *gids = r < 0 ? NULL : realloc(p->user->additional_gids.items,
								 (p->user->additional_gids.len + 1) * sizeof(uint64_t));
			if (r == 0 && !gids)
				r = -ENOMEM;
			if (r == 0) {
				gids[p->user->additional_gids.len++] = gid;
				p->user->additional_gids.items = gids;
			}
			break;
		}
		case OPT_CAP:
			if (!p->capabilities && !(p->capabilities = calloc(1, sizeof(*p->capabilities))))
				r = -ENOMEM;
			if (!oci_capability_known(v))
				warning("exec: --cap: ignoring unknown or unavailable capability \"%s\"", v);
			/* Not inheritable or ambient: runc adds to bounding, effective and permitted only. */
			if (r == 0)
				r = string_list_append(&p->capabilities->bounding, v);
			if (r == 0)
				r = string_list_append(&p->capabilities->effective, v);
			if (r == 0)
				r = string_list_append(&p->capabilities->permitted, v);
			break;
		default:
			break;
		}
	}
	if (r == 0 && args->values[OPT_USER]) {
		uint32_t uid, gid;
		bool has_gid;
		if (parse_user_spec(args->values[OPT_USER], &uid, &gid, &has_gid) < 0)
			r = error_new(err, EINVAL, "exec: --user: expected UID or UID:GID (numbers), got \"%s\"",
				      args->values[OPT_USER]);
		else {
			p->user->uid.value = uid;
			if (has_gid)
				p->user->gid.value = gid;
		}
	}
	if (r < 0) {
		oci_process_free(p);
		return r == -ENOMEM ? error_errno(err, ENOMEM, "exec") : r;
	}
	*ret = p;
	return 0;
}

static int run_exec(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	struct oci_process *process = NULL;
	struct exec_result result;
	int preserve = 0, r;

	if (args->values[OPT_PROCESS]) {
		_cleanup_free_ char *data = NULL;
		size_t len = 0;
		r = args->n_positional > 1 ? error_new(err, EINVAL, "exec: --process and a command line cannot be combined")
					   : read_file_at(AT_FDCWD, args->values[OPT_PROCESS], &data, &len, err);
		if (r == 0)
			r = oci_process_parse(data, len, args->values[OPT_PROCESS], &process, err);
	} else
		r = process_from_flags(global, args, &process, err);
	if (r < 0)
		return r;
	if (cli_flag(args, OPT_TTY))
		process->terminal = true;
	if (args->values[OPT_PRESERVE_FDS]) {
		char *end = NULL;
		long n = strtol(args->values[OPT_PRESERVE_FDS], &end, 10);
		if (*end || n < 0 || n > 65536) {
			oci_process_free(process);
			return error_new(err, EINVAL, "exec: --preserve-fds: expected a number of fds, got \"%s\"",
					 args->values[OPT_PRESERVE_FDS]);
		}
		preserve = (int) n;
	}
	r = preserve_fds_reserve(preserve, err);
	if (r < 0) {
		oci_process_free(process);
		return r;
	}
	bool detach = cli_flag(args, OPT_DETACH);
	if (process->terminal && detach && !args->values[OPT_CONSOLE_SOCKET]) {
		oci_process_free(process);
		return error_new(err, EINVAL, "exec: --detach with a terminal needs --console-socket");
	}
	struct exec_options o = {
		.root = global->root,
		.id = args->positional[0],
		.process = process,
		.console_socket = args->values[OPT_CONSOLE_SOCKET],
		.pid_file = args->values[OPT_PID_FILE],
		.preserve_fds = preserve,
		.ignore_paused = cli_flag(args, OPT_IGNORE_PAUSED),
		.cgroup = args->values[OPT_CGROUP],
	};
	if (!detach)
		supervise_block_signals();
	r = container_exec(&o, &result, err);
	oci_process_free(process);
	if (r < 0)
		return r;
	if (detach) {
		close(result.pidfd);
		return 0;
	}
	int status = supervise(result.pidfd, result.pty_master);
	fflush(stdout);
	_exit(status);
}

const struct cli_command cmd_exec = {
	.name = "exec",
	.enters_container = true,
	.summary = "execute new process inside the container",
	.arguments = "<container-id> <command> [command options]",
	.options = options,
	.n_options = ARRAY_SIZE(options),
	.min_args = 1,
	.max_args = -1,
	.options_end_at_first_argument = true,
	.failure_status = 255, /* so a caller tells berth's failure from the process' exit status */
	.run = run_exec,
};
