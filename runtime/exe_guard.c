#include "runtime/exe_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

extern char **environ;

bool exe_guard_file_is_protected(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals >= 0 && (seals & F_SEAL_WRITE) && (seals & F_SEAL_SEAL))
		return true;
	struct statvfs sv;
	return fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

/* A sealed, close-on-exec memfd copy of the file behind fd: something to execute that nothing can write. */
static int sealed_copy(int fd, const char *name)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	/* vm.memfd_noexec=1 wants MFD_EXEC said; kernels before 6.3 do not know the flag. */
	_cleanup_close_ int memfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (memfd < 0 && errno == EINVAL)
		memfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (memfd < 0)
		return -errno;
	off_t offset = 0;
	while (offset < st.st_size) {
		ssize_t n = sendfile(memfd, fd, &offset, (size_t) (st.st_size - offset));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
	}
	int r = exe_guard_seal(memfd);
	if (r < 0)
		return r;
	return TAKE_FD(memfd);
}

/* F_SEAL_WRITE, with F_SEAL_EXEC where the kernel has it (6.3). */
static int add_write_seals(int memfd)
{
	if (fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_EXEC) == 0)
		return 0;
	if (errno == EINVAL && fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) == 0)
		return 0;
	return -errno;
}

int exe_guard_seal(int memfd)
{
	/*
	 * The kernel refuses F_SEAL_WRITE (EBUSY) while a page of the file has a
	 * reference besides the page cache's, and waits only ~150 ms for it to go.
	 * Such a reference is transient here (nothing maps the copy): under memory
	 * pressure, reclaim or compaction may hold one a while. A loaded CI machine
	 * saw it once. So wait longer, a bounded time, and never settle for a
	 * weaker seal.
	 */
	int r = add_write_seals(memfd);
	for (int tries = 0; r == -EBUSY && tries < 20; tries++) {
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
		r = add_write_seals(memfd);
	}
	if (r < 0)
		return r;
	return fcntl(memfd, F_ADD_SEALS, F_SEAL_SEAL) < 0 ? -errno : 0;
}

int exe_guard_protect(char *const *argv, berth_error **err)
{
	_cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return error_errno(err, errno, "protect berth's binary: open /proc/self/exe");
	if (exe_guard_file_is_protected(self))
		return 0;
	_cleanup_close_ int copy = sealed_copy(self, "berth");
	if (copy < 0)
		return error_errno(err, -copy,
				   "protect berth's binary: a sealed copy (or install berth on a read-only mount)");
	syscall(SYS_execveat, copy, "", argv, environ, AT_EMPTY_PATH);
	return error_errno(err, errno, "protect berth's binary: execute its sealed copy (or install berth on a read-only mount)");
}
