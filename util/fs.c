#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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
		if ((unsigned int) sorted[i] > from && syscall(SYS_close_range, from, (unsigned int) sorted[i] - 1, 0) < 0)
			return -errno;
		from = (unsigned int) sorted[i] + 1;
	}
	return syscall(SYS_close_range, from, ~0U, 0) < 0 ? -errno : 0;
}
