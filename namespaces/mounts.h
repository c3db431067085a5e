/* The config's mounts: option parsing (runc's table) and mounting onto fd-resolved targets. */
#pragma once

#include <stdbool.h>

#include "cgroups/cgroup.h"
#include "oci/config.h"
#include "util/error.h"

struct mount_options {
	unsigned long flags;      /* MS_* to set */
	unsigned long clear;      /* MS_* the options turned off explicitly */
	unsigned long propagation; /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE (| MS_REC) */
	unsigned long long attr_set, attr_clr; /* mount_setattr(AT_RECURSIVE) for rro, rnosuid, ... */
	bool bind;
	bool recursive_bind;
	bool tmpcopyup;
	bool idmap, recursive_idmap; /* idmap, ridmap */
	char *data;               /* what mount(2) passes to the filesystem: "mode=755,size=65536k" */
};

/* Parse fstab-style options. Unknown options become filesystem data, as the spec says. */
int mount_options_parse(const struct string_list *options, struct mount_options *ret);
void mount_options_clear(struct mount_options *o);

struct mount_context {
	int rootfd;                     /* O_PATH fd of the (bind-mounted) rootfs */
	int bundlefd;                   /* relative bind sources resolve from the bundle */
	const struct cgroup_set *cgroups; /* what a "cgroup" mount shows */
	bool cgroup_namespace;
};

/*
 * Mount one config entry inside the rootfs; detached, when >= 0, is the entry
 * made ready by berth (an idmapped bind) to attach; source, when >= 0, the
 * bind's source berth opened (namespaces/mount_sources.h). Errors read like
 * `mount "proc" on "/proc": <cause>`.
 */
int mount_config_entry(const struct mount_context *ctx, const struct oci_mount *m, int detached, int source,
		       berth_error **err);

/* Make a read-only tmpfs or /dev entry read-only, once everything under it is mounted and created. */
int mount_finish_readonly(const struct mount_context *ctx, const struct oci_mount *m, berth_error **err);

/* The option names berth recognises (features' mountOptions), NULL-terminated. */
const char *const *mount_option_names(void);

/* Bind the file or directory at fd srcfd onto dstfd, with MS_* flags as mount attributes. */
int mount_bind_fd(int srcfd, int dstfd, bool recursive, unsigned long flags);

/* A detached clone of srcfd's mount (tree) with flags set: an fd to attach, or -errno. */
int mount_clone_tree(int srcfd, bool recursive, unsigned long flags);

/* Whether mount m is a bind: type "bind", or a bind/rbind option (what mount_options_parse calls bind). */
bool mount_is_bind(const struct oci_mount *m);

/* O_PATH fd of a bind source (relative ones from the bundle), or -errno. */
int mount_open_bind_source(int bundlefd, const char *source);

/* MS_RDONLY, MS_NOSUID, ... as MOUNT_ATTR_* for mount_setattr. */
unsigned long long mount_attr_from_flags(unsigned long flags);
