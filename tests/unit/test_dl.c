/* util/dl.c: libraries loaded for one feature; a failure is one line naming the feature and the library. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "util/dl.h"

Test(dl, resolves_every_symbol_once)
{
	size_t (*len)(const char *) = NULL;
	bool loaded = false;
	const struct dl_symbol symbols[] = { { (void **) &len, "strlen" } };
	berth_error *err = NULL;
	cr_assert_eq(dl_load("libc.so.6", symbols, 1, &loaded, "test", &err), 0);
	cr_assert(loaded && len && len("four") == 4);
	len = NULL;
	cr_assert_eq(dl_load("libc.so.6", symbols, 1, &loaded, "test", &err), 0, "a second call loads nothing");
	cr_assert_null(len);
}

Test(dl, a_missing_library_names_the_feature)
{
	void *f = NULL;
	bool loaded = false;
	const struct dl_symbol symbols[] = { { &f, "anything" } };
	berth_error *err = NULL;
	cr_assert_eq(dl_load("libberth-no-such-library.so.0", symbols, 1, &loaded, "linux.netDevices", &err), -ENOENT);
	cr_assert(!loaded);
	cr_assert_not_null(err);
	const char *prefix = "linux.netDevices: cannot load libberth-no-such-library.so.0 (";
	cr_assert(strncmp(err->message, prefix, strlen(prefix)) == 0, "%s", err->message);
	error_freep(&err);
}

Test(dl, a_missing_symbol_is_named)
{
	void *f = NULL;
	bool loaded = false;
	const struct dl_symbol symbols[] = { { &f, "berth_no_such_symbol" } };
	berth_error *err = NULL;
	cr_assert_eq(dl_load("libc.so.6", symbols, 1, &loaded, "--systemd-cgroup", &err), -ENOENT);
	cr_assert(!loaded);
	cr_assert_str_eq(err->message, "--systemd-cgroup: libc.so.6 has no berth_no_such_symbol");
	error_freep(&err);
}
