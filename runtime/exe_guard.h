/* CVE-2019-5736: no process a container can see runs from a host file it could open for writing. */
#pragma once

#include <stdbool.h>

#include "util/error.h"

/*
 * Whether the file behind fd cannot be written through any path a container
 * could hold: a memfd sealed against writes, or a file on a read-only mount
 * (a mount of the host's namespace, out of a container's reach to remount).
 */
bool exe_guard_file_is_protected(int fd);

/*
 * Seal a memfd against every write, resize and further seal: F_SEAL_WRITE
 * (never F_SEAL_FUTURE_WRITE), waiting a bounded time (about 4 s) for
 * transient references to its pages. 0, or a negative errno (EBUSY if a
 * reference outlasts the wait).
 */
int exe_guard_seal(int memfd);

/*
 * Before berth makes any process a container can see (the init, an exec'd
 * child): if the running binary is not protected, copy it into a sealed memfd
 * and execute that with the same argv and environment. Decided from the
 * binary itself, never from an inherited variable. Returns 0 when the binary
 * is protected already; does not return when the re-exec succeeds.
 */
int exe_guard_protect(char *const *argv, berth_error **err);
