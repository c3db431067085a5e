#include "namespaces/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "namespaces/rootfs_path.h"

unsigned long rootfs_propagation_flags(int propagation)
{
	switch (propagation) {
	case OCI_PROPAGATION_SHARED:
		return MS_SHARED;
	case OCI_PROPAGATION_SLAVE:
		return MS_SLAVE;
	case OCI_PROPAGATION_PRIVATE:
		return MS_PRIVATE;
	case OCI_PROPAGATION_UNBINDABLE:
		return MS_UNBINDABLE;
	case OCI_PROPAGATION_RSHARED:
		return MS_SHARED | MS_REC;
	case OCI_PROPAGATION_RSLAVE:
		return MS_SLAVE | MS_REC;
	case OCI_PROPAGATION_RPRIVATE:
		return MS_PRIVATE | MS_REC;
	case OCI_PROPAGATION_RUNBINDABLE:
		return MS_UNBINDABLE | MS_REC;
	default:
		return 0;
	}
}

/*
 * The mount the rootfs lies in (the rootfs itself if it is a mount point):
 * made private, so that binding the rootfs, and all berth mounts under it, stay
 * in this namespace even when "/" is shared with the host's. mount(MS_PRIVATE)
 * refuses a directory that is not a mount point; the first that takes it is the one.
 */
static int make_parent_mount_private(const char *rootfs, berth_error **err)
{
	_cleanup_free_ char *path = strdup(rootfs);
	if (!path)
		return error_errno(err, ENOMEM, "the rootfs path");
	for (;;) {
		if (mount(NULL, path, NULL, MS_PRIVATE, NULL) == 0)
			return 0;
		if (errno != EINVAL || strcmp(path, "/") == 0)
			return error_errno(err, errno, "make the mount of `%s` private", path);
		char *slash = strrchr(path, '/');
		if (slash == path)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

int rootfs_prepare(const char *rootfs, int propagation, berth_error **err)
{
	unsigned long flags = rootfs_propagation_flags(propagation);
	/*
	 * As runc: the host's mounts propagate in, ours never propagate out; but a
	 * shared rootfsPropagation (Kubernetes' Bidirectional mounts) keeps "/"
	 * in the host's peer groups, so a bind of a shared source stays their peer
	 * and what the container mounts there reaches the host. berth's own mounts
	 * are under the rootfs, whose mount is then made private first.
	 */
	if (!flags)
		flags = MS_SLAVE | MS_REC;
	if (mount(NULL, "/", NULL, flags, NULL) < 0)
		return error_errno(err, errno, "make \"/\" %s", flags & MS_PRIVATE ? "private"
								: flags & MS_SHARED ? "shared" : "a slave");
	if ((flags & MS_SHARED) && make_parent_mount_private(rootfs, err) < 0)
		return -EINVAL;
	/* pivot_root needs the new root to be a mount point. */
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return error_errno(err, errno, "bind the rootfs `%s`", rootfs);
	int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(err, errno, "open the rootfs `%s`", rootfs);
	return fd;
}

int rootfs_mask_paths(int rootfd, const struct string_list *paths, berth_error **err)
{
	for (size_t i = 0; i < paths->len; i++) {
		_cleanup_close_ int fd = rootfs_open(rootfd, paths->items[i], O_PATH | O_NOFOLLOW);
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return error_errno(err, -fd, "mask \"%s\"", paths->items[i]);
		struct stat st;
		char target[FD_PATH_SIZE];
		fd_path(fd, target);
		if (fstat(fd, &st) < 0)
			return error_errno(err, errno, "mask \"%s\"", paths->items[i]);
		if (S_ISDIR(st.st_mode)) {
			if (mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0)
				return error_errno(err, errno, "mask \"%s\" with a tmpfs", paths->items[i]);
		} else {
			_cleanup_close_ int null = open("/dev/null", O_PATH | O_CLOEXEC);
			int r = null < 0 ? -errno : mount_bind_fd(null, fd, false, 0);
			if (r < 0)
				return error_errno(err, -r, "mask \"%s\" with /dev/null", paths->items[i]);
		}
	}
	return 0;
}

int rootfs_readonly_paths(int rootfd, const struct string_list *paths, berth_error **err)
{
	for (size_t i = 0; i < paths->len; i++) {
		_cleanup_close_ int fd = rootfs_open(rootfd, paths->items[i], O_PATH | O_NOFOLLOW);
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return error_errno(err, -fd, "make \"%s\" read-only", paths->items[i]);
		int r = mount_bind_fd(fd, fd, true, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
		if (r < 0)
			return error_errno(err, -r, "make \"%s\" read-only", paths->items[i]);
	}
	return 0;
}

/* mountinfo's octal escapes (\040 for a space) decoded in place. */
static void unescape_mountinfo(char *s)
{
	char *out = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char) (((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 3;
		} else
			*out++ = *s;
	}
	*out = '\0';
}

/*
 * --no-pivot: chroot leaves the host's mounts in the namespace, and a fully
 * visible procfs or sysfs there lets a nested user namespace mount an unmasked
 * one. As runc does, each is detached first, or covered with an empty tmpfs
 * where it cannot be (locked in a user namespace); the rootfs' own are kept.
 */
static int hide_host_kernel_filesystems(const char *rootfs, berth_error **err)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return error_errno(err, errno, "--no-pivot: read the mounts to hide");
	char **points = NULL;
	size_t n = 0, len = strlen(rootfs);
	char *line = NULL;
	size_t cap = 0;
	int r = 0;
	while (r == 0 && getline(&line, &cap, f) > 0) {
		char *save = NULL, *point = NULL, *fstype = NULL;
		int field = 0;
		bool after_dash = false;
		for (char *tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save), field++) {
			if (field == 4)
				point = tok;
			else if (strcmp(tok, "-") == 0 && field > 5)
				after_dash = true;
			else if (after_dash) {
				fstype = tok;
				break;
			}
		}
		if (!point || !fstype || (strcmp(fstype, "proc") != 0 && strcmp(fstype, "sysfs") != 0))
			continue;
		unescape_mountinfo(point);
		if (strncmp(point, rootfs, len) == 0 && (point[len] == '/' || point[len] == '\0'))
			continue;
		char **grown = realloc(points, (n + 1) * sizeof(*points));
		if (!grown || !(grown[n] = strdup(point))) {
			points = grown ? grown : points;
			r = error_errno(err, ENOMEM, "--no-pivot");
			break;
		}
		points = grown;
		n++;
	}
	free(line);
	fclose(f);
	/* Deepest first: a later entry is mounted over or under an earlier one. */
	for (size_t i = n; r == 0 && i-- > 0;) {
		(void) mount(NULL, points[i], NULL, MS_PRIVATE, NULL);
		if (umount2(points[i], MNT_DETACH) == 0)
			continue;
		if (mount("tmpfs", points[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0") < 0 &&
		    errno != ENOENT)
			r = error_errno(err, errno, "--no-pivot: hide the host's %s", points[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(points[i]);
	free(points);
	return r;
}

int rootfs_pivot(int rootfd, const char *rootfs, bool no_pivot, berth_error **err)
{
	if (no_pivot) {
		int r = hide_host_kernel_filesystems(rootfs, err);
		if (r < 0)
			return r;
	}
	if (fchdir(rootfd) < 0)
		return error_errno(err, errno, "enter the rootfs");
	if (no_pivot) {
		/* A shared "/" would carry the move to the host's peers. */
		if (mount(NULL, "/", NULL, MS_PRIVATE, NULL) < 0)
			return error_errno(err, errno, "make \"/\" private (--no-pivot)");
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			return error_errno(err, errno, "move the rootfs to \"/\" (--no-pivot)");
		if (chroot(".") < 0)
			return error_errno(err, errno, "chroot into the rootfs (--no-pivot)");
	} else {
		/* pivot_root(".", ".") stacks the old root on top of the new; detaching "." drops it. */
		_cleanup_close_ int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (oldroot < 0)
			return error_errno(err, errno, "open the old root");
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return error_errno(err, errno, "pivot_root");
		/*
		 * The old root may be the host's peer (rootfsPropagation shared): its
		 * detach must not propagate there. Made a slave through its own fd: a
		 * mount(2) on "." would find the new root under it.
		 */
		if (fchdir(oldroot) < 0 || mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
			return error_errno(err, errno, "make the old root a slave");
		if (umount2(".", MNT_DETACH) < 0)
			return error_errno(err, errno, "detach the old root");
	}
	if (chdir("/") < 0)
		return error_errno(err, errno, "chdir to the new root");
	return 0;
}

int rootfs_finish(bool readonly, int propagation, berth_error **err)
{
	if (readonly) {
		/* Keep the flags the kernel locks (nosuid, nodev, noexec) or the remount is refused. */
		struct statvfs sv;
		unsigned long keep = 0;
		if (statvfs("/", &sv) == 0)
			keep = (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
			       (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0);
		if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
			return error_errno(err, errno, "make the rootfs read-only");
	}
	unsigned long flags = rootfs_propagation_flags(propagation);
	if (flags && mount(NULL, "/", NULL, flags, NULL) < 0)
		return error_errno(err, errno, "set rootfsPropagation");
	return 0;
}
