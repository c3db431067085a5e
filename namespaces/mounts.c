#include "namespaces/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "namespaces/rootfs_path.h"
#include "util/fs.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

enum option_kind { OPT_SET, OPT_CLEAR, OPT_PROPAGATION, OPT_ATTR_SET, OPT_ATTR_CLEAR, OPT_ATIME_SET, OPT_ATIME_CLEAR, OPT_SPECIAL };

static const struct {
	const char *name;
	enum option_kind kind;
	unsigned long long value;
} option_table[] = {
	/* mount(2) flags */
	{ "async", OPT_CLEAR, MS_SYNCHRONOUS },   { "atime", OPT_CLEAR, MS_NOATIME },
	{ "defaults", OPT_SET, 0 },               { "dev", OPT_CLEAR, MS_NODEV },
	{ "diratime", OPT_CLEAR, MS_NODIRATIME }, { "dirsync", OPT_SET, MS_DIRSYNC },
	{ "exec", OPT_CLEAR, MS_NOEXEC },         { "iversion", OPT_SET, MS_I_VERSION },
	{ "lazytime", OPT_SET, MS_LAZYTIME },     { "loud", OPT_CLEAR, MS_SILENT },
	{ "mand", OPT_SET, MS_MANDLOCK },         { "noatime", OPT_SET, MS_NOATIME },
	{ "nodev", OPT_SET, MS_NODEV },           { "nodiratime", OPT_SET, MS_NODIRATIME },
	{ "noexec", OPT_SET, MS_NOEXEC },         { "noiversion", OPT_CLEAR, MS_I_VERSION },
	{ "nolazytime", OPT_CLEAR, MS_LAZYTIME }, { "nomand", OPT_CLEAR, MS_MANDLOCK },
	{ "norelatime", OPT_CLEAR, MS_RELATIME }, { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
	{ "nosuid", OPT_SET, MS_NOSUID },         { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
	{ "relatime", OPT_SET, MS_RELATIME },     { "remount", OPT_SET, MS_REMOUNT },
	{ "ro", OPT_SET, MS_RDONLY },             { "rw", OPT_CLEAR, MS_RDONLY },
	{ "silent", OPT_SET, MS_SILENT },         { "strictatime", OPT_SET, MS_STRICTATIME },
	{ "suid", OPT_CLEAR, MS_NOSUID },         { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
	{ "sync", OPT_SET, MS_SYNCHRONOUS },
	/* propagation */
	{ "private", OPT_PROPAGATION, MS_PRIVATE },
	{ "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
	{ "shared", OPT_PROPAGATION, MS_SHARED },
	{ "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
	{ "slave", OPT_PROPAGATION, MS_SLAVE },
	{ "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
	{ "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
	{ "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
	/* recursive attributes, applied with mount_setattr(AT_RECURSIVE) */
	{ "rro", OPT_ATTR_SET, MOUNT_ATTR_RDONLY },         { "rrw", OPT_ATTR_CLEAR, MOUNT_ATTR_RDONLY },
	{ "rnosuid", OPT_ATTR_SET, MOUNT_ATTR_NOSUID },     { "rsuid", OPT_ATTR_CLEAR, MOUNT_ATTR_NOSUID },
	{ "rnodev", OPT_ATTR_SET, MOUNT_ATTR_NODEV },       { "rdev", OPT_ATTR_CLEAR, MOUNT_ATTR_NODEV },
	{ "rnoexec", OPT_ATTR_SET, MOUNT_ATTR_NOEXEC },     { "rexec", OPT_ATTR_CLEAR, MOUNT_ATTR_NOEXEC },
	{ "rnodiratime", OPT_ATTR_SET, MOUNT_ATTR_NODIRATIME }, { "rdiratime", OPT_ATTR_CLEAR, MOUNT_ATTR_NODIRATIME },
	/* The atime modes are one field of the mount: setting one replaces the others. */
	{ "rrelatime", OPT_ATIME_SET, MOUNT_ATTR_RELATIME }, { "rnorelatime", OPT_ATIME_CLEAR, MOUNT_ATTR_RELATIME },
	{ "rnoatime", OPT_ATIME_SET, MOUNT_ATTR_NOATIME },   { "ratime", OPT_ATIME_CLEAR, MOUNT_ATTR_NOATIME },
	{ "rstrictatime", OPT_ATIME_SET, MOUNT_ATTR_STRICTATIME }, { "rnostrictatime", OPT_ATIME_CLEAR, MOUNT_ATTR_STRICTATIME },
	{ "rnosymfollow", OPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW }, { "rsymfollow", OPT_ATTR_CLEAR, MOUNT_ATTR_NOSYMFOLLOW },
	/* berth's own handling */
	{ "bind", OPT_SPECIAL, 1 },               { "rbind", OPT_SPECIAL, 2 },
	{ "tmpcopyup", OPT_SPECIAL, 3 },
	{ "idmap", OPT_SPECIAL, 4 },              { "ridmap", OPT_SPECIAL, 5 },
};

const char *const *mount_option_names(void)
{
	static const char *names[ARRAY_SIZE(option_table) + 1];
	for (size_t i = 0; i < ARRAY_SIZE(option_table); i++)
		names[i] = option_table[i].name;
	names[ARRAY_SIZE(option_table)] = NULL;
	return names;
}

int mount_options_parse(const struct string_list *options, struct mount_options *ret)
{
	*ret = (struct mount_options){ 0 };
	size_t data_len = 0;

	for (size_t i = 0; i < options->len; i++) {
		const char *o = options->items[i];
		size_t k;
		for (k = 0; k < ARRAY_SIZE(option_table); k++)
			if (strcmp(option_table[k].name, o) == 0)
				break;
		if (k == ARRAY_SIZE(option_table)) {
			/* Not a flag: filesystem data, kept in order. */
			size_t len = strlen(o);
			char *data = realloc(ret->data, data_len + len + 2);
			if (!data) {
				mount_options_clear(ret);
				return -ENOMEM;
			}
			if (data_len)
				data[data_len++] = ',';
			memcpy(data + data_len, o, len + 1);
			data_len += len;
			ret->data = data;
			continue;
		}
		unsigned long long v = option_table[k].value;
		switch (option_table[k].kind) {
		case OPT_SET:
			ret->flags |= v;
			ret->clear &= ~v;
			break;
		case OPT_CLEAR:
			ret->flags &= ~v;
			ret->clear |= v;
			break;
		case OPT_PROPAGATION:
			ret->propagation = v;
			break;
		case OPT_ATTR_SET:
			ret->attr_set |= v;
			ret->attr_clr &= ~v;
			break;
		case OPT_ATIME_SET:
		case OPT_ATIME_CLEAR:
			/* mount_setattr wants the whole atime mask cleared to change the mode; "clear" means relatime. */
			ret->attr_clr |= MOUNT_ATTR__ATIME;
			ret->attr_set = (ret->attr_set & ~(unsigned long long) MOUNT_ATTR__ATIME) |
					(option_table[k].kind == OPT_ATIME_SET ? v : MOUNT_ATTR_RELATIME);
			break;
		case OPT_ATTR_CLEAR:
			ret->attr_clr |= v;
			ret->attr_set &= ~v;
			break;
		case OPT_SPECIAL:
		default:
			if (v == 1)
				ret->bind = true;
			else if (v == 2)
				ret->bind = ret->recursive_bind = true;
			else if (v == 3)
				ret->tmpcopyup = true;
			else {
				ret->idmap = true;
				ret->recursive_idmap |= v == 5;
			}
			break;
		}
	}
	return 0;
}

void mount_options_clear(struct mount_options *o)
{
	free(o->data);
	o->data = NULL;
}

unsigned long long mount_attr_from_flags(unsigned long flags)
{
	unsigned long long attr = 0;
	if (flags & MS_RDONLY)
		attr |= MOUNT_ATTR_RDONLY;
	if (flags & MS_NOSUID)
		attr |= MOUNT_ATTR_NOSUID;
	if (flags & MS_NODEV)
		attr |= MOUNT_ATTR_NODEV;
	if (flags & MS_NOEXEC)
		attr |= MOUNT_ATTR_NOEXEC;
	if (flags & MS_NODIRATIME)
		attr |= MOUNT_ATTR_NODIRATIME;
	if (flags & MS_NOSYMFOLLOW)
		attr |= MOUNT_ATTR_NOSYMFOLLOW;
	if (flags & MS_NOATIME)
		attr |= MOUNT_ATTR_NOATIME;
	else if (flags & MS_STRICTATIME)
		attr |= MOUNT_ATTR_STRICTATIME;
	else if (flags & MS_RELATIME)
		attr |= MOUNT_ATTR_RELATIME;
	return attr;
}

int mount_clone_tree(int srcfd, bool recursive, unsigned long flags)
{
	/* A detached copy of the source, its attributes set before anyone can see it: no remount needed. */
	int tree = (int) syscall(SYS_open_tree, srcfd, "",
				 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		return -errno;
	unsigned long long attr = mount_attr_from_flags(flags);
	if (attr) {
		struct mount_attr a = { .attr_set = attr, .attr_clr = attr & MOUNT_ATTR__ATIME ? MOUNT_ATTR__ATIME : 0 };
		/* On the top mount only, as runc's remount: ro on an rbind leaves the mounts below as they are (rro is recursive). */
		if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0) {
			int r = -errno;
			close(tree);
			return r;
		}
	}
	return tree;
}

static int mount_attach(int tree, int dstfd)
{
	if (syscall(SYS_move_mount, tree, "", dstfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

int mount_bind_fd(int srcfd, int dstfd, bool recursive, unsigned long flags)
{
	/* Attached at dstfd: no path is ever looked up again. */
	_cleanup_close_ int tree = mount_clone_tree(srcfd, recursive, flags);
	return tree < 0 ? tree : mount_attach(tree, dstfd);
}

bool mount_is_bind(const struct oci_mount *m)
{
	if (m->type && strcmp(m->type, "bind") == 0)
		return true;
	for (size_t i = 0; i < m->options.len; i++)
		if (strcmp(m->options.items[i], "bind") == 0 || strcmp(m->options.items[i], "rbind") == 0)
			return true;
	return false;
}

int mount_open_bind_source(int bundlefd, const char *source)
{
	/* runtime-spec: a relative bind source is relative to the bundle. */
	int fd = openat(source[0] == '/' ? AT_FDCWD : bundlefd, source, O_PATH | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int fail_mount(berth_error **err, int code, const struct oci_mount *m, const char *what)
{
	return error_errno(err, code, "mount \"%s\" on \"%s\"%s%s", m->source ? m->source : m->type ? m->type : "none",
			   m->destination, what ? ": " : "", what ? what : "");
}

/* The container's view of its cgroups: a tmpfs with one bind per hierarchy (v1), or the v2 dir itself. */
static int mount_cgroups(const struct mount_context *ctx, const struct oci_mount *m, int dstfd,
			 const struct mount_options *o, berth_error **err)
{
	char dst[FD_PATH_SIZE];
	const struct cgroup_set *set = ctx->cgroups;
	bool only_v2 = set && set->len == 1 && set->dirs[0].v2;
	unsigned long flags = (o->flags | MS_NOSUID | MS_NODEV | MS_NOEXEC) & ~(unsigned long) MS_REMOUNT;

	fd_path(dstfd, dst);
	if (only_v2 && ctx->cgroup_namespace) {
		if (mount("cgroup2", dst, "cgroup2", flags, NULL) == 0)
			return 0;
		/* In a user namespace the kernel may refuse a second cgroup2 superblock user (EBUSY): bind the directory. */
		if (errno != EBUSY && errno != EPERM)
			return fail_mount(err, errno, m, NULL);
	}
	if (!only_v2 && mount("tmpfs", dst, "tmpfs", (flags & ~(unsigned long) MS_RDONLY), "mode=755") < 0)
		return fail_mount(err, errno, m, "tmpfs");
	for (size_t i = 0; set && i < set->len; i++) {
		const struct cgroup_dir *d = &set->dirs[i];
		const char *name = only_v2 ? "" : strrchr(d->mount, '/') + 1;
		_cleanup_free_ char *host = NULL, *inside = NULL;
		if (asprintf(&host, "%s%s", d->mount, d->path) < 0 ||
		    asprintf(&inside, "%s/%s", m->destination, name) < 0)
			return error_errno(err, ENOMEM, "mount cgroups");
		_cleanup_close_ int src = open(host, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (src < 0)
			return error_errno(err, errno, "mount cgroup `%s`", host);
		_cleanup_close_ int target = only_v2 ? fcntl(dstfd, F_DUPFD_CLOEXEC, 3) : rootfs_mkdir_open(ctx->rootfd, inside, false);
		if (target < 0)
			return error_errno(err, -target, "mount cgroup on \"%s\"", inside);
		int r = mount_bind_fd(src, target, false, flags | MS_BIND);
		if (r < 0)
			return error_errno(err, -r, "mount cgroup `%s` on \"%s\"", host, inside);
	}
	if (!only_v2 && (o->flags & MS_RDONLY)) {
		_cleanup_close_ int top = rootfs_open(ctx->rootfd, m->destination, O_PATH);
		char p[FD_PATH_SIZE];
		fd_path(top, p);
		if (top < 0 || mount(NULL, p, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
			return fail_mount(err, top < 0 ? -top : errno, m, "remount read-only");
	}
	return 0;
}

/*
 * tmpcopyup: a tmpfs that starts with what the image had at the destination.
 * The tmpfs is made detached (fsopen/fsmount), filled from the directory it
 * will hide, and only then attached, read-only if asked.
 */
static int mount_tmpfs_copyup(const struct oci_mount *m, int dstfd, unsigned long flags, const char *data,
			      berth_error **err)
{
	_cleanup_close_ int under = openat(dstfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (under < 0)
		return fail_mount(err, errno, m, "tmpcopyup: destination is not a directory");
	_cleanup_close_ int fs = (int) syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return fail_mount(err, errno, m, "fsopen");
	_cleanup_free_ char *copy = data ? strdup(data) : NULL;
	if (data && !copy)
		return error_errno(err, ENOMEM, "mount on \"%s\"", m->destination);
	for (char *save = NULL, *kv = copy ? strtok_r(copy, ",", &save) : NULL; kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		if (eq)
			*eq = '\0';
		if (syscall(SYS_fsconfig, fs, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, kv, eq ? eq + 1 : NULL, 0) < 0)
			return fail_mount(err, errno, m, kv);
	}
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fail_mount(err, errno, m, "fsconfig create");
	unsigned long long attr = mount_attr_from_flags(flags) & ~(unsigned long long) MOUNT_ATTR_RDONLY;
	_cleanup_close_ int mnt = (int) syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attr);
	if (mnt < 0)
		return fail_mount(err, errno, m, "fsmount");
	_cleanup_close_ int top = openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char name[256];
	int r = top < 0 ? -errno : copy_tree(under, top, name);
	if (r < 0)
		return error_errno(err, -r, "mount on \"%s\": tmpcopyup of \"%s\"", m->destination, name);
	r = copy_attributes(under, top);
	if (r < 0)
		return fail_mount(err, -r, m, "tmpcopyup");
	if (flags & MS_RDONLY) {
		struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
		if (syscall(SYS_mount_setattr, mnt, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
			return fail_mount(err, errno, m, "read-only");
	}
	if (syscall(SYS_move_mount, mnt, "", dstfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return fail_mount(err, errno, m, "move_mount");
	return 0;
}

/*
 * A read-only tmpfs, or /dev, is mounted writable and made read-only once
 * what goes under it (devpts, mqueue, device nodes) is in place: runc's order.
 */
static bool readonly_later(const struct oci_mount *m, const struct mount_options *o, bool bind)
{
	if (bind || !(o->flags & MS_RDONLY))
		return false;
	return (m->type && strcmp(m->type, "tmpfs") == 0) || strcmp(m->destination, "/dev") == 0 ||
	       strcmp(m->destination, "/dev/") == 0;
}

int mount_finish_readonly(const struct mount_context *ctx, const struct oci_mount *m, berth_error **err)
{
	struct mount_options o;
	int r = mount_options_parse(&m->options, &o);
	if (r < 0)
		return error_errno(err, -r, "mount \"%s\"", m->destination);
	bool later = readonly_later(m, &o, o.bind || (m->type && strcmp(m->type, "bind") == 0));
	mount_options_clear(&o);
	if (!later)
		return 0;
	_cleanup_close_ int top = rootfs_open(ctx->rootfd, m->destination, O_PATH);
	if (top < 0)
		return fail_mount(err, -top, m, "reopen to make read-only");
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
	if (syscall(SYS_mount_setattr, top, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
		return fail_mount(err, errno, m, "make read-only");
	return 0;
}

int mount_config_entry(const struct mount_context *ctx, const struct oci_mount *m, int detached, int source,
		       berth_error **err)
{
	struct mount_options o;
	_cleanup_close_ int srcfd = -1, dstfd = -1;
	bool as_file = false;
	int r = mount_options_parse(&m->options, &o);
	if (r < 0)
		return error_errno(err, -r, "mount \"%s\"", m->destination);
	const char *type = m->type ? m->type : "";
	if (o.tmpcopyup && strcmp(type, "tmpfs") != 0) {
		mount_options_clear(&o);
		return error_new(err, EINVAL, "mount on \"%s\": option tmpcopyup needs type tmpfs", m->destination);
	}
	bool bind = o.bind || strcmp(type, "bind") == 0;

	if (bind) {
		if (!m->source) {
			mount_options_clear(&o);
			return error_new(err, EINVAL, "mount on \"%s\": a bind mount needs a source", m->destination);
		}
		/* An idmapped mount comes made (detached) from berth: only its attachment is left. */
		srcfd = detached >= 0 ? fcntl(detached, F_DUPFD_CLOEXEC, 3)
			: source >= 0 ? fcntl(source, F_DUPFD_CLOEXEC, 3)
				      : mount_open_bind_source(ctx->bundlefd, m->source);
		struct stat st;
		if (srcfd < 0 || fstat(srcfd, &st) < 0) {
			r = fail_mount(err, srcfd < 0 && detached < 0 && source < 0 ? -srcfd : errno, m, "source");
			goto out;
		}
		as_file = !S_ISDIR(st.st_mode);
		/*
		 * CVE-2023-25809: "rbind,ro" of the host's /sys (spec --rootless, runc's
		 * too) would leave the cgroupfs and the rest below it writable: there
		 * read-only reaches every mount, as rro would.
		 */
		struct statfs sfs;
		if (o.recursive_bind && (o.flags & MS_RDONLY) && fstatfs(srcfd, &sfs) == 0 && sfs.f_type == SYSFS_MAGIC)
			o.attr_set |= MOUNT_ATTR_RDONLY;
	}
	/* As runc: a procfs or sysfs goes on the directory itself, never where an image's symlink points. */
	if ((strcmp(type, "proc") == 0 || strcmp(type, "sysfs") == 0) && rootfs_is_symlink(ctx->rootfd, m->destination)) {
		r = error_new(err, ELOOP, "mount \"%s\" on \"%s\": the destination is a symlink in the rootfs (refused for %s)",
			      m->source ? m->source : type, m->destination, type);
		goto out;
	}
	if (!bind && strcmp(type, "tmpfs") == 0 && !(o.data && (strncmp(o.data, "mode=", 5) == 0 || strstr(o.data, ",mode=")))) {
		/* runc: a tmpfs without mode= takes the mode of the directory it covers (a new one stays 1777). */
		_cleanup_close_ int old = rootfs_open(ctx->rootfd, m->destination, O_PATH);
		struct stat st;
		if (old >= 0 && fstat(old, &st) == 0 && S_ISDIR(st.st_mode)) {
			char *data = NULL;
			if (asprintf(&data, "%s%smode=%o", o.data ? o.data : "", o.data && *o.data ? "," : "",
				     (unsigned) (st.st_mode & 07777)) < 0) {
				r = error_errno(err, ENOMEM, "mount \"%s\"", m->destination);
				goto out;
			}
			free(o.data);
			o.data = data;
		}
	}
	dstfd = rootfs_mkdir_open(ctx->rootfd, m->destination, as_file);
	if (dstfd < 0) {
		r = fail_mount(err, -dstfd, m, "destination");
		goto out;
	}
	unsigned long flags = o.flags & ~(unsigned long) MS_REMOUNT;
	if (readonly_later(m, &o, bind))
		flags &= ~(unsigned long) MS_RDONLY;
	if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0) {
		r = mount_cgroups(ctx, m, dstfd, &o, err);
		goto out;
	}
	if (bind)
		r = detached >= 0 ? mount_attach(srcfd, dstfd) : mount_bind_fd(srcfd, dstfd, o.recursive_bind, flags | MS_BIND);
	else if (o.tmpcopyup) {
		r = mount_tmpfs_copyup(m, dstfd, flags, o.data, err);
		if (r < 0)
			goto out;
	} else {
		char dst[FD_PATH_SIZE];
		fd_path(dstfd, dst);
		r = mount(m->source ? m->source : type, dst, type, flags, o.data) < 0 ? -errno : 0;
	}
	if (r < 0) {
		r = fail_mount(err, -r, m, NULL);
		goto out;
	}
	if (o.propagation || o.attr_set || o.attr_clr) {
		/* Reopen the destination: it is now the top of the new mount. */
		_cleanup_close_ int top = rootfs_open(ctx->rootfd, m->destination, O_PATH);
		char p[FD_PATH_SIZE];
		if (top < 0) {
			r = fail_mount(err, -top, m, "reopen");
			goto out;
		}
		fd_path(top, p);
		if (o.propagation && mount(NULL, p, NULL, o.propagation, NULL) < 0) {
			r = fail_mount(err, errno, m, "propagation");
			goto out;
		}
		if (o.attr_set || o.attr_clr) {
			struct mount_attr attr = { .attr_set = o.attr_set, .attr_clr = o.attr_clr };
			if (syscall(SYS_mount_setattr, top, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
				r = fail_mount(err, errno, m, "recursive options");
				goto out;
			}
		}
	}
	r = 0;
out:
	mount_options_clear(&o);
	return r;
}
