#include "runtime/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "namespaces/namespaces.h"
#include "runtime/child.h"
#include "runtime/clone.h"
#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/process.h"
#include "runtime/seccomp.h"
#include "runtime/state_store.h"
#include "runtime/sync.h"
#include "util/fs.h"
#include "util/proc.h"

int container_config(const char *root, const char *id, struct oci_config **ret, berth_error **err)
{
	struct container c;
	int r = container_open(root, id, false, &c, err);
	if (r < 0)
		return r;
	r = container_load_config(&c, ret, err);
	container_close(&c);
	return r;
}

struct exec_child {
	const struct exec_options *o;
	const struct seccomp_program *seccomp; /* the container's filter applies to exec'd processes too */
	int init_pidfd;
	unsigned long join_flags; /* joined by the child: all but pid and time */
	bool user_namespace;
	int sync_fd, parent_sync_fd;
	int state_fds[2];
};

static int exec_setup(const struct exec_child *x, char ***ret_env, char **ret_executable, berth_error **err)
{
	const struct oci_process *p = x->o->process;
	struct sync_msg msg;
	int r = sync_recv(x->sync_fd, &msg, NULL);
	if (r < 0 || msg.type != SYNC_GO)
		return r < 0 ? error_errno(err, -r, "wait for berth") : error_new(err, EPROTO, "unexpected message");
	r = process_apply_oom_score_adj(p, err);
	if (r < 0)
		return r;
	/* One setns on the init's pidfd joins them all, the user namespace first (Linux >= 5.8). */
	if (x->join_flags && setns(x->init_pidfd, (int) x->join_flags) < 0)
		return error_errno(err, errno, "join the container's namespaces");
	/* CVE-2024-21626: berth's fds (the cgroup directory, the log, ...) close before any cwd is taken. */
	int keep[] = { x->sync_fd };
	r = close_fds_from(3 + x->o->preserve_fds, keep, ARRAY_SIZE(keep));
	if (r < 0)
		return error_errno(err, -r, "close berth's fds");
	if (x->user_namespace && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return error_errno(err, errno, "become root in the container's user namespace");
	if (p->terminal) {
		int master = -1;
		r = console_setup(p->console_size, false, p->user ? (uid_t) p->user->uid.value : 0, &master, err);
		if (r < 0)
			return r;
		r = child_send_pty(x->sync_fd, master, err);
		if (r < 0)
			return r;
	} else if (setsid() < 0) {
		/* A session of its own, as runc's exec gives: never the caller's (which berth's fork belongs to). */
		return error_errno(err, errno, "setsid");
	}
	r = process_apply_limits(p, NULL, err);
	if (r < 0)
		return r;
	/* setns(CLONE_NEWNS) put us at the container's root: cwd resolves inside it (CVE-2024-21626). */
	r = child_enter_process(p, false, p->env.items, ret_env, ret_executable, err);
	if (r < 0)
		return r;
	/* Only stdio and the preserved fds reach the program: all else is close-on-exec before any filter. */
	r = child_prepare_fds(x->o->preserve_fds, x->sync_fd, err);
	if (r < 0)
		return r;
	if (x->seccomp && !p->no_new_privileges && (r = child_load_seccomp(x->sync_fd, x->seccomp, err)) < 0)
		return r;
	/* No inheritable capability that was not asked for (CVE-2022-29162): the sets start empty. */
	r = process_apply_credentials(p, x->user_namespace, err);
	if (r < 0)
		return r;
	return x->seccomp && p->no_new_privileges ? child_load_seccomp(x->sync_fd, x->seccomp, err) : 0;
}

__attribute__((noreturn)) static void exec_child_main(const struct exec_child *x)
{
	_cleanup_error_ berth_error *err = NULL;
	char *executable = NULL;
	char **env = NULL;

	int theirs[] = { x->parent_sync_fd, x->state_fds[0], x->state_fds[1] };
	child_prologue(theirs, ARRAY_SIZE(theirs), false);
	if (exec_setup(x, &env, &executable, &err) < 0) {
		sync_send_error(x->sync_fd, err);
		_exit(1);
	}
	child_setup_done();
	/* The sync socket is close-on-exec: berth reads EOF once the program runs. */
	execve(executable, x->o->process->args.items, env);
	berth_error *exec_err = NULL;
	error_errno(&exec_err, errno, "exec \"%s\"", executable);
	sync_send_error(x->sync_fd, exec_err);
	_exit(127);
}

/* The container's cgroups (or its --cgroup sub-cgroup in each hierarchy). */
static int exec_cgroups(const struct container *c, const char *sub, struct cgroup_set *ret, berth_error **err)
{
	struct cgroup_set set;
	int r = cgroup_set_from_maps(&c->state->cgroup_paths, &c->state->cgroup_created, &set);
	if (r < 0)
		return error_errno(err, -r, "exec: the container's cgroups");
	if (sub) {
		if (strstr(sub, "..")) {
			cgroup_set_clear(&set);
			return error_new(err, EINVAL, "--cgroup: \"%s\" must stay inside the container's cgroup", sub);
		}
		for (size_t i = 0; i < set.len; i++) {
			char *joined = NULL;
			if (asprintf(&joined, "%s/%s", set.dirs[i].path, sub) < 0) {
				cgroup_set_clear(&set);
				return error_errno(err, ENOMEM, "--cgroup");
			}
			free(set.dirs[i].path);
			set.dirs[i].path = joined;
		}
	}
	*ret = set;
	return 0;
}

int container_exec(const struct exec_options *o, struct exec_result *ret, berth_error **err)
{
	struct container c;
	struct cgroup_set cgroups = { 0 };
	_cleanup_config_ struct oci_config *config = NULL;
	_cleanup_close_ int init_pidfd = -1, pidfd = -1, cgroup_fd = -1;
	struct seccomp_program seccomp = { 0 };
	int sv[2] = { -1, -1 };
	int r;

	*ret = (struct exec_result){ .pid = -1, .pidfd = -1, .pty_master = -1 };
	r = container_open(o->root, o->id, false, &c, err);
	if (r < 0)
		return r;
	enum oci_status status = container_status(&c);
	if (status == OCI_STATUS_STOPPED || status == OCI_STATUS_CREATING) {
		r = error_new(err, EINVAL, "cannot exec in a %s container", oci_status_names[status]);
		goto out;
	}
	if (status == OCI_STATUS_PAUSED && !o->ignore_paused) {
		r = error_new(err, EINVAL, "cannot exec in a paused container (--ignore-paused to do it anyway)");
		goto out;
	}
	r = container_load_config(&c, &config, err);
	if (r < 0)
		goto out;
	init_pidfd = container_init_pidfd(&c);
	if (init_pidfd < 0) {
		r = error_new(err, ESRCH, "cannot exec in \"%s\": container not running", o->id);
		goto out;
	}
	struct exec_child x = { .o = o, .init_pidfd = init_pidfd, .state_fds = { c.dirfd, c.rootfd } };
	const struct oci_linux *l = config->linux_config;
	unsigned long pid_time = 0;
	for (size_t i = 0; l && i < l->namespaces.len; i++) {
		unsigned long flag = namespace_clone_flag(l->namespaces.items[i].type);
		if (flag == CLONE_NEWPID || flag == CLONE_NEWTIME)
			pid_time |= flag;
		else
			x.join_flags |= flag;
		x.user_namespace |= flag == CLONE_NEWUSER;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = error_errno(err, errno, "exec: create the sync socket");
		goto out;
	}
	/* The child's end stays above the fds the program inherits (3 .. 3+preserve-1). */
	if (sv[1] < 3 + o->preserve_fds) {
		int moved = fcntl(sv[1], F_DUPFD_CLOEXEC, 3 + o->preserve_fds);
		if (moved < 0) {
			r = error_errno(err, errno, "exec: move the sync socket");
			goto out;
		}
		close(sv[1]);
		sv[1] = moved;
	}
	x.sync_fd = sv[1];
	x.parent_sync_fd = sv[0];
	if (config->linux_config && config->linux_config->seccomp) {
		r = seccomp_program_get(config->linux_config->seccomp, c.rootfd, &seccomp, err);
		if (r < 0)
			goto out;
		x.seccomp = &seccomp;
	}
	r = exec_cgroups(&c, o->cgroup, &cgroups, err);
	if (r < 0)
		goto out;
	/* On cgroup v2 the process is born in its cgroup (clone3 CLONE_INTO_CGROUP). */
	cgroup_fd = cgroup_set_open_v2(&cgroups);
	/*
	 * pid and time namespaces apply to children: join them here, so the process
	 * is born inside. Without root, only a member of the container's user
	 * namespace may: berth joins it too, for good (nothing it does after needs
	 * more than the caller's own uid), and the child is in it already.
	 */
	if (pid_time && x.user_namespace && geteuid() != 0) {
		pid_time |= CLONE_NEWUSER;
		x.join_flags &= ~(unsigned long) CLONE_NEWUSER;
	}
	struct children_namespaces saved = { -1, -1 };
	if (pid_time && (r = namespace_children_save(&saved, err)) < 0)
		goto out;
	if (pid_time && setns(init_pidfd, (int) pid_time) < 0) {
		namespace_children_restore(&saved);
		r = error_errno(err, errno, "exec: join the container's pid namespace");
		goto out;
	}
	bool born_in_cgroup = false;
	pid_t pid = clone_into(0, cgroup_fd, &pidfd, &born_in_cgroup);
	int clone_errno = errno;
	if (pid == 0)
		exec_child_main(&x);
	namespace_children_restore(&saved);
	if (pid < 0) {
		r = error_errno(err, clone_errno, "exec: clone");
		goto out;
	}
	close(sv[1]);
	sv[1] = -1;
	fault_point("exec:cloned");
	r = cgroup_set_enter(&cgroups, pid, born_in_cgroup, err);
	if (r == 0 && sync_send(sv[0], SYNC_GO, 0, NULL, -1) < 0)
		r = error_errno(err, EPIPE, "exec: the process exited early");
	while (r == 0) {
		struct sync_msg msg;
		int fd = -1;
		int got = sync_recv(sv[0], &msg, &fd);
		if (got == -EPIPE)
			break; /* the socket closed on exec: the program runs */
		if (got < 0)
			r = error_errno(err, -got, "exec");
		else if (msg.type == SYNC_ERROR)
			r = error_new(err, msg.code > 0 ? msg.code : EIO, "%s", msg.text);
		else if (msg.type == SYNC_SECCOMP && fd >= 0) {
			_cleanup_free_ char *state_json = NULL;
			r = container_state_json(&c, OCI_STATUS_RUNNING, &state_json, err);
			if (r == 0)
				r = seccomp_send_listener(config->linux_config->seccomp, fd, state_json, pid, err);
			close(fd);
			r = r < 0 ? r : sync_ack(sv[0], err);
		} else if (msg.type == SYNC_PTY && fd >= 0) {
			if (o->console_socket) {
				r = console_send(o->console_socket, fd, err);
				close(fd);
			} else
				ret->pty_master = fd;
			r = r < 0 ? r : sync_ack(sv[0], err);
		} else {
			if (fd >= 0)
				close(fd);
			r = error_new(err, EPROTO, "exec: unexpected message %u", msg.type);
		}
	}
	if (r == 0 && o->pid_file)
		r = pid_file_write(o->pid_file, pid, err);
	if (r < 0) {
		pidfd_send(pidfd, SIGKILL);
		siginfo_t info;
		(void) waitid(P_PIDFD, (id_t) pidfd, &info, WEXITED);
		if (ret->pty_master >= 0) {
			close(ret->pty_master);
			ret->pty_master = -1;
		}
		goto out;
	}
	ret->pid = pid;
	ret->pidfd = TAKE_FD(pidfd);
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	cgroup_set_clear(&cgroups);
	seccomp_program_clear(&seccomp);
	container_close(&c);
	return r;
}
