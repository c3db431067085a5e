/* linux.seccomp (config-linux.md#seccomp) compiled with libseccomp and loaded last before execve. */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

#include "oci/config.h"
#include "util/error.h"

/* A compiled filter: what the seccomp() syscall takes. */
struct seccomp_program {
	struct sock_filter *insns; /* malloc'd */
	size_t len;
	unsigned int flags;        /* SECCOMP_FILTER_FLAG_TSYNC, _LOG, _SPEC_ALLOW */
	bool notify;               /* an SCMP_ACT_NOTIFY rule: load with a listener */
};

/*
 * Compile the profile with libseccomp (runc's ENOSYS stub in front). Unknown
 * syscall names are skipped, as runc does; what cannot be honoured is refused
 * with the field.
 */
int seccomp_compile(const struct oci_seccomp *s, struct seccomp_program *ret, berth_error **err);

/*
 * seccomp_compile through a cache in the state root (rootfd; -1: none):
 * libseccomp takes ~20 ms on a profile of Docker's size, loading a program a
 * few hundred microseconds. Entries are keyed by the profile itself.
 */
int seccomp_program_get(const struct oci_seccomp *s, int rootfd, struct seccomp_program *ret, berth_error **err);

/* Load into the calling process; with notify, *ret_notify_fd gets the listener fd (else -1). */
int seccomp_program_load(const struct seccomp_program *p, int *ret_notify_fd, berth_error **err);
void seccomp_program_clear(struct seccomp_program *p);

/* Send the notify fd and the container process state to listenerPath (runtime-spec seccomp listener). */
int seccomp_send_listener(const struct oci_seccomp *s, int notify_fd, const char *state_json, int pid,
			  berth_error **err);

/* The names berth can honour, for features: NULL-terminated. */
extern const char *const seccomp_supported_archs[];
extern const char *const seccomp_supported_flags[];
