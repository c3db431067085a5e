/* The device allowlist (linux.resources.devices) plus runc's defaults, for the v1 devices controller. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "oci/config.h"
#include "util/error.h"

struct device_rule {
	bool allow;
	char type;      /* 'a', 'c' or 'b' */
	int64_t major;  /* -1: any */
	int64_t minor;  /* -1: any */
	char access[4]; /* a combination of r, w, m */
};

/*
 * The rules in force, as runc applies them: deny everything, then the config's
 * rules in order (res may be NULL), then the defaults every container gets
 * (/dev/null, zero, full, random, urandom, tty, console, ptmx, the ptys
 * (136:any), tun, and mknod of anything). An allow-all container says so with
 * its own "allow a" rule. Caller frees.
 */
int device_rules_effective(const struct oci_resources *res, struct device_rule **ret, size_t *ret_len);

/* Write rules to a v1 devices cgroup (devices.allow / devices.deny), in order. */
int device_rules_apply_v1(int dirfd, const struct device_rule *rules, size_t n, berth_error **err);
