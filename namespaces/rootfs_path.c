#include "namespaces/rootfs_path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_SYMLINKS 40

static bool force_fallback;
static bool openat2_missing;

void rootfs_path_force_fallback(bool force)
{
	force_fallback = force;
}

void fd_path(int fd, char buf[FD_PATH_SIZE])
{
	snprintf(buf, FD_PATH_SIZE, "/proc/self/fd/%d", fd);
}

static bool same_inode(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * The fallback for kernels without openat2: walk one component at a time with
 * O_NOFOLLOW, splice symlink targets into the remaining path, restart absolute
 * ones at the rootfs and never let ".." climb above it.
 */
static int open_fallback(int rootfd, const char *path, int flags)
{
	char *rest = NULL, *owned = strdup(path);
	int links = 0, r;

	if (!owned)
		return -ENOMEM;
	rest = owned;
	int cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (cur < 0) {
		free(owned);
		return -errno;
	}
	for (;;) {
		while (*rest == '/')
			rest++;
		if (!*rest)
			break;
		char *slash = strchr(rest, '/');
		size_t len = slash ? (size_t) (slash - rest) : strlen(rest);
		char name[256];
		if (len >= sizeof(name)) {
			r = -ENAMETOOLONG;
			goto fail;
		}
		memcpy(name, rest, len);
		name[len] = '\0';
		rest += len;
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0 && same_inode(cur, rootfd))
			continue; /* ".." at the rootfs stays at the rootfs */
		bool last = *rest == '\0' || strspn(rest, "/") == strlen(rest);
		int next = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			r = -errno;
			goto fail;
		}
		struct stat st;
		if (fstat(next, &st) < 0) {
			r = -errno;
			close(next);
			goto fail;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(next, "", target, sizeof(target) - 1);
			close(next);
			if (n < 0 || ++links > MAX_SYMLINKS) {
				r = n < 0 ? -errno : -ELOOP;
				goto fail;
			}
			target[n] = '\0';
			char *spliced = NULL;
			if (asprintf(&spliced, "%s/%s", target, rest) < 0) {
				r = -ENOMEM;
				goto fail;
			}
			free(owned);
			owned = rest = spliced;
			if (target[0] == '/') {
				close(cur);
				cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
				if (cur < 0) {
					r = -errno;
					goto fail;
				}
			}
			continue;
		}
		if (!last && !S_ISDIR(st.st_mode)) {
			close(next);
			r = -ENOTDIR;
			goto fail;
		}
		close(cur);
		cur = next;
	}
	free(owned);
	/* Reopen what was found with the caller's flags; the walk only held O_PATH fds. */
	int fd = openat(cur, ".", flags | O_CLOEXEC);
	if (fd < 0 && errno == ENOTDIR) {
		char p[FD_PATH_SIZE];
		fd_path(cur, p);
		fd = open(p, flags | O_CLOEXEC);
	}
	r = fd < 0 ? -errno : fd;
	close(cur);
	return r;
fail:
	free(owned);
	if (cur >= 0)
		close(cur);
	return r;
}

int rootfs_open(int rootfd, const char *path, int flags)
{
	if (!force_fallback && !openat2_missing) {
		struct open_how how = {
			.flags = (unsigned long long) (flags | O_CLOEXEC),
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		int fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS)
			return -errno;
		openat2_missing = true;
	}
	return open_fallback(rootfd, path, flags);
}

/* Split "a/b/c" into the parent "a/b" (or ".") and the last name "c". */
static int split_last(const char *path, char *parent, size_t parent_size, char *name, size_t name_size)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	size_t start = len;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (len - start >= name_size || start >= parent_size)
		return -ENAMETOOLONG;
	memcpy(name, path + start, len - start);
	name[len - start] = '\0';
	if (start == 0)
		snprintf(parent, parent_size, ".");
	else {
		memcpy(parent, path, start);
		parent[start] = '\0';
	}
	return 0;
}

int rootfs_mkdir_open(int rootfd, const char *path, bool as_file)
{
	int fd = rootfs_open(rootfd, path, O_PATH);
	if (fd >= 0 || fd != -ENOENT)
		return fd;

	char parent[4096], name[256];
	int r = split_last(path, parent, sizeof(parent), name, sizeof(name));
	if (r < 0)
		return r;
	if (strcmp(name, "..") == 0 || strcmp(name, ".") == 0 || !*name)
		return -EINVAL;
	/* Create the parent chain first; each level is itself resolved inside the rootfs. */
	int parentfd;
	if (strcmp(parent, ".") == 0 || strcmp(parent, "/") == 0) {
		parentfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
		if (parentfd < 0)
			return -errno;
	} else {
		parentfd = rootfs_mkdir_open(rootfd, parent, false);
		if (parentfd < 0)
			return parentfd;
	}
	/* The parent is an O_PATH fd: reopen it as a directory to create in it. */
	char p[FD_PATH_SIZE];
	fd_path(parentfd, p);
	int dirfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(parentfd);
	if (dirfd < 0)
		return -errno;
	if (as_file) {
		/* O_EXCL|O_NOFOLLOW: never follow a symlink planted under that name. */
		int f = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f < 0 && errno != EEXIST) {
			r = -errno;
			close(dirfd);
			return r;
		}
		if (f >= 0)
			close(f);
	} else if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		close(dirfd);
		return r;
	}
	close(dirfd);
	/* Resolve again from the rootfs: a symlink raced in under that name is still confined. */
	return rootfs_open(rootfd, path, O_PATH);
}
