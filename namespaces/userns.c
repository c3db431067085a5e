#include "namespaces/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "namespaces/namespaces.h"
#include "util/fs.h"
#include "util/proc.h"

extern char **environ;

static int format_mappings(const oci_id_mappings *m, char *buf, size_t size)
{
	size_t len = 0;
	for (size_t i = 0; i < m->len && len < size; i++)
		len += (size_t) snprintf(buf + len, size - len, "%llu %llu %llu\n",
					 (unsigned long long) m->items[i].container_id.value,
					 (unsigned long long) m->items[i].host_id.value, (unsigned long long) m->items[i].size.value);
	return len < size ? (int) len : -E2BIG;
}

/* What the kernel lets an unprivileged caller write itself: its own id, once, and nothing else. */
static bool maps_only_self(const oci_id_mappings *m, unsigned long long self)
{
	return m->len == 1 && m->items[0].size.value == 1 && m->items[0].host_id.value == self;
}

/* Run newuidmap/newgidmap PID C H S ...; its complaint (first stderr line) becomes the error. */
static int run_id_helper(const char *helper, pid_t pid, const oci_id_mappings *m, const char *what,
			 berth_error **err)
{
	char args[5 * 3][24], pidstr[16];
	char *argv[2 + 5 * 3 + 1];
	size_t n = 0;
	if (m->len > 5)
		return error_new(err, E2BIG, "%s: at most 5 ranges (the kernel's limit)", what);
	snprintf(pidstr, sizeof(pidstr), "%d", (int) pid);
	argv[n++] = (char *) helper;
	argv[n++] = pidstr;
	for (size_t i = 0; i < m->len; i++) {
		snprintf(args[3 * i], 24, "%llu", (unsigned long long) m->items[i].container_id.value);
		snprintf(args[3 * i + 1], 24, "%llu", (unsigned long long) m->items[i].host_id.value);
		snprintf(args[3 * i + 2], 24, "%llu", (unsigned long long) m->items[i].size.value);
		for (int k = 0; k < 3; k++)
			argv[n++] = args[3 * i + (size_t) k];
	}
	argv[n] = NULL;

	int out[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return error_errno(err, errno, "%s: run %s", what, helper);
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 2);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	pid_t child;
	int r = posix_spawnp(&child, helper, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(out[1]);
	_cleanup_close_ int out_fd = out[0];
	if (r != 0)
		return error_errno(err, r, "%s: run %s%s", what, helper,
				   r == ENOENT ? " (a multi-range mapping without root needs the uidmap package)" : "");
	char msg[256];
	size_t len = 0;
	ssize_t k;
	while ((k = read(out_fd, msg + len, sizeof(msg) - 1 - len)) > 0 || (k < 0 && errno == EINTR))
		if (k > 0)
			len += (size_t) k;
	msg[len] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	int status = 0;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return error_new(err, EPERM, "%s: %s refused the mapping: %s", what, helper,
			 msg[0] ? msg : "no reason given (check /etc/subuid and /etc/subgid)");
}

int userns_write_mappings(pid_t pid, const oci_id_mappings *uid, const oci_id_mappings *gid, const char *where,
			  berth_error **err)
{
	char what[64], buf[4096];
	bool root = geteuid() == 0;
	int n, r;

	snprintf(what, sizeof(what), "%s.uidMappings", where);
	if (root || maps_only_self(uid, geteuid())) {
		n = format_mappings(uid, buf, sizeof(buf));
		if (n < 0)
			return error_new(err, E2BIG, "%s: too many mappings", what);
		r = namespace_proc_write(pid, "uid_map", buf, (size_t) n, err);
		if (r < 0)
			return error_prefix(err, "%s", what);
	} else if ((r = run_id_helper("newuidmap", pid, uid, what, err)) < 0)
		return r;

	snprintf(what, sizeof(what), "%s.gidMappings", where);
	if (root || maps_only_self(gid, getegid())) {
		/* Without CAP_SETGID over the parent namespace, the kernel wants setgroups denied first. */
		if (!root && (r = namespace_proc_write(pid, "setgroups", "deny", 4, err)) < 0)
			return error_prefix(err, "%s", what);
		n = format_mappings(gid, buf, sizeof(buf));
		if (n < 0)
			return error_new(err, E2BIG, "%s: too many mappings", what);
		r = namespace_proc_write(pid, "gid_map", buf, (size_t) n, err);
		return r < 0 ? error_prefix(err, "%s", what) : 0;
	}
	return run_id_helper("newgidmap", pid, gid, what, err);
}

int userns_open_mapped(const oci_id_mappings *uid, const oci_id_mappings *gid, const char *where, berth_error **err)
{
	/* A child that only holds the new namespace until its mappings are written and it is opened. */
	pid_t pid = proc_hold(CLONE_NEWUSER);
	if (pid < 0)
		return error_errno(err, -pid, "%s: create a user namespace for the mapping", where);
	int fd = -1;
	int r = userns_write_mappings(pid, uid, gid, where, err);
	if (r == 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int) pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			r = error_errno(err, errno, "%s: open %s", where, path);
	}
	proc_release(pid);
	return r < 0 ? r : fd;
}
