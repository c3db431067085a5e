/* berth's entry point: global options, then one subcommand, as runc's CLI has them. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "oci/config.h"
#include "runtime/exe_guard.h"
#include "runtime/state_store.h"
#include "version.h"

#define EXIT_USAGE 1
#define EXIT_UNKNOWN_COMMAND 3 /* runc (urfave/cli) exits 3 for an unknown command */

static const struct cli_command *const commands[] = {
	&cmd_checkpoint, &cmd_create, &cmd_delete, &cmd_events, &cmd_exec, &cmd_features, &cmd_kill, &cmd_list, &cmd_pause, &cmd_ps, &cmd_restore, &cmd_resume, &cmd_run, &cmd_spec, &cmd_start, &cmd_state, &cmd_update,
};

enum {
	GOPT_DEBUG,
	GOPT_LOG,
	GOPT_LOG_FORMAT,
	GOPT_ROOT,
	GOPT_SYSTEMD_CGROUP,
	GOPT_ROOTLESS,
	GOPT_CGROUP_MANAGER,
	GOPT_VERSION,
};

static const struct cli_option global_options_table[] = {
	[GOPT_DEBUG] = { "debug", 0, NULL, "enable debug logging" },
	[GOPT_LOG] = { "log", 0, "FILE", "set the log file to write berth logs to (default is stderr)" },
	[GOPT_LOG_FORMAT] = { "log-format", 0, "FORMAT", "set the log format ('text' (default), or 'json')" },
	[GOPT_ROOT] = { "root", 0, "DIR",
			"root directory for storage of container state (default: /run/berth, or $XDG_RUNTIME_DIR/berth)" },
	[GOPT_SYSTEMD_CGROUP] = { "systemd-cgroup", 0, NULL,
				  "enable systemd cgroup support, expects cgroupsPath to be of form \"slice:prefix:name\"" },
	[GOPT_ROOTLESS] = { "rootless", 0, "VALUE", "ignore cgroup permission errors ('true', 'false', or 'auto')" },
	[GOPT_CGROUP_MANAGER] = { "cgroup-manager", 0, "MANAGER", "cgroup manager ('cgroupfs', 'systemd' or 'disabled')" },
	[GOPT_VERSION] = { "version", 'v', NULL, "print the version" },
};

static void print_version(void)
{
	printf("berth version %s\ncommit: %s\nspec: %s\n", BERTH_VERSION, BERTH_COMMIT, OCI_SPEC_VERSION);
}

static void print_global_help(void)
{
	printf("NAME:\n   berth - Open Container Initiative runtime\n\n"
	       "berth runs containers from OCI bundles: a directory with a config.json\n"
	       "and a root filesystem. To start a new instance of a container:\n\n"
	       "    # berth run [ -b bundle ] <container-id>\n\n"
	       "USAGE:\n   berth [global options] command [command options] [arguments...]\n\n"
	       "VERSION:\n   %s\ncommit: %s\nspec: %s\n\nCOMMANDS:\n",
	       BERTH_VERSION, BERTH_COMMIT, OCI_SPEC_VERSION);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printf("   %-11s %s\n", commands[i]->name, commands[i]->summary);
	printf("   %-11s %s\n", "help, h", "Shows a list of commands or help for one command");
	printf("\nGLOBAL OPTIONS:\n");
	cli_print_options(global_options_table, ARRAY_SIZE(global_options_table));
	printf("   %-28s %s\n", "--help, -h", "show help");
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static int choose(const char *flag, const char *value, const char *const *allowed, berth_error **err)
{
	for (const char *const *a = allowed; *a; a++)
		if (strcmp(*a, value) == 0)
			return 0;
	return error_new(err, EINVAL, "--%s: unknown value \"%s\"", flag, value);
}

static int resolve_globals(const struct cli_args *a, struct global_options *g, berth_error **err)
{
	static const char *const formats[] = { "text", "json", NULL };
	static const char *const tristate[] = { "auto", "true", "false", NULL };
	static const char *const managers[] = { "cgroupfs", "systemd", "disabled", NULL };
	static char xdg_root[4096];
	int r;

	*g = (struct global_options){
		.root = "/run/berth",
		.log_path = a->values[GOPT_LOG],
		.debug = cli_flag(a, GOPT_DEBUG),
		.systemd_cgroup = cli_flag(a, GOPT_SYSTEMD_CGROUP),
		.rootless = a->values[GOPT_ROOTLESS] ? a->values[GOPT_ROOTLESS] : "auto",
		.cgroup_manager = a->values[GOPT_CGROUP_MANAGER],
	};
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	/* As runc: a non-root caller keeps state in its own runtime dir (podman may set it empty). */
	if (geteuid() != 0 && xdg && *xdg) {
		snprintf(xdg_root, sizeof(xdg_root), "%s/berth", xdg);
		g->root = xdg_root;
	}
	if (a->values[GOPT_ROOT])
		g->root = a->values[GOPT_ROOT];
	if (!*g->root)
		return error_new(err, EINVAL, "--root: empty path");
	if (a->values[GOPT_LOG_FORMAT]) {
		r = choose("log-format", a->values[GOPT_LOG_FORMAT], formats, err);
		if (r < 0)
			return r;
		g->log_format = strcmp(a->values[GOPT_LOG_FORMAT], "json") == 0 ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT;
	}
	r = choose("rootless", g->rootless, tristate, err);
	if (r < 0)
		return r;
	g->rootless_resolved = strcmp(g->rootless, "true") == 0 || (strcmp(g->rootless, "auto") == 0 && geteuid() != 0);
	if (g->cgroup_manager) {
		r = choose("cgroup-manager", g->cgroup_manager, managers, err);
		if (r < 0)
			return r;
		if (strcmp(g->cgroup_manager, "systemd") == 0)
			g->systemd_cgroup = true;
	}
	return 0;
}

static void log_warning(const char *message)
{
	log_message(LOG_LEVEL_WARNING, "%s", message);
}

static void log_debug_record(const char *message)
{
	log_message(LOG_LEVEL_DEBUG, "%s", message);
}

/* Report err through the log (as configured so far) and return the exit status. */
static int fail(berth_error *err, int status)
{
	log_fatal(err ? err->message : "unknown error");
	return status;
}

/* Whether an error already says which command or which container it is about. */
static bool names_the_operation(const char *message, const char *command, const char *id)
{
	size_t n = strlen(command);
	if (strncmp(message, command, n) == 0 && (message[n] == ':' || message[n] == ' '))
		return true;
	char quoted[1100];
	snprintf(quoted, sizeof(quoted), "\"%s\"", id);
	return strstr(message, quoted) != NULL;
}

int main(int argc, char **argv)
{
	/* Hook stdin and console sockets may close early; a write must fail, not kill berth. */
	signal(SIGPIPE, SIG_IGN);
	_cleanup_error_ berth_error *err = NULL;
	struct cli_args globals_args, cmd_args;
	struct global_options globals;
	bool help = false;
	int first = 1;

	/* Global options come before the subcommand; find where it starts. */
	while (first < argc && argv[first][0] == '-' && strcmp(argv[first], "--") != 0) {
		const char *name = argv[first] + 1 + (argv[first][1] == '-');
		size_t index;
		bool takes_value = false;
		for (index = 0; index < ARRAY_SIZE(global_options_table); index++)
			if (strcmp(global_options_table[index].name, name) == 0)
				takes_value = global_options_table[index].value_name != NULL;
		first += takes_value && first + 1 < argc ? 2 : 1;
	}
	/*
	 * CVE-2019-5736: before any process of berth's is visible in a container,
	 * its binary is out of reach; first, while argv is as the caller gave it.
	 */
	const struct cli_command *early = first < argc ? find_command(argv[first]) : NULL;
	if (early && early->enters_container && exe_guard_protect(argv, &err) < 0)
		return fail(err, EXIT_FAILURE);
	if (cli_parse(global_options_table, ARRAY_SIZE(global_options_table), false, first - 1, argv + 1,
		      &globals_args, &help, &err) < 0)
		return fail(err, EXIT_USAGE);
	if (resolve_globals(&globals_args, &globals, &err) < 0)
		return fail(err, EXIT_USAGE);
	if (log_open(globals.log_path, globals.log_format, globals.debug, &err) < 0)
		return fail(err, EXIT_USAGE);
	warning_set_sink(log_warning);
	if (globals.debug)
		debug_set_sink(log_debug_record);
	if (cli_flag(&globals_args, GOPT_VERSION)) {
		print_version();
		return 0;
	}
	if (help || first >= argc) {
		print_global_help();
		return help ? 0 : EXIT_USAGE;
	}

	const char *name = argv[first];
	if (strcmp(name, "help") == 0 || strcmp(name, "h") == 0) {
		if (first + 1 >= argc) {
			print_global_help();
			return 0;
		}
		const struct cli_command *cmd = find_command(argv[first + 1]);
		if (!cmd) {
			error_new(&err, EINVAL, "no help topic for '%s'", argv[first + 1]);
			return fail(err, EXIT_UNKNOWN_COMMAND);
		}
		cli_print_command_help("berth", cmd);
		return 0;
	}
	const struct cli_command *cmd = find_command(name);
	if (!cmd) {
		error_new(&err, EINVAL, "unknown command '%s' (see 'berth --help')", name);
		return fail(err, EXIT_UNKNOWN_COMMAND);
	}
	if (cli_parse(cmd->options, cmd->n_options, cmd->options_end_at_first_argument, argc - first - 1,
		      argv + first + 1, &cmd_args, &help, &err) < 0) {
		error_prefix(&err, "%s", cmd->name);
		return fail(err, EXIT_USAGE);
	}
	if (help) {
		cli_print_command_help("berth", cmd);
		return 0;
	}
	if (cmd_args.n_positional < cmd->min_args || (cmd->max_args >= 0 && cmd_args.n_positional > cmd->max_args)) {
		if (cmd->max_args == 0)
			error_new(&err, EINVAL, "%s: takes no arguments, got \"%s\"", cmd->name, cmd_args.positional[0]);
		else
			error_new(&err, EINVAL, "%s: expected %s, got %d argument(s) (see 'berth %s --help')", cmd->name,
				  cmd->arguments ? cmd->arguments : "no arguments", cmd_args.n_positional, cmd->name);
		return fail(err, EXIT_USAGE);
	}
	debug("%s: %d argument(s), root %s", cmd->name, cmd_args.n_positional, globals.root);
	if (cmd->run(&globals, &cmd_args, &err) < 0) {
		/* What berth was doing and on what (`create "web": ...`), unless the message says so already. */
		const char *id = cmd->min_args >= 1 && cmd_args.n_positional >= 1 ? cmd_args.positional[0] : NULL;
		if (id && err && container_id_validate(id, NULL) == 0 && !names_the_operation(err->message, cmd->name, id))
			error_prefix(&err, "%s \"%s\"", cmd->name, id);
		return fail(err, cmd->failure_status ? cmd->failure_status : EXIT_FAILURE);
	}
	return 0;
}
