#include "runtime/clone.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The init's deepest call chains (hooks, path resolution, error text) use a few tens of KiB; only touched pages cost. */
#define CHILD_STACK_SIZE (1024 * 1024)
#define GUARD_SIZE 4096

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
/*
 * clone3 with a new stack: the child cannot return through syscall()'s frame,
 * which is on the parent's stack, so it calls fn right after the syscall
 * instruction. The kernel starts it with the parent's registers (fn and arg
 * in r12/r13) and rsp at the 16-byte aligned top of the new stack.
 */
static long clone3_on_stack(struct clone_args *args, void (*fn)(void *), void *arg)
{
	register void (*r12)(void *) __asm__("r12") = fn;
	register void *r13 __asm__("r13") = arg;
	long ret = SYS_clone3;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r13, %%rdi\n\t"
			 "call *%%r12\n\t"
			 "ud2\n"
			 "1:"
			 : "+a"(ret)
			 : "D"(args), "S"(sizeof(*args)), "r"(r12), "r"(r13)
			 : "rcx", "r11", "memory");
	if (ret < 0) {
		errno = (int) -ret;
		return -1;
	}
	return ret;
}

bool clone_shared_supported(void)
{
	return true;
}
#else
/*
 * Elsewhere (and under AddressSanitizer, which cannot follow a second stack in
 * one address space) the init is forked: clone_shared is not used.
 */
static long clone3_on_stack(struct clone_args *args, void (*fn)(void *), void *arg)
{
	(void) args;
	(void) fn;
	(void) arg;
	errno = ENOSYS;
	return -1;
}

bool clone_shared_supported(void)
{
	return false;
}
#endif

/* fn NULL: the child returns from clone3 as from fork; else it runs fn on args->stack. */
static pid_t clone_call(struct clone_args *args, void (*fn)(void *), void *arg)
{
	return (pid_t) (fn ? clone3_on_stack(args, fn, arg) : syscall(SYS_clone3, args, sizeof(*args)));
}

static pid_t clone_with(struct clone_args *args, int cgroup_fd, void (*fn)(void *), void *arg,
			bool *ret_born_in_cgroup)
{
	if (cgroup_fd >= 0) {
		args->flags |= CLONE_INTO_CGROUP;
		args->cgroup = (uint64_t) cgroup_fd;
	}
	pid_t pid = clone_call(args, fn, arg);
	*ret_born_in_cgroup = pid >= 0 && cgroup_fd >= 0;
	if (pid < 0 && cgroup_fd >= 0) {
		/* A kernel (or a cgroup) that refuses CLONE_INTO_CGROUP: born outside, moved in after. */
		args->flags &= ~(unsigned long long) CLONE_INTO_CGROUP;
		args->cgroup = 0;
		pid = clone_call(args, fn, arg);
	}
	return pid;
}

pid_t clone_into(unsigned long flags, int cgroup_fd, int *ret_pidfd, bool *ret_born_in_cgroup)
{
	struct clone_args args = {
		.flags = flags | CLONE_PIDFD,
		.pidfd = (uint64_t) (uintptr_t) ret_pidfd,
		/* clone3 wants none with CLONE_PARENT: the child then signals as its creator would (SIGCHLD here). */
		.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD,
	};
	return clone_with(&args, cgroup_fd, NULL, NULL, ret_born_in_cgroup);
}

int child_stack_new(struct child_stack *ret)
{
	size_t size = CHILD_STACK_SIZE + GUARD_SIZE;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (mprotect(p, GUARD_SIZE, PROT_NONE) < 0) {
		int r = -errno;
		munmap(p, size);
		return r;
	}
	*ret = (struct child_stack){ p, size };
	return 0;
}

void child_stack_free(struct child_stack *s)
{
	if (s->base)
		munmap(s->base, s->size);
	*s = (struct child_stack){ 0 };
}

pid_t clone_shared(unsigned long flags, int cgroup_fd, const struct child_stack *stack, void (*fn)(void *), void *arg,
		   int *ret_pidfd, bool *ret_born_in_cgroup)
{
	struct clone_args args = {
		.flags = flags | CLONE_VM | CLONE_PIDFD,
		.pidfd = (uint64_t) (uintptr_t) ret_pidfd,
		.exit_signal = SIGCHLD,
		.stack = (uint64_t) (uintptr_t) stack->base + GUARD_SIZE,
		.stack_size = stack->size - GUARD_SIZE,
	};
	return clone_with(&args, cgroup_fd, fn, arg, ret_born_in_cgroup);
}

struct helper_reply {
	pid_t pid;
	int pidfd;
	int error;
	bool born_in_cgroup;
	char msg[240];
};

pid_t clone_after(int (*prepare)(void *arg, char *msg, size_t len), void *arg, unsigned long flags, int cgroup_fd,
		  int *ret_pidfd, bool *ret_born_in_cgroup, char *msg, size_t len)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	/* Its own memory and fs (setns into a user namespace wants both unshared), berth's fd table. */
	struct clone_args args = { .flags = CLONE_FILES, .exit_signal = SIGCHLD };
	pid_t helper = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
	if (helper < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		errno = e;
		return -1;
	}
	if (helper == 0) {
		struct helper_reply rep = { .pid = -1, .pidfd = -1 };
		if (prepare(arg, rep.msg, sizeof(rep.msg)) < 0)
			rep.error = errno ? errno : EINVAL;
		else {
			pid_t pid = clone_into(flags | CLONE_PARENT, cgroup_fd, &rep.pidfd, &rep.born_in_cgroup);
			if (pid == 0)
				return 0;
			rep.pid = pid;
			rep.error = pid < 0 ? errno : 0;
		}
		/* The table is berth's: nothing is closed here, and the reply waits in the pipe for berth. */
		ssize_t n = write(p[1], &rep, sizeof(rep));
		_exit(n == (ssize_t) sizeof(rep) ? 0 : 1);
	}
	/* Reaped first: the write end stays open in the shared table, so a read could wait for ever. */
	int status = 0;
	while (waitpid(helper, &status, __WALL) < 0 && errno == EINTR)
		;
	struct helper_reply rep = { .pid = -1, .pidfd = -1, .error = EPIPE };
	int flags_nb = fcntl(p[0], F_GETFL);
	(void) fcntl(p[0], F_SETFL, flags_nb | O_NONBLOCK);
	if (read(p[0], &rep, sizeof(rep)) != (ssize_t) sizeof(rep))
		rep = (struct helper_reply){ .pid = -1, .pidfd = -1, .error = EPIPE };
	close(p[0]);
	close(p[1]);
	rep.msg[sizeof(rep.msg) - 1] = '\0';
	snprintf(msg, len, "%s", rep.msg);
	if (rep.pid < 0) {
		errno = rep.error;
		return -1;
	}
	*ret_pidfd = rep.pidfd;
	*ret_born_in_cgroup = rep.born_in_cgroup;
	return rep.pid;
}
