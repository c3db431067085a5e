#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t) n;
	}
	return 0;
}

int read_fd_all(int fd, const char *label, char **ret_data, size_t *ret_len, berth_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		if (cap - len < 4096) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nbuf = realloc(buf, ncap);
			if (!nbuf)
				return error_errno(err, ENOMEM, "read `%s`", label);
			buf = nbuf;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return error_errno(err, errno, "read `%s`", label);
		}
		if (n == 0)
			break;
		len += (size_t) n;
	}
	buf[len] = '\0';
	*ret_data = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int read_file_at(int dirfd, const char *path, char **ret_data, size_t *ret_len, berth_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return error_errno(err, errno, "open `%s`", path);
	return read_fd_all(fd, path, ret_data, ret_len, err);
}

int write_file_exclusive_at(int dirfd, const char *path, mode_t mode, const char *data, size_t len,
			    berth_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return error_errno(err, errno, "create `%s`", path);
	int r = write_all(fd, data, len);
	if (r < 0) {
		unlinkat(dirfd, path, 0);
		return error_errno(err, -r, "write `%s`", path);
	}
	return 0;
}

int write_file_atomic_at(int dirfd, const char *path, mode_t mode, const char *data, size_t len,
			 berth_error **err)
{
	_cleanup_free_ char *tmp = NULL;

	if (asprintf(&tmp, "%s.tmp-%d", path, (int) getpid()) < 0)
		return error_errno(err, ENOMEM, "write `%s`", path);
	_cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return error_errno(err, errno, "create `%s`", tmp);
	int r = write_all(fd, data, len);
	/*
	 * Replacing an existing file by rename makes ext4 (auto_da_alloc) start
	 * writing the new one out at once, and whoever unlinks it next (delete)
	 * waits for that I/O: ~0.5 ms here. Exchanging the two names and removing
	 * the old file is as atomic for readers and starts no I/O. It fails where
	 * there is nothing to replace yet, or the filesystem cannot: then rename.
	 */
	if (r == 0 && renameat2(dirfd, tmp, dirfd, path, RENAME_EXCHANGE) == 0) {
		(void) unlinkat(dirfd, tmp, 0);
		return 0;
	}
	if (r == 0 && renameat(dirfd, tmp, dirfd, path) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return error_errno(err, -r, "write `%s`", path);
	}
	return 0;
}

static int compare_ints(const void *a, const void *b)
{
	return *(const int *) a - *(const int *) b;
}

/*
 * close_range, or one close per fd where it is missing or a seccomp profile
 * older than it refuses it (berth nested in a container: ENOSYS or EPERM).
 */
static int close_fd_range(unsigned int from, unsigned int to)
{
	if (syscall(SYS_close_range, from, to, 0) == 0)
		return 0;
	if (errno != ENOSYS && errno != EPERM)
		return -errno;
	struct rlimit rl;
	unsigned int top = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (1U << 20) ? (unsigned int) rl.rlim_cur
											 : 1U << 20;
	for (unsigned int fd = from; fd <= to && fd < top; fd++)
		(void) close((int) fd);
	return 0;
}

int close_fds_from(int first, const int *keep, size_t n_keep)
{
	int sorted[16];
	if (n_keep > ARRAY_SIZE(sorted))
		return -E2BIG;
	memcpy(sorted, keep, n_keep * sizeof(int));
	qsort(sorted, n_keep, sizeof(int), compare_ints);
	unsigned int from = (unsigned int) first;
	for (size_t i = 0; i < n_keep; i++) {
		if (sorted[i] < first)
			continue;
		int r = (unsigned int) sorted[i] > from ? close_fd_range(from, (unsigned int) sorted[i] - 1) : 0;
		if (r < 0)
			return r;
		from = (unsigned int) sorted[i] + 1;
	}
	return close_fd_range(from, ~0U);
}

int copy_attributes(int srcfd, int dstfd)
{
	struct stat st;
	if (fstat(srcfd, &st) < 0)
		return -errno;
	if (fchown(dstfd, st.st_uid, st.st_gid) < 0 || fchmod(dstfd, st.st_mode & 07777) < 0)
		return -errno;
	struct timespec times[2] = { st.st_atim, st.st_mtim };
	return futimens(dstfd, times) < 0 ? -errno : 0;
}

static int copy_file_data(int in, int out)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP && errno != ENOSYS)
			return -errno;
		break;
	}
	char buf[16384];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		int r = write_all(out, buf, (size_t) n);
		if (r < 0)
			return r;
	}
}

static int copy_entry(int srcdir, int dstdir, const char *name, const struct stat *st, char ret_name[256], int depth);

static int copy_tree_depth(int srcdir, int dstdir, char ret_name[256], int depth)
{
	if (depth > 64)
		return -ELOOP;
	int dupfd = openat(srcdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dupfd < 0)
		return -errno;
	_cleanup_closedir_ DIR *d = fdopendir(dupfd);
	if (!d) {
		close(dupfd);
		return -errno;
	}
	struct dirent *e;
	while ((errno = 0, e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(srcdir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		int r = copy_entry(srcdir, dstdir, e->d_name, &st, ret_name, depth);
		if (r < 0) {
			if (ret_name && !ret_name[0])
				snprintf(ret_name, 256, "%s", e->d_name);
			return r;
		}
	}
	return errno ? -errno : 0;
}

static int copy_entry(int srcdir, int dstdir, const char *name, const struct stat *st, char ret_name[256], int depth)
{
	_cleanup_close_ int in = -1, out = -1;
	int r;
	switch (st->st_mode & S_IFMT) {
	case S_IFDIR:
		if (mkdirat(dstdir, name, 0700) < 0)
			return -errno;
		in = openat(srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		out = openat(dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0 || out < 0)
			return -errno;
		r = copy_tree_depth(in, out, ret_name, depth + 1);
		return r < 0 ? r : copy_attributes(in, out);
	case S_IFREG:
		in = openat(srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		out = openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (in < 0 || out < 0)
			return -errno;
		r = copy_file_data(in, out);
		return r < 0 ? r : copy_attributes(in, out);
	case S_IFLNK: {
		char target[PATH_MAX];
		ssize_t n = readlinkat(srcdir, name, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		if (symlinkat(target, dstdir, name) < 0 ||
		    fchownat(dstdir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		break;
	}
	default:
		if (mknodat(dstdir, name, st->st_mode, st->st_rdev) < 0 ||
		    fchownat(dstdir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(dstdir, name, st->st_mode & 07777, 0) < 0)
			return -errno;
		break;
	}
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	return utimensat(dstdir, name, times, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

int copy_tree(int srcdir, int dstdir, char ret_name[256])
{
	if (ret_name)
		ret_name[0] = '\0';
	return copy_tree_depth(srcdir, dstdir, ret_name, 0);
}

int open_proc_file(int dirfd, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t) (flags | O_CLOEXEC | O_NOFOLLOW),
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	int fd = (int) syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	if (fd < 0 && (errno == ENOSYS || errno == EPERM)) /* EPERM: a seccomp profile older than openat2 */
		fd = openat(dirfd, path, flags | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	/* Also after the fallback, which cannot refuse a crossed mount: the file itself must be procfs. */
	struct statfs sf;
	if (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) {
		close(fd);
		return -EXDEV;
	}
	return fd;
}

int memfd_with(const char *name, const char *data, size_t len)
{
	_cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	int r = write_all(fd, data, len);
	if (r < 0)
		return r;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return -errno;
	return TAKE_FD(fd);
}
