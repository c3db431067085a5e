#include "runtime/child.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <string.h>
#include <unistd.h>

#include "namespaces/rootfs_path.h"
#include "runtime/process.h"
#include "runtime/seccomp.h"
#include "runtime/sync.h"

void child_become_undumpable(void)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void child_prologue(const int *close_fds, size_t n_close, bool stay_dumpable)
{
	for (size_t i = 0; i < n_close; i++)
		if (close_fds[i] >= 0)
			close(close_fds[i]);
	/* berth ignores SIGPIPE and run blocks what it forwards: none of that reaches the container. */
	signal(SIGPIPE, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (!stay_dumpable)
		child_become_undumpable();
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

void child_setup_done(void)
{
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
}

int child_prepare_fds(int preserve_fds, int keep_fd, berth_error **err)
{
	unsigned int first_closed = 3 + (unsigned int) preserve_fds;
	if (syscall(SYS_close_range, first_closed, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		/* Without it (old kernels, a seccomp profile older than it): fd by fd. */
		if (errno != ENOSYS && errno != EPERM && errno != EINVAL)
			return error_errno(err, errno, "mark berth's fds close-on-exec");
		struct rlimit rl;
		int top = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (1U << 20) ? (int) rl.rlim_cur : 1 << 20;
		for (int fd = (int) first_closed; fd < top; fd++) {
			int flags = fcntl(fd, F_GETFD);
			if (flags >= 0 && !(flags & FD_CLOEXEC))
				fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
		}
	}
	for (int fd = 3; fd < (int) first_closed; fd++) {
		int flags = fcntl(fd, F_GETFD);
		if (flags >= 0 && fd != keep_fd)
			fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
	}
	return 0;
}

/* runc creates a missing cwd (0755, inside the container's root, which is "/" by now): through fds, as everything in a rootfs. */
static int make_cwd(const char *cwd)
{
	int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	int fd = rootfs_mkdir_open(rootfd, cwd, false);
	close(rootfd);
	if (fd < 0)
		return fd;
	close(fd);
	/* Closed first: the name must lead there by itself, not through an fd of ours (/proc/self/fd/N). */
	return chdir(cwd) < 0 ? -errno : 0;
}

int child_enter_process(const struct oci_process *p, bool create_cwd, char *const *env, char ***ret_env,
			char **ret_executable, berth_error **err)
{
	char cwd[PATH_MAX];
	if (chdir(p->cwd) < 0) {
		int r = -errno;
		if (r == -ENOENT && create_cwd) {
			int made = make_cwd(p->cwd);
			if (made < 0)
				return error_new(err, ENOENT, "process.cwd: chdir to \"%s\": %s (creating it: %s)", p->cwd,
						 strerror(ENOENT), strerror(-made));
			r = 0;
		}
		if (r < 0)
			return error_errno(err, -r, "process.cwd: chdir to \"%s\"", p->cwd);
	}
	/* getcwd says "(unreachable)" (ENOENT) for a directory outside the container's root. */
	if (!getcwd(cwd, sizeof(cwd)) || cwd[0] != '/')
		return error_errno(err, errno ? errno : ENOENT, "process.cwd: \"%s\" is outside the container", p->cwd);
	/* Read as root, before the user switch, from the container's own /etc/passwd (runc does the same). */
	*ret_env = process_env_with_home(env, p->user ? (uid_t) p->user->uid.value : 0);
	if (!*ret_env)
		return error_errno(err, ENOMEM, "process.env");
	int r = process_find_executable(p, ret_executable, err);
	if (r == 0)
		r = process_apply_labels(p, err);
	if (r == 0 && p->exec_cpu_affinity && p->exec_cpu_affinity->final)
		r = process_apply_cpu_affinity(p->exec_cpu_affinity->final, "final", err);
	return r;
}

int child_send_pty(int sync_fd, int master, berth_error **err)
{
	int r = sync_send(sync_fd, SYNC_PTY, 0, NULL, master);
	close(master);
	if (r < 0)
		return error_errno(err, -r, "send the pty to berth");
	return sync_expect(sync_fd, SYNC_ACK, NULL, err);
}

int child_load_seccomp(int sync_fd, const struct seccomp_program *seccomp, berth_error **err)
{
	int notify_fd = -1;
	int r = seccomp_program_load(seccomp, &notify_fd, err);
	if (r < 0 || notify_fd < 0)
		return r;
	r = sync_send(sync_fd, SYNC_SECCOMP, 0, NULL, notify_fd);
	close(notify_fd);
	if (r < 0)
		return error_errno(err, -r, "send the seccomp notify fd to berth");
	return sync_expect(sync_fd, SYNC_ACK, NULL, err);
}
