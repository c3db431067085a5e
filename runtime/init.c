#include "runtime/init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "namespaces/devices.h"
#include "namespaces/idmap.h"
#include "namespaces/mount_sources.h"
#include "namespaces/mounts.h"
#include "namespaces/network.h"
#include "namespaces/rootfs.h"
#include "namespaces/rootfs_path.h"
#include "runtime/child.h"
#include "runtime/console.h"
#include "runtime/hooks.h"
#include "runtime/process.h"
#include "runtime/seccomp.h"
#include "runtime/sync.h"
#include "util/fs.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

static bool in_new_namespace(const struct init_context *ctx, enum oci_namespace_type t)
{
	return ctx->namespaces->has[t] && ctx->namespaces->join_fds[t] < 0;
}

static bool dev_is_bind_mounted(const struct oci_config *c)
{
	for (size_t i = 0; i < c->mounts.len; i++) {
		const struct oci_mount *m = &c->mounts.items[i];
		if (strcmp(m->destination, "/dev") == 0 && mount_is_bind(m))
			return true;
	}
	return false;
}

/*
 * linux.sysctl, written through the container's own /proc (checked to be
 * procfs), before readonlyPaths makes /proc/sys read-only (as runc).
 */
static int apply_sysctl(int rootfd, const struct oci_linux *l, berth_error **err)
{
	if (!l || !l->sysctl.len)
		return 0;
	_cleanup_close_ int sys = rootfs_open(rootfd, "/proc/sys", O_PATH | O_DIRECTORY);
	struct statfs sf;
	if (sys < 0 || fstatfs(sys, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
		return error_new(err, EPERM, "linux.sysctl: /proc/sys in the container is not procfs (mount proc first)");
	for (size_t i = 0; i < l->sysctl.len; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s", l->sysctl.keys[i]);
		for (char *p = path; *p; p++)
			if (*p == '.')
				*p = '/';
		_cleanup_close_ int fd = open_proc_file(sys, path, O_WRONLY);
		if (fd == -EXDEV)
			return error_new(err, EPERM, "linux.sysctl.%s: /proc/sys/%s is not procfs in the container (a mount "
					 "over it?); refusing to write there", l->sysctl.keys[i], path);
		int r = fd < 0 ? fd : write_all(fd, l->sysctl.values[i], strlen(l->sysctl.values[i]));
		if (r < 0)
			return error_errno(err, -r, "linux.sysctl: set %s to \"%s\"", l->sysctl.keys[i], l->sysctl.values[i]);
	}
	return 0;
}

/*
 * Whether the init stops, mounts done, for berth to run prestart and
 * createRuntime hooks and move linux.netDevices in (SYNC_HOOKS); also before
 * createContainer hooks, which must find the device filter berth attaches
 * then. Without any of those the round trip, two context switches, is skipped.
 */
static bool asks_berth_now(const struct oci_config *c)
{
	return (c->hooks && (c->hooks->prestart.len || c->hooks->create_runtime.len || c->hooks->create_container.len)) ||
	       (c->linux_config && c->linux_config->net_devices.len);
}

/*
 * A user namespace's init asks berth for its bind sources (see
 * namespaces/mount_sources.h): one fd per mount_source_from_berth() entry, in
 * order, in batches; each batch but the last is acknowledged, so the two take
 * turns. *ret_fds is NULL when there are none.
 */
static int receive_mount_sources(const struct init_context *ctx, int **ret_fds, berth_error **err)
{
	*ret_fds = NULL;
	size_t n = ctx->sources_from_berth ? mount_sources_count(ctx->config) : 0;
	if (n == 0)
		return 0;
	int *fds = malloc(n * sizeof(*fds));
	if (!fds)
		return error_errno(err, ENOMEM, "mount sources");
	*ret_fds = fds;
	for (size_t i = 0; i < n; i++)
		fds[i] = -1;
	int r = sync_send(ctx->sync_fd, SYNC_SOURCES, 0, NULL, -1);
	if (r < 0)
		return error_errno(err, -r, "ask berth for the mount sources");
	for (size_t got = 0; got < n;) {
		struct sync_msg msg;
		size_t k = 0;
		r = sync_recv_fds(ctx->sync_fd, &msg, fds + got, n - got, &k);
		if (r < 0)
			return error_errno(err, -r, "wait for the mount sources");
		got += k;
		if (msg.type != SYNC_SOURCE_FDS || k == 0 || (size_t) msg.code != k)
			return error_new(err, EPROTO, "mount sources: unexpected message %u", msg.type);
		if (got < n && (r = sync_send(ctx->sync_fd, SYNC_ACK, 0, NULL, -1)) < 0)
			return error_errno(err, -r, "mount sources");
	}
	return 0;
}

static void close_mount_sources(const struct oci_config *c, int *fds)
{
	for (size_t i = 0, n = mount_sources_count(c); fds && i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

static int setup_rootfs(const struct init_context *ctx, int state_fd, berth_error **err)
{
	const struct oci_config *c = ctx->config;
	const struct oci_linux *l = c->linux_config;
	int propagation = l ? l->rootfs_propagation : 0;
	_cleanup_close_ int rootfd = rootfs_prepare(ctx->rootfs, propagation, err);
	if (rootfd < 0)
		return rootfd;

	/*
	 * Opened here, in the init's mount namespace: a mount of berth's namespace
	 * (an fd berth opened) cannot be cloned into this one (open_tree: EINVAL).
	 */
	_cleanup_close_ int bundlefd = -1;
	for (size_t i = 0; i < c->mounts.len && bundlefd < 0 && !ctx->sources_from_berth; i++)
		if (c->mounts.items[i].source && c->mounts.items[i].source[0] != '/' &&
		    mount_source_from_berth(&c->mounts.items[i]) &&
		    (bundlefd = open(ctx->bundle, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			return error_errno(err, errno, "open the bundle \"%s\" for relative mount sources", ctx->bundle);
	struct mount_context mc = {
		.rootfd = rootfd,
		.bundlefd = bundlefd,
		.cgroups = ctx->cgroups,
		.cgroup_namespace = ctx->namespaces->has[OCI_NS_CGROUP],
	};
	int *sources = NULL;
	int r = receive_mount_sources(ctx, &sources, err);
	for (size_t i = 0, k = 0; r == 0 && i < c->mounts.len; i++) {
		const struct oci_mount *m = &c->mounts.items[i];
		int given = sources && mount_source_from_berth(m) ? sources[k++] : -1;
		bool tree = given >= 0 && idmap_mount_wanted(m);
		int detached = tree ? given : ctx->mount_fds ? ctx->mount_fds[i] : -1;
		r = mount_config_entry(&mc, m, detached, tree ? -1 : given, err);
	}
	/* What berth opened on the host's side leaves the init as soon as it is mounted. */
	close_mount_sources(c, sources);
	if (r < 0)
		return r;
	if (!dev_is_bind_mounted(c)) {
		r = devices_create(rootfd, l, ctx->namespaces->has[OCI_NS_USER], err);
		if (r < 0)
			return r;
	}

	/* runtime-spec: prestart and createRuntime run now, in berth; createContainer here, before the pivot. */
	if (asks_berth_now(c)) {
		struct sync_msg reply;
		r = sync_send(ctx->sync_fd, SYNC_HOOKS, 0, NULL, -1);
		if (r < 0)
			return error_errno(err, -r, "ask for the createRuntime hooks");
		r = sync_recv(ctx->sync_fd, &reply, NULL);
		if (r < 0 || reply.type != SYNC_HOOKS_DONE)
			return r < 0 ? error_errno(err, -r, "wait for the createRuntime hooks") : -ECANCELED;
	}
	if (c->hooks) {
		r = hooks_run_fd(&c->hooks->create_container, "createContainer", state_fd, err);
		if (r < 0)
			return r;
	}

	for (size_t i = 0; i < c->mounts.len; i++)
		if ((r = mount_finish_readonly(&mc, &c->mounts.items[i], err)) < 0)
			return r;
	if (l) {
		r = apply_sysctl(rootfd, l, err);
		if (r == 0)
			r = rootfs_mask_paths(rootfd, &l->masked_paths, err);
		if (r == 0)
			r = rootfs_readonly_paths(rootfd, &l->readonly_paths, err);
		if (r < 0)
			return r;
	}
	return rootfs_pivot(rootfd, ctx->rootfs, ctx->no_pivot, err);
}

/* Everything from the clone to "ready"; on failure the caller reports err over the sync socket. */
static int init_setup(const struct init_context *ctx, char ***ret_env, char **ret_executable, berth_error **err)
{
	const struct oci_config *c = ctx->config;
	const struct oci_process *p = c->process;
	const struct oci_linux *l = c->linux_config;
	struct sync_msg msg;
	int r;

	/* berth has written the id mappings and placed us in the cgroups. */
	int fd = -1;
	r = sync_recv(ctx->sync_fd, &msg, &fd);
	/* The state for createContainer hooks comes whole, in a memfd (a message would cut it). */
	_cleanup_close_ int state_fd = fd;
	if (r < 0 || msg.type != SYNC_GO)
		return r < 0 ? error_errno(err, -r, "wait for berth") : error_new(err, EPROTO, "unexpected message");
	child_become_undumpable();

	if (p->exec_cpu_affinity && p->exec_cpu_affinity->initial) {
		r = process_apply_cpu_affinity(p->exec_cpu_affinity->initial, "initial", err);
		if (r < 0)
			return r;
	}
	r = process_apply_oom_score_adj(p, err);
	if (r < 0)
		return r;
	r = ctx->namespaces_joined ? 0 : namespace_join_all(ctx->namespaces, err);
	if (r < 0)
		return r;
	if (ctx->namespaces->join_fds[OCI_NS_USER] >= 0) {
		/* Made only now, so they belong to the joined user namespace (see container_create). */
		unsigned long later = ctx->namespaces->new_flags & (CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS);
		if (later && unshare((int) later) < 0)
			return error_errno(err, errno, "create namespaces in the joined user namespace");
	}
	/* In a new or joined user namespace the init still has the host's ids: become its root. */
	if (ctx->namespaces->has[OCI_NS_USER] && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return error_errno(err, errno, "become root in the user namespace (is 0 mapped?)");
	/* A cgroup namespace made after joining the cgroup shows the container its cgroup as "/". */
	if (in_new_namespace(ctx, OCI_NS_CGROUP) && unshare(CLONE_NEWCGROUP) < 0)
		return error_errno(err, errno, "create the cgroup namespace");
	if (in_new_namespace(ctx, OCI_NS_NETWORK)) {
		r = network_loopback_up(err);
		if (r < 0)
			return r;
	}
	if (c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0)
		return error_errno(err, errno, "hostname: set \"%s\"", c->hostname);
	if (c->domainname && setdomainname(c->domainname, strlen(c->domainname)) < 0)
		return error_errno(err, errno, "domainname: set \"%s\"", c->domainname);
	if (!ctx->no_new_keyring) {
		char name[256];
		snprintf(name, sizeof(name), "_ses.%s", ctx->id);
		/* A private session keyring; kernels or sandboxes without keyrings simply go without. */
		if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name) < 0 && errno != ENOSYS && errno != EACCES &&
		    errno != EPERM)
			return error_errno(err, errno, "join a new session keyring");
	}
	r = process_apply_limits(p, l, err);
	if (r < 0)
		return r;

	r = setup_rootfs(ctx, state_fd, err);
	if (state_fd >= 0)
		close(TAKE_FD(state_fd));
	if (r < 0)
		return r;
	/* The console binds over /dev/console: before root.readonly makes that impossible (as runc). */
	if (p->terminal) {
		int master = -1;
		r = console_setup(p->console_size, true, p->user ? (uid_t) p->user->uid.value : 0, &master, err);
		if (r < 0)
			return r;
		r = child_send_pty(ctx->sync_fd, master, err);
		if (r < 0)
			return r;
	} else if (setsid() < 0)
		/* Its own session, as with a terminal: nothing ties it to the caller's, and criu can dump it. */
		return error_errno(err, errno, "setsid");
	r = rootfs_finish(c->root->readonly, l ? l->rootfs_propagation : 0, err);
	if (r < 0)
		return r;
	/*
	 * CVE-2024-21626: no fd of berth's (the bundle, namespaces, cgroups, the
	 * log) may stay open past this point: through /proc/self/fd a cwd could
	 * reach the host. Only the sync socket and the exec fifo are still needed.
	 */
	int keep[] = { ctx->sync_fd, ctx->fifo_fd };
	r = close_fds_from(3 + ctx->preserve_fds, keep, ARRAY_SIZE(keep));
	if (r < 0)
		return error_errno(err, -r, "close berth's fds");
	/*
	 * execCPUAffinity.initial was for berth's setup. Without a final one the
	 * spec leaves the process' affinity to the kernel once it is in its
	 * cgroup: every CPU, which the kernel narrows to the cgroup's cpuset.
	 */
	if (p->exec_cpu_affinity && p->exec_cpu_affinity->initial && !p->exec_cpu_affinity->final) {
		cpu_set_t all;
		memset(&all, 0xff, sizeof(all));
		if (sched_setaffinity(0, sizeof(all), &all) < 0)
			return error_errno(err, errno, "process.execCPUAffinity: leave the initial CPUs");
	}
	r = child_enter_process(p, true, ctx->env, ret_env, ret_executable, err);
	if (r < 0)
		return r;
	/*
	 * Only stdio and the preserved fds reach the container. Marked close-on-exec
	 * now, before a seccomp filter could forbid the syscalls that do it.
	 */
	r = child_prepare_fds(ctx->preserve_fds, -1, err);
	if (r < 0)
		return r;
	const struct seccomp_program *seccomp = ctx->seccomp;
	bool nnp = p->no_new_privileges;
	/* As runc: without noNewPrivileges the filter needs CAP_SYS_ADMIN, so it goes in before the user switch. */
	if (seccomp && !nnp && (r = child_load_seccomp(ctx->sync_fd, seccomp, err)) < 0)
		return r;
	r = process_apply_credentials(p, ctx->namespaces->has[OCI_NS_USER], err);
	if (r < 0)
		return r;
	return seccomp && nnp ? child_load_seccomp(ctx->sync_fd, seccomp, err) : 0;
}

/*
 * Wait until berth touches none of the memory we may share (see
 * runtime/container.c): run says so and waits for our exec (SYNC_RELEASE);
 * create's berth simply exits (EOF).
 */
static void wait_for_release(int sync_fd)
{
	struct sync_msg msg;
	int r = sync_recv(sync_fd, &msg, NULL);
	if (r == -EPIPE || (r == 0 && msg.type == SYNC_RELEASE))
		return;
	_exit(1);
}

void init_main(const struct init_context *berths_ctx)
{
	/* Ours, on our stack: berth's copy is gone once create returns (the config and env stay; see init_hold). */
	const struct init_context own = *berths_ctx;
	const struct init_context *ctx = &own;
	const struct oci_process *p = ctx->config->process;
	_cleanup_error_ berth_error *err = NULL;
	char *executable = NULL;
	char **env = NULL;
	char byte;

	int theirs[] = { ctx->parent_sync_fd, ctx->state_fds[0], ctx->state_fds[1] };
	/*
	 * An unprivileged berth (or newuidmap on its behalf) can write the id maps
	 * only of a dumpable process: the init stays so until they are written.
	 */
	child_prologue(theirs, ARRAY_SIZE(theirs), ctx->unprivileged);
	if (init_setup(ctx, &env, &executable, &err) < 0) {
		sync_send_error(ctx->sync_fd, err);
		_exit(1);
	}
	child_setup_done();
	if (sync_send(ctx->sync_fd, SYNC_READY, 0, NULL, -1) < 0)
		_exit(1);
	/*
	 * Outlive berth only once it has saved the state: if berth dies before
	 * that, the socket's EOF comes first, and an init left waiting on the fifo
	 * with no state that `delete --force` could find it by is avoided.
	 */
	struct sync_msg msg;
	int start_state_fd = -1; /* the state as startContainer hooks see it ("created"), when there are any */
	if (sync_recv(ctx->sync_fd, &msg, &start_state_fd) < 0 || msg.type != SYNC_COMMITTED)
		_exit(1);
	wait_for_release(ctx->sync_fd);

	/* Block until `start` writes to the fifo; EOF or an error means nobody will. */
	ssize_t n;
	while ((n = read(ctx->fifo_fd, &byte, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		_exit(1);
	close(ctx->fifo_fd);

	if (ctx->config->hooks && ctx->config->hooks->start_container.len) {
		if (hooks_run_fd(&ctx->config->hooks->start_container, "startContainer", start_state_fd, &err) < 0) {
			dprintf(2, "berth: %s\n", err->message);
			_exit(1);
		}
	}
	if (start_state_fd >= 0)
		close(start_state_fd);
	/* Every fd of berth's is close-on-exec (see init_setup): execve leaves stdio and the preserved ones. */
	execve(executable, p->args.items, env);
	dprintf(2, "berth: exec \"%s\": %s\n", executable, strerror(errno));
	_exit(127);
}
