/* Process helpers: identity of a pid across reuse, pidfds, signal names, timestamps. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* Start time of pid (clock ticks since boot, /proc/<pid>/stat field 22) and its state letter. */
int proc_start_time(pid_t pid, uint64_t *ret_start_time, char *ret_state);

/* Whether pid is still the process that had start_time, and not a zombie. */
bool proc_is_alive(pid_t pid, uint64_t start_time);

int pidfd_open_pid(pid_t pid);

/*
 * A child that only waits (and dies with its parent): something for the kernel
 * to hang state on, e.g. a user namespace to map (clone_flags CLONE_NEWUSER)
 * or a systemd scope to create. Returns its pid or -errno; proc_release kills and reaps it.
 */
pid_t proc_hold(unsigned long clone_flags);
void proc_release(pid_t pid);

/*
 * The processes sharing init's pid namespace when it is not the caller's (a
 * container without cgroups), else just init. Returns 0 or -errno; *ret_pids is malloc'd.
 */
int proc_pid_namespace_members(pid_t init, pid_t **ret_pids, size_t *ret_len);
int pidfd_send(int pidfd, int sig);

/* "KILL", "SIGKILL", "9" -> 9; returns -EINVAL for anything else. */
int signal_parse(const char *name);

/* --pid-file: the decimal pid, no newline (runc's format), written atomically (tmp + rename). */
int pid_file_write(const char *path, pid_t pid, berth_error **err);

/* Seconds since the epoch as a UTC calendar date (month and day from 1), without touching time zones. */
struct time_utc {
	int64_t year;
	int month, day, hour, minute, second;
};
void time_utc(int64_t t, struct time_utc *ret);

/*
 * Current time as RFC 3339 in UTC: with nanoseconds as runc's state shows
 * ("...T04:58:40.610654402Z"), or to the second as logrus' JSON logs do.
 */
void time_rfc3339(char *buf, size_t size, bool nanoseconds);

/*
 * Fault injection for the reliability tests: with BERTH_FAULT=<name> in the
 * environment, berth kills itself (SIGKILL) when it reaches that point, as an
 * OOM kill or a caller's timeout would.
 */
void fault_point(const char *name);
