#include "cmd/options.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct cli_option *find_long(const struct cli_option *options, size_t n, const char *name, size_t len,
					  size_t *index)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0) {
			*index = i;
			return &options[i];
		}
	return NULL;
}

static const struct cli_option *find_short(const struct cli_option *options, size_t n, char c, size_t *index)
{
	for (size_t i = 0; i < n; i++)
		if (options[i].short_name == c) {
			*index = i;
			return &options[i];
		}
	return NULL;
}

bool cli_flag(const struct cli_args *args, size_t index)
{
	return args->values[index] && strcmp(args->values[index], "true") == 0;
}

int cli_parse(const struct cli_option *options, size_t n_options, bool end_at_first_argument, int argc,
	      char **argv, struct cli_args *ret, bool *help, berth_error **err)
{
	bool only_positional = false;

	*ret = (struct cli_args){ .positional = argv, .n_positional = 0 };
	*help = false;
	for (int i = 0; i < argc; i++) {
		char *arg = argv[i];
		if (only_positional || arg[0] != '-' || arg[1] == '\0') {
			/* Positionals are compacted in place at the front of argv. */
			argv[ret->n_positional++] = arg;
			if (end_at_first_argument)
				only_positional = true;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_positional = true;
			continue;
		}
		const char *name = arg + 1 + (arg[1] == '-');
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t) (eq - name) : strlen(name);
		size_t index = 0;
		const struct cli_option *opt = NULL;

		if (strcmp(name, "help") == 0 || strcmp(name, "h") == 0) {
			*help = true;
			return 0;
		}
		if (len == 1 && arg[1] != '-')
			opt = find_short(options, n_options, name[0], &index);
		if (!opt)
			opt = find_long(options, n_options, name, len, &index);
		if (!opt)
			return error_new(err, EINVAL, "flag provided but not defined: %.*s", (int) (len + (size_t) (name - arg)),
					 arg);
		if (!opt->value_name) {
			const char *v = eq ? eq + 1 : "true";
			if (strcmp(v, "true") && strcmp(v, "false") && strcmp(v, "1") && strcmp(v, "0"))
				return error_new(err, EINVAL, "invalid boolean value \"%s\" for flag --%s", v, opt->name);
			ret->values[index] = (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) ? "true" : "false";
			continue;
		}
		if (eq)
			ret->values[index] = eq + 1;
		else if (i + 1 < argc)
			ret->values[index] = argv[++i];
		else
			return error_new(err, EINVAL, "flag needs an argument: --%s", opt->name);
		if (opt->repeatable) {
			if (ret->n_repeats == CLI_MAX_REPEATS)
				return error_new(err, E2BIG, "too many --%s flags (at most %d)", opt->name, CLI_MAX_REPEATS);
			ret->repeat_option[ret->n_repeats] = (int) index;
			ret->repeats[ret->n_repeats++] = ret->values[index];
		}
	}
	return 0;
}

void cli_print_options(const struct cli_option *options, size_t n_options)
{
	for (size_t i = 0; i < n_options; i++) {
		const struct cli_option *o = &options[i];
		char spelling[96];
		int n = snprintf(spelling, sizeof(spelling), "--%s%s%s", o->name, o->value_name ? " " : "",
				 o->value_name ? o->value_name : "");
		if (o->short_name && n > 0 && (size_t) n < sizeof(spelling))
			snprintf(spelling + n, sizeof(spelling) - (size_t) n, ", -%c%s%s", o->short_name,
				 o->value_name ? " " : "", o->value_name ? o->value_name : "");
		printf("   %-28s %s\n", spelling, o->help);
	}
}

void cli_print_command_help(const char *program, const struct cli_command *cmd)
{
	printf("NAME:\n   %s %s - %s\n\n", program, cmd->name, cmd->summary);
	printf("USAGE:\n   %s %s%s%s%s\n", program, cmd->name, cmd->n_options ? " [command options]" : "",
	       cmd->arguments ? " " : "", cmd->arguments ? cmd->arguments : "");
	if (cmd->description)
		printf("\nDESCRIPTION:\n   %s\n", cmd->description);
	if (cmd->n_options) {
		printf("\nOPTIONS:\n");
		cli_print_options(cmd->options, cmd->n_options);
	}
}
