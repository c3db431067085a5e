/* The CLI option parser: every spelling runc's clients use. */
#include <criterion/criterion.h>
#include <string.h>

#include "cmd/options.h"
#include <stdlib.h>

/* cli_parse reorders argv in place, as main's argv: give it writable copies of the literals. */
static char *argv_store[16], *argv_owned[16]; /* parse reorders the first; the second is for freeing */
static void free_argv(void);
static char **make_argv(const char *const *words, int n)
{
	free_argv(); /* a test may build several */
	for (int i = 0; i < n; i++)
		argv_store[i] = argv_owned[i] = strdup(words[i]);
	return argv_store;
}
static void free_argv(void)
{
	for (int i = 0; i < 16; i++) {
		free(argv_owned[i]);
		argv_owned[i] = argv_store[i] = NULL;
	}
}

#define ARGV(name, ...)                                      \
	static const char *const name##_words[] = { __VA_ARGS__ }; \
	char **name = make_argv(name##_words, (int) (sizeof(name##_words) / sizeof(name##_words[0])))

enum { O_BUNDLE, O_DETACH, O_PID_FILE };
static const struct cli_option opts[] = {
	[O_BUNDLE] = { "bundle", 'b', "DIR", "bundle" },
	[O_DETACH] = { "detach", 'd', NULL, "detach" },
	[O_PID_FILE] = { "pid-file", 0, "FILE", "pid file" },
};

static int parse(int argc, char **argv, struct cli_args *a, bool *help, berth_error **err)
{
	return cli_parse(opts, 3, false, argc, argv, a, help, err);
}

Test(options, all_spellings, .fini = free_argv)
{
	ARGV(argv, "--bundle", "/b", "-d", "--pid-file=/p", "id");
	struct cli_args a;
	bool help;
	berth_error *err = NULL;
	cr_assert_eq(parse(5, argv, &a, &help, &err), 0);
	cr_assert_str_eq(a.values[O_BUNDLE], "/b");
	cr_assert(cli_flag(&a, O_DETACH));
	cr_assert_str_eq(a.values[O_PID_FILE], "/p");
	cr_assert_eq(a.n_positional, 1);
	cr_assert_str_eq(a.positional[0], "id");
}

Test(options, go_single_dash_and_options_after_arguments, .fini = free_argv)
{
	ARGV(argv, "id", "-bundle=/x", "-detach=false", "-b", "/y");
	struct cli_args a;
	bool help;
	berth_error *err = NULL;
	cr_assert_eq(parse(5, argv, &a, &help, &err), 0);
	cr_assert_str_eq(a.values[O_BUNDLE], "/y", "the last one wins");
	cr_assert_not(cli_flag(&a, O_DETACH));
	cr_assert_str_eq(a.positional[0], "id");
}

Test(options, double_dash_ends_options, .fini = free_argv)
{
	ARGV(argv, "id", "--", "--detach");
	struct cli_args a;
	bool help;
	berth_error *err = NULL;
	cr_assert_eq(parse(3, argv, &a, &help, &err), 0);
	cr_assert_eq(a.n_positional, 2);
	cr_assert_str_eq(a.positional[1], "--detach");
	cr_assert_null(a.values[O_DETACH]);
}

Test(options, stop_at_the_first_argument_for_exec, .fini = free_argv)
{
	ARGV(argv, "-d", "id", "sh", "-c", "ls -d");
	struct cli_args a;
	bool help;
	berth_error *err = NULL;
	cr_assert_eq(cli_parse(opts, 3, true, 5, argv, &a, &help, &err), 0);
	cr_assert_eq(a.n_positional, 4);
	cr_assert_str_eq(a.positional[2], "-c");
}

Test(options, errors_name_the_flag, .fini = free_argv)
{
	struct cli_args a;
	bool help;
	berth_error *err = NULL;
	ARGV(unknown, "--frobnicate");
	cr_assert_lt(parse(1, unknown, &a, &help, &err), 0);
	cr_assert_str_eq(err->message, "flag provided but not defined: --frobnicate");
	ARGV(missing, "--bundle");
	cr_assert_lt(parse(1, missing, &a, &help, &err), 0);
	cr_assert_str_eq(err->message, "flag needs an argument: --bundle");
	ARGV(badbool, "--detach=maybe");
	cr_assert_lt(parse(1, badbool, &a, &help, &err), 0);
	cr_assert_str_eq(err->message, "invalid boolean value \"maybe\" for flag --detach");
	error_free(err);
}

Test(options, help_anywhere, .fini = free_argv)
{
	ARGV(argv, "--bundle", "/b", "-h");
	struct cli_args a;
	bool help;
	berth_error *err = NULL;
	cr_assert_eq(parse(3, argv, &a, &help, &err), 0);
	cr_assert(help);
}
