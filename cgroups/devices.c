#include "cgroups/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fs.h"

/* runc's AllowedDevices: what a container needs whatever its config says. */
static const struct device_rule default_rules[] = {
	{ true, 'c', -1, -1, "m" },  { true, 'b', -1, -1, "m" },   /* mknod of anything; using it is another rule */
	{ true, 'c', 1, 3, "rwm" },  { true, 'c', 1, 5, "rwm" },   /* null, zero */
	{ true, 'c', 1, 7, "rwm" },  { true, 'c', 1, 8, "rwm" },   /* full, random */
	{ true, 'c', 1, 9, "rwm" },  { true, 'c', 5, 0, "rwm" },   /* urandom, tty */
	{ true, 'c', 5, 1, "rwm" },  { true, 'c', 5, 2, "rwm" },   /* console, ptmx */
	{ true, 'c', 136, -1, "rwm" }, { true, 'c', 10, 200, "rwm" }, /* the ptys (136:any), tun */
};

int device_rules_effective(const struct oci_resources *res, struct device_rule **ret, size_t *ret_len)
{
	size_t n_config = res ? res->devices.len : 0;
	size_t n = 1 + n_config + ARRAY_SIZE(default_rules);
	struct device_rule *rules = calloc(n, sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	/* An allowlist (runtime-spec, as runc): everything is denied until a rule allows it. */
	rules[0] = (struct device_rule){ .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm" };
	for (size_t i = 0; i < n_config; i++) {
		const struct oci_device_rule *d = &res->devices.items[i];
		rules[1 + i] = (struct device_rule){
			.allow = d->allow,
			.type = d->type && *d->type ? d->type[0] : 'a',
			.major = d->major.set ? d->major.value : -1,
			.minor = d->minor.set ? d->minor.value : -1,
		};
		snprintf(rules[1 + i].access, sizeof(rules[1 + i].access), "%s", d->access && *d->access ? d->access : "rwm");
	}
	memcpy(rules + 1 + n_config, default_rules, sizeof(default_rules));
	*ret = rules;
	*ret_len = n;
	return 0;
}

static void format_id(char *buf, size_t size, int64_t v)
{
	if (v < 0)
		snprintf(buf, size, "*");
	else
		snprintf(buf, size, "%" PRId64, v);
}

int device_rules_apply_v1(int dirfd, const struct device_rule *rules, size_t n, berth_error **err)
{
	for (size_t i = 0; i < n; i++) {
		const struct device_rule *r = &rules[i];
		char line[64], major[24], minor[24];
		bool all_access = strchr(r->access, 'r') && strchr(r->access, 'w') && strchr(r->access, 'm');
		/*
		 * "a" stands for every device with every access: v1 takes it alone,
		 * and it resets the list to allow- or deny-all. Less access than rwm
		 * on every device is one rule per type, as runc writes it.
		 */
		if (r->type == 'a' && all_access)
			snprintf(line, sizeof(line), "a");
		else if (r->type == 'a') {
			struct device_rule per_type[2] = { *r, *r };
			per_type[0].type = 'c';
			per_type[1].type = 'b';
			int w = device_rules_apply_v1(dirfd, per_type, 2, err);
			if (w < 0)
				return w;
			continue;
		} else {
			format_id(major, sizeof(major), r->major);
			format_id(minor, sizeof(minor), r->minor);
			snprintf(line, sizeof(line), "%c %s:%s %s", r->type, major, minor, r->access);
		}
		const char *file = r->allow ? "devices.allow" : "devices.deny";
		_cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
		int w = fd < 0 ? -errno : write_all(fd, line, strlen(line));
		if (w < 0)
			return error_errno(err, -w, "linux.resources.devices: write %s \"%s\"", file, line);
	}
	return 0;
}
