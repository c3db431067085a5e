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

#define MAX_DEPTH 256

/* Directories walked so far, as fds; ".." pops one and never climbs above the rootfs. */
struct walk_stack {
	int fds[MAX_DEPTH];
	int len;
};

static void stack_clear(struct walk_stack *st)
{
	while (st->len > 1)
		close(st->fds[--st->len]);
	st->len = 1; /* fds[0] is the caller's rootfd: never closed here */
}

/*
 * The careful resolver: one component at a time with O_NOFOLLOW; a symlink's
 * target is spliced into what is left (an absolute one restarts at the
 * rootfs); ".." pops the stack of directories walked, so no rename race can
 * climb out. With create, missing components are made: directories, and the
 * last one as an empty file when as_file. With nofollow a final symlink is
 * the result itself, as O_NOFOLLOW has it. Returns an O_PATH fd or -errno.
 */
static int walk(int rootfd, const char *path, bool create, bool as_file, bool nofollow)
{
	struct walk_stack st = { .fds = { rootfd }, .len = 1 };
	char *owned = strdup(path), *rest;
	int links = 0, r = 0;

	if (!owned)
		return -ENOMEM;
	rest = owned;
	for (;;) {
		while (*rest == '/')
			rest++;
		if (!*rest)
			break;
		size_t len = strcspn(rest, "/");
		char name[256];
		if (len >= sizeof(name)) {
			r = -ENAMETOOLONG;
			goto out;
		}
		memcpy(name, rest, len);
		name[len] = '\0';
		rest += len;
		bool last = rest[strspn(rest, "/")] == '\0';
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (st.len > 1)
				close(st.fds[--st.len]);
			continue;
		}
		int cur = st.fds[st.len - 1];
		int next = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (last && as_file) {
				int f = openat(cur, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
				if (f >= 0)
					close(f);
			} else
				(void) mkdirat(cur, name, 0755);
			/* Whatever is there now (ours, or raced in) is opened without following and checked below. */
			next = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			r = -errno;
			goto out;
		}
		struct stat sb;
		if (fstat(next, &sb) < 0) {
			r = -errno;
			close(next);
			goto out;
		}
		if (S_ISLNK(sb.st_mode) && !(last && nofollow)) {
			char target[4096];
			ssize_t n = readlinkat(next, "", target, sizeof(target) - 1);
			close(next);
			if (n < 0 || ++links > MAX_SYMLINKS) {
				r = n < 0 ? -errno : -ELOOP;
				goto out;
			}
			target[n] = '\0';
			char *spliced = NULL;
			if (asprintf(&spliced, "%s/%s", target, rest) < 0) {
				r = -ENOMEM;
				goto out;
			}
			free(owned);
			owned = rest = spliced;
			if (target[0] == '/')
				stack_clear(&st);
			continue;
		}
		if (!last && !S_ISDIR(sb.st_mode)) {
			close(next);
			r = -ENOTDIR;
			goto out;
		}
		if (st.len == MAX_DEPTH) {
			close(next);
			r = -ENAMETOOLONG;
			goto out;
		}
		st.fds[st.len++] = next;
	}
	/* The result is the top of the stack (or a fresh O_PATH of the rootfs itself). */
	r = st.len > 1 ? st.fds[--st.len] : fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (r < 0)
		r = -errno;
out:
	stack_clear(&st);
	free(owned);
	return r;
}

static int open_fallback(int rootfd, const char *path, int flags)
{
	int fd = walk(rootfd, path, false, false, (flags & O_NOFOLLOW) != 0);
	if (fd < 0 || (flags & ~O_NOFOLLOW) == O_PATH)
		return fd;
	/* Reopen what was found with the caller's flags through its own fd, not its path. */
	char p[FD_PATH_SIZE];
	fd_path(fd, p);
	int reopened = open(p, (flags & ~O_NOFOLLOW) | O_CLOEXEC);
	int r = reopened < 0 ? -errno : reopened;
	close(fd);
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
		/* ENOSYS, or EPERM from a seccomp profile older than openat2 (berth nested in a container). */
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		openat2_missing = true;
	}
	return open_fallback(rootfd, path, flags);
}

bool rootfs_is_symlink(int rootfd, const char *path)
{
	_cleanup_close_ int fd = rootfs_open(rootfd, path, O_PATH | O_NOFOLLOW);
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode);
}

int rootfs_mkdir_open(int rootfd, const char *path, bool as_file)
{
	int fd = rootfs_open(rootfd, path, O_PATH);
	if (fd != -ENOENT)
		return fd;
	/* Something is missing (perhaps behind a dangling symlink): create it, still confined to the rootfs. */
	return walk(rootfd, path, true, as_file, false);
}
