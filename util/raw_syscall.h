/*
 * A system call that returns -errno and leaves errno alone. berth makes such
 * calls while a container init that shares its memory runs (runtime/clone.h):
 * both see one errno (the init has berth's thread pointer), so libc's
 * syscall(), which sets errno on failure, could change it under the init.
 */
#pragma once

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline long raw_syscall3(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
#else
	/* No shared-memory init off x86_64 (clone_shared_supported), so errno is berth's alone. */
	long ret = syscall(nr, a, b, c);
	return ret < 0 ? -errno : ret;
#endif
}
