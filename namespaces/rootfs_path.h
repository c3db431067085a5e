/*
 * Every path inside the container's rootfs is resolved relative to an fd of
 * the rootfs, never as a host path string: a symlink in the image (absolute
 * or full of "..") is followed as if the rootfs were "/", so nothing berth
 * creates, mounts over or writes can land outside it.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/* Open path inside the rootfs with flags (O_PATH, O_DIRECTORY, ...). Returns an fd or -errno. */
int rootfs_open(int rootfd, const char *path, int flags);

/* Whether path's last component, inside the rootfs, is a symlink (not followed). */
bool rootfs_is_symlink(int rootfd, const char *path);

/*
 * Open path inside the rootfs, creating what is missing: directories along the
 * way (0755), and the last component as a directory, or as an empty file when
 * as_file is set (bind mounts of files). Returns an O_PATH fd or -errno.
 */
int rootfs_mkdir_open(int rootfd, const char *path, bool as_file);

/* Tests force the fallback resolver (no openat2) with this. */
void rootfs_path_force_fallback(bool force);

/* "/proc/self/fd/<fd>", for syscalls that want a path (mount targets). */
#define FD_PATH_SIZE 32
void fd_path(int fd, char buf[FD_PATH_SIZE]);
