/*
 * libFuzzer target for the small parsers of untrusted text: signal names (kill),
 * mount options (config.json mounts[].options), user specs (exec --user) and
 * cgroup paths (linux.cgroupsPath). The first byte picks one.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/cgroup.h"
#include "namespaces/mounts.h"
#include "util/ids.h"
#include "util/proc.h"

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* exec --user: accepted means digits, or digits:digits, and nothing else. */
static void fuzz_user(const char *text)
{
	uint32_t uid, gid;
	bool has_gid;
	if (parse_user_spec(text, &uid, &gid, &has_gid) < 0)
		return;
	const char *colon = strchr(text, ':');
	if (!all_digits(text, colon ? (size_t) (colon - text) : strlen(text)) ||
	    (colon && !all_digits(colon + 1, strlen(colon + 1))) || has_gid != (colon != NULL))
		abort();
}

/* linux.cgroupsPath: a planned path never climbs out (no "..") and is absolute in every hierarchy. */
static void fuzz_cgroup_path(const char *text)
{
	struct cgroup_set set;
	berth_error *err = NULL;
	if (cgroup_set_plan(text, "fuzz", &set, &err) < 0) {
		error_free(err);
		return;
	}
	for (size_t i = 0; i < set.len; i++) {
		const char *p = set.dirs[i].path;
		if (p[0] != '/' || strstr(p, "/../") || (strlen(p) >= 3 && strcmp(p + strlen(p) - 3, "/..") == 0))
			abort();
	}
	cgroup_set_clear(&set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	char *text = strndup((const char *) data + 1, size - 1);
	if (!text)
		return 0;
	if (data[0] % 4 == 2)
		fuzz_user(text);
	else if (data[0] % 4 == 3)
		fuzz_cgroup_path(text);
	else if (data[0] & 1) {
		int sig = signal_parse(text);
		if (sig != -EINVAL && (sig < 1 || sig > 64))
			abort(); /* a valid result is a real signal number */
	} else {
		/* Options as the config gives them: a list of strings (split on ','). */
		struct string_list list = { 0 };
		for (char *save = NULL, *tok = strtok_r(text, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (string_list_append(&list, tok) < 0)
				break;
		struct mount_options o;
		if (mount_options_parse(&list, &o) == 0) {
			if (o.data && strlen(o.data) > size)
				abort(); /* data is made of the unknown options only */
			mount_options_clear(&o);
		}
		for (size_t i = 0; i < list.len; i++)
			free(list.items[i]);
		free(list.items);
	}
	free(text);
	return 0;
}
