#include "namespaces/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "namespaces/mounts.h"
#include "util/cleanup.h"
#include "namespaces/rootfs_path.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static const struct {
	const char *path;
	unsigned major, minor;
} default_devices[] = {
	{ "/dev/null", 1, 3 },    { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
	{ "/dev/random", 1, 8 },  { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

/* The directory nodes go in, opened once for all the nodes in it (the defaults are all in /dev). */
struct node_dir {
	char path[4096];
	int fd; /* a directory fd usable with *at calls (not O_PATH) */
};

static int node_dir_open(int rootfd, struct node_dir *d, const char *path)
{
	if (d->fd >= 0 && strcmp(d->path, path) == 0)
		return d->fd;
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	_cleanup_close_ int dir = rootfs_mkdir_open(rootfd, path, false);
	if (dir < 0)
		return dir;
	char p[FD_PATH_SIZE];
	fd_path(dir, p);
	d->fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd < 0)
		return -errno;
	snprintf(d->path, sizeof(d->path), "%s", path);
	return d->fd;
}

/* Set mode and owner through an O_PATH fd of the node: the name may have been swapped since (a shared volume). */
static int node_set_mode_owner(int fd, mode_t perm, uid_t uid, gid_t gid)
{
	/* fchmodat2 (Linux 6.6) takes AT_EMPTY_PATH; before it, the fd's magic link names the inode itself. */
	if (syscall(SYS_fchmodat2, fd, "", perm, AT_EMPTY_PATH) < 0) {
		if (errno != ENOSYS && errno != EINVAL)
			return -errno;
		char p[FD_PATH_SIZE];
		fd_path(fd, p);
		if (chmod(p, perm) < 0)
			return -errno;
	}
	return fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0 ? -errno : 0;
}

/* The entry `name` in dirfd, opened without following it, must be what berth made there: type and device. */
static int node_open_checked(int dirfd, const char *name, mode_t kind, dev_t dev)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((st.st_mode & S_IFMT) != kind || ((kind == S_IFCHR || kind == S_IFBLK) && st.st_rdev != dev))
		return -EXDEV; /* replaced under our feet */
	return TAKE_FD(fd);
}

static int create_node(int rootfd, struct node_dir *d, const char *given, char type, unsigned major, unsigned minor,
		       mode_t perm, uid_t uid, gid_t gid, bool bind_from_host, berth_error **err)
{
	char parent[4096], path[4096];
	/* "/dev/x/" names /dev/x, as runc's cleaned path does. */
	size_t len = strlen(given);
	while (len > 1 && given[len - 1] == '/')
		len--;
	if (len >= sizeof(path))
		return error_new(err, ENAMETOOLONG, "device \"%s\": path too long", given);
	memcpy(path, given, len);
	path[len] = '\0';
	const char *slash = strrchr(path, '/');
	if (!slash || !slash[1])
		return error_new(err, EINVAL, "device \"%s\": not a file path", path);
	snprintf(parent, sizeof(parent), "%.*s", (int) (slash - path), path);
	int dirfd = node_dir_open(rootfd, d, *parent ? parent : "/");
	if (dirfd < 0)
		return error_errno(err, -dirfd, "create the directory of device \"%s\"", path);
	const char *name = slash + 1;

	if (bind_from_host && type != 'p') {
		/* mknod is refused in a user namespace: bind the host's node onto an empty file made here. */
		_cleanup_close_ int host = open(path, O_PATH | O_CLOEXEC);
		if (host < 0)
			return error_errno(err, errno, "device \"%s\": open the host's node", path);
		/* O_EXCL: never open what the image has there (a FIFO would hang us, a node would be opened). */
		const int flags = O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
		_cleanup_close_ int f = openat(dirfd, name, flags, 0644);
		if (f < 0 && errno == EEXIST) {
			if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
				return error_errno(err, errno, "device \"%s\": remove the existing entry", path);
			f = openat(dirfd, name, flags, 0644);
		}
		if (f < 0)
			return error_errno(err, errno, "device \"%s\"", path);
		int r = mount_bind_fd(host, f, false, 0);
		return r < 0 ? error_errno(err, -r, "bind device \"%s\"", path) : 0;
	}
	mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
	dev_t dev = makedev(major, minor);
	int r = mknodat(dirfd, name, kind | perm, dev);
	if (r < 0 && errno == EEXIST) {
		/* Replace whatever the image has there (never following a link) so the node is exactly as configured. */
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT && errno != EISDIR)
			return error_errno(err, errno, "device \"%s\": remove the existing entry", path);
		r = mknodat(dirfd, name, kind | perm, dev);
	}
	if (r < 0)
		return error_errno(err, errno, "mknod \"%s\"", path);
	/* mknod applies the umask: set the exact mode, then the owner, on the node itself, never by name again. */
	_cleanup_close_ int node = node_open_checked(dirfd, name, kind, dev);
	if (node < 0)
		return error_errno(err, -node, "device \"%s\": %s", path,
				   node == -EXDEV ? "replaced by something else while it was made" : "open the new node");
	r = node_set_mode_owner(node, perm, uid, gid);
	if (r < 0)
		return error_errno(err, -r, "device \"%s\": set mode and owner", path);
	return 0;
}

static int create_nodes(int rootfd, struct node_dir *d, const struct oci_linux *l, bool bind_from_host,
			berth_error **err)
{
	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
		bool listed = false;
		for (size_t j = 0; l && j < l->devices.len && !listed; j++)
			listed = strcmp(l->devices.items[j].path, default_devices[i].path) == 0;
		if (listed)
			continue;
		int r = create_node(rootfd, d, default_devices[i].path, 'c', default_devices[i].major,
				    default_devices[i].minor, 0666, 0, 0, bind_from_host, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; l && i < l->devices.len; i++) {
		const struct oci_device *dv = &l->devices.items[i];
		int r = create_node(rootfd, d, dv->path, dv->type[0], (unsigned) dv->major.value, (unsigned) dv->minor.value,
				    dv->file_mode.set ? (mode_t) dv->file_mode.value & 07777 : 0666,
				    dv->uid.set ? (uid_t) dv->uid.value : 0, dv->gid.set ? (gid_t) dv->gid.value : 0,
				    bind_from_host, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* /dev/fd, /dev/std{in,out,err}, /dev/ptmx -> pts/ptmx, /dev/core. Existing entries are left alone. */
static int create_links(int rootfd, struct node_dir *d, berth_error **err)
{
	static const struct {
		const char *target, *name;
	} links[] = {
		{ "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
		{ "/proc/self/fd/2", "stderr" }, { "pts/ptmx", "ptmx" },         { "/proc/kcore", "core" },
	};
	int dirfd = node_dir_open(rootfd, d, "/dev");
	if (dirfd < 0)
		return error_errno(err, -dirfd, "open /dev in the rootfs");
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		/* ptmx: a node left by the image would bypass the container's devpts instance. */
		if (strcmp(links[i].name, "ptmx") == 0)
			(void) unlinkat(dirfd, "ptmx", 0);
		if (symlinkat(links[i].target, dirfd, links[i].name) < 0 && errno != EEXIST)
			return error_errno(err, errno, "symlink /dev/%s", links[i].name);
	}
	return 0;
}

int devices_create(int rootfd, const struct oci_linux *l, bool bind_from_host, berth_error **err)
{
	struct node_dir d = { .fd = -1 };
	int r = create_nodes(rootfd, &d, l, bind_from_host, err);
	if (r == 0)
		r = create_links(rootfd, &d, err);
	if (d.fd >= 0)
		close(d.fd);
	return r;
}
