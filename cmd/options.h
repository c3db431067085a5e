/*
 * Command-line parsing shaped like runc's (urfave/cli over Go's flag package):
 * `--opt value`, `--opt=value`, Go's single-dash `-opt value`, short aliases,
 * booleans with an optional `=true|false`, and `--` to end the options.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define CLI_MAX_OPTIONS 32

#define CLI_MAX_REPEATS 64

struct cli_option {
	const char *name;       /* long name, without dashes */
	char short_name;        /* single-letter alias, 0 for none */
	const char *value_name; /* NULL for a boolean flag */
	const char *help;
	bool repeatable;        /* --env A --env B: every value is kept, in order */
};

struct cli_args {
	const char *values[CLI_MAX_OPTIONS]; /* by option index; booleans get "true"/"false"; the last of repeats */
	const char *repeats[CLI_MAX_REPEATS]; /* values of repeatable options, in order */
	int repeat_option[CLI_MAX_REPEATS];   /* which option each of repeats belongs to */
	int n_repeats;
	char **positional;
	int n_positional;
};

struct global_options;

struct cli_command {
	const char *name;
	const char *summary;     /* one line, for `berth --help` */
	const char *arguments;   /* e.g. "<container-id>", for usage */
	const char *description; /* optional paragraph for `berth CMD --help` */
	const struct cli_option *options;
	size_t n_options;
	int min_args, max_args; /* -1: unbounded */
	bool options_end_at_first_argument; /* exec: what follows the id is the command line */
	bool enters_container;              /* makes a process a container can see: berth's binary is protected first */
	int failure_status; /* exit status when run fails; 0 means 1 (runc's exec exits 255, apart from its own) */
	int (*run)(const struct global_options *global, const struct cli_args *args, berth_error **err);
};

/*
 * Parse argv[0..argc) against options. Returns 0, or -EINVAL with err naming the
 * flag. `help` is set when --help/-h was given (and nothing else is checked).
 */
int cli_parse(const struct cli_option *options, size_t n_options, bool end_at_first_argument, int argc,
	      char **argv, struct cli_args *ret, bool *help, berth_error **err);

bool cli_flag(const struct cli_args *args, size_t index);

/* Print `NAME/USAGE/OPTIONS` help for one command, or the global help. */
void cli_print_command_help(const char *program, const struct cli_command *cmd);
void cli_print_options(const struct cli_option *options, size_t n_options);
