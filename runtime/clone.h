/*
 * How berth makes its children: clone3 with a pidfd, born straight into the
 * container's cgroup2 directory (CLONE_INTO_CGROUP) where the kernel allows.
 * The container's init may also share berth's memory (CLONE_VM, on a stack of
 * its own), which spares copying berth's page tables and refaulting them in
 * both processes: see runtime/container.c for the rules that make it safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* fork-like: the child returns 0 on a copy of berth's memory. *ret_born_in_cgroup says whether CLONE_INTO_CGROUP worked. */
pid_t clone_into(unsigned long flags, int cgroup_fd, int *ret_pidfd, bool *ret_born_in_cgroup);

/* A stack for a child that shares berth's memory; the lowest page is a guard. */
struct child_stack {
	void *base;
	size_t size;
};

/* Whether this build can run a child on its own stack in berth's memory (clone_shared). */
bool clone_shared_supported(void);

int child_stack_new(struct child_stack *ret);
void child_stack_free(struct child_stack *s);

/*
 * Like clone_into, but the child shares berth's memory and runs fn(arg) on
 * stack; fn must not return (it execs or _exits). Returns the pid, or -1 with errno.
 */
pid_t clone_shared(unsigned long flags, int cgroup_fd, const struct child_stack *stack, void (*fn)(void *), void *arg,
		   int *ret_pidfd, bool *ret_born_in_cgroup);

/*
 * Like clone_into, but the child is cloned by a helper that first runs
 * prepare(arg) (joining namespaces, unsharing the pid namespace for its
 * children) and exits: the child is still berth's own (CLONE_PARENT) and its
 * pidfd is in berth's fd table (the helper shares it), while what the helper
 * joined, berth never did. The child returns 0 on a copy of the helper's memory.
 * On failure -1 with errno; prepare's words, if it failed, are in msg.
 */
pid_t clone_after(int (*prepare)(void *arg, char *msg, size_t len), void *arg, unsigned long flags, int cgroup_fd,
		  int *ret_pidfd, bool *ret_born_in_cgroup, char *msg, size_t len);
