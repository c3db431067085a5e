/* File helpers: whole-file reads and writes relative to a directory fd. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Read all of dirfd/path (dirfd may be AT_FDCWD) into a NUL-terminated buffer. */
int read_file_at(int dirfd, const char *path, char **ret_data, size_t *ret_len, berth_error **err);

/* Read all of an open fd (e.g. stdin) into a NUL-terminated buffer. */
int read_fd_all(int fd, const char *label, char **ret_data, size_t *ret_len, berth_error **err);

/* A sealed, close-on-exec memfd holding data (a hook's stdin): returns the fd or -errno. */
int memfd_with(const char *name, const char *data, size_t len);

/* Create dirfd/path exclusively (fails if it exists) with the given content. */
int write_file_exclusive_at(int dirfd, const char *path, mode_t mode, const char *data, size_t len,
			    berth_error **err);

/* Replace dirfd/path atomically: write a temporary file, fsync-free rename over. */
int write_file_atomic_at(int dirfd, const char *path, mode_t mode, const char *data, size_t len,
			 berth_error **err);

/*
 * Close every fd from `first` up, except those in keep (CVE-2024-21626: an fd
 * merely marked close-on-exec can still be a way out through /proc/self/fd).
 */
int close_fds_from(int first, const int *keep, size_t n_keep);

/* write(2) all of data, retrying on EINTR and short writes; returns 0 or -errno. */
int write_all(int fd, const void *data, size_t len);

/*
 * Copy the contents of directory srcdir into directory dstdir, keeping modes,
 * owners and times; never follows a symlink (tmpcopyup). Returns 0 or -errno,
 * with the failing entry's name in ret_name (may be NULL).
 */
int copy_tree(int srcdir, int dstdir, char ret_name[256]);

/* Give dstdir the mode, owner and times of srcdir. */
int copy_attributes(int srcfd, int dstfd);

/*
 * Open dirfd/path (beneath dirfd) for writing only if it is a procfs file:
 * no symlink, no other mount on the way (a bind over /proc/sys/... would
 * redirect the write, CVE-2025-52881). -EXDEV: something else is mounted there.
 */
int open_proc_file(int dirfd, const char *path, int flags);
