/* linux.seccomp (config-linux.md#seccomp) compiled with libseccomp and loaded last before execve. */
#pragma once

#include "oci/config.h"
#include "util/error.h"

/*
 * Build and load the filter into the calling process. With an SCMP_ACT_NOTIFY
 * rule, *ret_notify_fd gets the listener fd (else -1). Unknown syscall names
 * are skipped, as runc does; what cannot be honoured is refused with the field.
 */
int seccomp_load_config(const struct oci_seccomp *s, int *ret_notify_fd, berth_error **err);

/* Send the notify fd and the container process state to listenerPath (runtime-spec seccomp listener). */
int seccomp_send_listener(const struct oci_seccomp *s, int notify_fd, const char *state_json, int pid,
			  berth_error **err);

/* The names berth can honour, for features: NULL-terminated. */
extern const char *const seccomp_supported_archs[];
extern const char *const seccomp_supported_flags[];
