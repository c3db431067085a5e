#include "runtime/container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "cgroups/freezer.h"
#include "cgroups/resources.h"
#include "cgroups/systemd.h"
#include "namespaces/idmap.h"
#include "namespaces/mount_sources.h"
#include "namespaces/namespaces.h"
#include "namespaces/network.h"
#include "namespaces/userns.h"
#include "runtime/clone.h"
#include "runtime/console.h"
#include "runtime/control.h"
#include "runtime/prepare.h"
#include "runtime/hooks.h"
#include "runtime/init.h"
#include "runtime/seccomp.h"
#include "runtime/state_store.h"
#include "runtime/sync.h"
#include "util/fs.h"
#include "util/proc.h"

static char **build_env(const struct oci_process *p, bool listen_fds, int n_listen)
{
	size_t n = p->env.len;
	char **env = calloc(n + 3, sizeof(char *));
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!listen_fds || (strncmp(p->env.items[i], "LISTEN_FDS=", 11) && strncmp(p->env.items[i], "LISTEN_PID=", 11)))
			env[k++] = p->env.items[i];
	if (listen_fds) {
		static char fds[32];
		snprintf(fds, sizeof(fds), "LISTEN_FDS=%d", n_listen);
		env[k++] = fds;
		env[k++] = (char *) "LISTEN_PID=1";
	}
	env[k] = NULL;
	return env;
}

/*
 * An init that shares berth's memory (CLONE_VM: no page tables to copy, no
 * copy-on-write faults in either process) reads, until it execs, the config
 * and the environment berth built; it runs on a stack of its own. berth keeps
 * those here, with its end of the sync socket. Until the init is released the
 * two take turns on the socket (sync.h) and never run at once: glibc's malloc
 * takes no locks in a single-threaded process, and errno is one variable for
 * both. The init is released when berth will touch no memory until the init's
 * exec closes the socket: run sends SYNC_RELEASE and waits for that; create's
 * berth exits, and the kernel closes its end (EOF) only after it has left the
 * memory.
 */
struct init_hold {
	int sync_fd;
	bool shared;
	struct oci_config *config;
	char **env;
	struct child_stack stack;
	/*
	 * The kernel sets a process' oom_score_adj for every user of its memory:
	 * berth's own (as read, or NULL when the config sets none) comes back after the exec.
	 */
	char *oom_score_adj;
	int dumpable;
	struct init_hold *next;
};

/* Holds whose init may still read them after this process is gone; nothing frees them. */
static struct init_hold *held_until_exit;

static void init_hold_free(struct init_hold *h)
{
	if (!h)
		return;
	if (h->sync_fd >= 0)
		close(h->sync_fd);
	oci_config_free(h->config);
	free(h->env);
	free(h->oom_score_adj);
	child_stack_free(&h->stack);
	free(h);
}

/* Whether the init no longer uses berth's memory: it has exec'd or exited, closing its end of the socket. */
static bool init_left(const struct init_hold *h)
{
	struct pollfd p = { .fd = h->sync_fd, .events = POLLIN };
	return !h->shared || (poll(&p, 1, 0) == 1 && (p.revents & POLLHUP));
}

/* Done with h: freed, or (an init still reading it) kept until this process exits, which releases the init. */
static void init_hold_drop(struct init_hold *h)
{
	if (h && !init_left(h)) {
		h->next = held_until_exit;
		held_until_exit = h;
		return;
	}
	init_hold_free(h);
}

static void init_hold_dropp(struct init_hold **h)
{
	init_hold_drop(*h);
}

/* run: let the init go on to its exec, and wait, touching nothing, until it has. */
static void init_hold_release(struct init_hold *h)
{
	if (sync_send(h->sync_fd, SYNC_RELEASE, 0, NULL, -1) == 0) {
		struct sync_msg msg;
		while (sync_recv(h->sync_fd, &msg, NULL) == 0)
			;
	}
	/* Read only for a shared init (container_create), so only then written back. */
	if (h->oom_score_adj) {
		_cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd >= 0)
			(void) write_all(fd, h->oom_score_adj, strlen(h->oom_score_adj));
	}
	if (h->shared)
		(void) prctl(PR_SET_DUMPABLE, h->dumpable, 0, 0, 0);
	init_hold_free(h);
}

void created_container_close(struct created_container *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->pty_master >= 0)
		close(c->pty_master);
	init_hold_drop(c->hold);
	*c = (struct created_container){ .pid = -1, .pidfd = -1, .pty_master = -1 };
}

static void init_entry(void *ctx)
{
	init_main(ctx);
}

/* berth's side of the setup conversation, from the clone to "ready". */
/* The init hung up without a word: say how it ended (a seccomp profile may have silenced it). */
static int init_vanished(int pidfd, const struct oci_config *config, berth_error **err)
{
	siginfo_t info = { 0 };
	char how[64] = "exited";
	if (waitid(P_PIDFD, (id_t) pidfd, &info, WEXITED | WNOWAIT) == 0) {
		if (info.si_code == CLD_EXITED)
			snprintf(how, sizeof(how), "exited with status %d", info.si_status);
		else
			snprintf(how, sizeof(how), "was killed by signal %d", info.si_status);
	}
	bool seccomp = config->linux_config && config->linux_config->seccomp;
	return error_new(err, ECHILD, "container init %s during setup%s", how,
			 seccomp ? " (does linux.seccomp deny the syscalls it needs before execve?)" : "");
}

static int move_net_devices(const struct oci_linux *l, pid_t pid, berth_error **err)
{
	if (!l || !l->net_devices.len)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) pid);
	_cleanup_close_ int netns = open(path, O_RDONLY | O_CLOEXEC);
	if (netns < 0)
		return error_errno(err, errno, "linux.netDevices: open %s", path);
	return network_move_devices(l, netns, err);
}

/* The init's end of the conversation, and the device filter loaded while it set up (none: insns NULL). */
struct init_channel {
	int sync_fd, pidfd, cgroup_fd;
	struct device_filter *device_filter;
	const char *bundle;
};

/* SYNC_SOURCES: the init's bind sources, opened in its mount namespace (namespaces/mount_sources.h), in batches. */
static int send_mount_sources(const struct init_channel *ch, const struct oci_config *config, berth_error **err)
{
	size_t n = mount_sources_count(config);
	_cleanup_free_ int *fds = calloc(n ? n : 1, sizeof(*fds));
	if (!fds)
		return error_errno(err, ENOMEM, "mount sources");
	int r = mount_sources_open_in(ch->pidfd, config, ch->bundle, fds, err);
	for (size_t sent = 0; r == 0 && sent < n;) {
		size_t k = n - sent < SYNC_MAX_FDS ? n - sent : SYNC_MAX_FDS;
		r = sync_send_fds(ch->sync_fd, SYNC_SOURCE_FDS, fds + sent, k);
		if (r < 0)
			r = error_errno(err, -r, "send the mount sources to the container init");
		sent += k;
		if (r == 0 && sent < n)
			r = sync_expect(ch->sync_fd, SYNC_ACK, NULL, err);
	}
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r;
}

static int serve_init(struct container *c, const struct oci_config *config, const struct create_options *o,
		      const struct init_channel *ch, struct created_container *ret, berth_error **err)
{
	int sync_fd = ch->sync_fd;
	bool filter_pending = ch->device_filter->insns;
	for (;;) {
		struct sync_msg msg;
		int fd = -1;
		int r = sync_recv(sync_fd, &msg, &fd);
		if (r == -EPIPE)
			return init_vanished(ch->pidfd, config, err);
		if (r < 0)
			return error_errno(err, -r, "talk to the container init");
		/* The init's first message after its mounts and device nodes, before any hook: attach the filter. */
		if (filter_pending && msg.type != SYNC_ERROR && msg.type != SYNC_SOURCES) {
			filter_pending = false;
			r = device_filter_attach(ch->device_filter, ch->cgroup_fd, err);
			if (r < 0) {
				if (fd >= 0)
					close(fd);
				return r;
			}
		}
		switch (msg.type) {
		case SYNC_ERROR:
			return error_new(err, msg.code > 0 ? msg.code : EIO, "%s", msg.text);
		case SYNC_HOOKS: {
			_cleanup_free_ char *state = NULL;
			/* The init is in its network namespace now (made at clone, or by unshare after a join). */
			r = move_net_devices(config->linux_config, (pid_t) c->state->init_pid.value, err);
			if (r == 0)
				r = container_state_json(c, OCI_STATUS_CREATING, &state, err);
			if (r == 0 && config->hooks)
				r = hooks_run(&config->hooks->prestart, "prestart", state, err);
			if (r == 0 && config->hooks)
				r = hooks_run(&config->hooks->create_runtime, "createRuntime", state, err);
			if (r < 0)
				return r;
			r = sync_send(sync_fd, SYNC_HOOKS_DONE, 0, NULL, -1);
			if (r < 0)
				return error_errno(err, -r, "talk to the container init");
			break;
		}
		case SYNC_SOURCES:
			r = send_mount_sources(ch, config, err);
			if (r < 0)
				return r;
			break;
		case SYNC_PTY:
			if (fd < 0)
				return error_new(err, EPROTO, "container init sent no pty");
			if (o->console_socket) {
				r = console_send(o->console_socket, fd, err);
				close(fd);
				if (r < 0)
					return r;
			} else
				ret->pty_master = fd;
			r = sync_ack(sync_fd, err);
			if (r < 0)
				return r;
			break;
		case SYNC_SECCOMP: {
			_cleanup_free_ char *state = NULL;
			r = container_state_json(c, OCI_STATUS_CREATING, &state, err);
			if (r == 0)
				r = seccomp_send_listener(config->linux_config->seccomp, fd, state,
							  (int) c->state->init_pid.value, err);
			close(fd);
			r = r < 0 ? r : sync_ack(sync_fd, err);
			if (r < 0)
				return r;
			break;
		}
		case SYNC_READY:
			return 0;
		default:
			if (fd >= 0)
				close(fd);
			return error_new(err, EPROTO, "container init: unexpected message %u", msg.type);
		}
	}
}

/* clone_after's helper: the namespaces joined by path (the user namespace last), then a pid namespace of the joined one. */
static int join_then_new_pid(void *arg, char *msg, size_t len)
{
	const struct namespace_plan *ns = arg;
	_cleanup_error_ berth_error *e = NULL;
	if (namespace_join_all(ns, &e) < 0) {
		snprintf(msg, len, "%s", e->message);
		errno = e->code;
		return -1;
	}
	if (unshare(CLONE_NEWPID) < 0) {
		int code = errno;
		snprintf(msg, len, "create the pid namespace in the joined user namespace: %s", strerror(code));
		errno = code;
		return -1;
	}
	return 0;
}

int container_create(const struct create_options *o, struct created_container *ret, berth_error **err)
{
	_cleanup_free_ char *state_json = NULL;
	_cleanup_close_ int hook_state = -1, start_state = -1; /* the state for createContainer and startContainer hooks */
	_cleanup_free_ char **env = NULL;
	_cleanup_close_ int fifo_fd = -1, pidfd = -1, cgroup_fd = -1;
	struct prepared prep;
	struct namespace_plan ns = { 0 };
	int sv[2] = { -1, -1 };
	int *mount_fds = NULL;
	struct seccomp_program seccomp = { 0 };
	int r;

	for (int i = 0; i < OCI_NS_COUNT; i++)
		ns.join_fds[i] = -1;
	*ret = (struct created_container){ .pid = -1, .pidfd = -1, .pty_master = -1 };
	_cleanup_free_ struct init_hold *hold = calloc(1, sizeof(*hold));
	if (!hold)
		return error_errno(err, ENOMEM, "create");
	hold->sync_fd = -1;
	r = prepare(o, &prep, err);
	if (r < 0) {
		prepared_clear(&prep);
		return r;
	}
	struct oci_config *config = prep.config;
	size_t n_mounts = config->mounts.len;
	struct container c = prep.c;  /* a view: prep owns it */
	struct berth_container_state *s = c.state;
	struct cgroup_set cgroups = prep.cgroups;
	const char *rootfs = prep.rootfs, *label = prep.label;
	int bundlefd = prep.bundlefd;
	if (mkfifoat(c.dirfd, "exec.fifo", 0600) < 0 ||
	    (fifo_fd = openat(c.dirfd, "exec.fifo", O_RDWR | O_CLOEXEC)) < 0) {
		r = error_errno(err, errno, "create exec.fifo");
		goto fail;
	}
	r = namespace_plan_open(config->linux_config, &ns, err);
	/* In a user namespace berth opens the bind sources (and makes the idmapped ones) in the init's mount namespace. */
	bool sources_from_berth = ns.has[OCI_NS_USER] && geteuid() == 0;
	if (r == 0 && !sources_from_berth)
		r = idmap_mounts_prepare(config, bundlefd, &mount_fds, err);
	/* Compiled (or taken from the cache) here, where the state root is at hand; the init only loads it. */
	if (r == 0 && config->linux_config && config->linux_config->seccomp)
		r = seccomp_program_get(config->linux_config->seccomp, c.rootfd, &seccomp, err);
	if (r < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = error_errno(err, errno, "create the sync socket");
		goto fail;
	}
	env = build_env(config->process, o->listen_fds, o->preserve_fds);
	if (!env) {
		r = error_errno(err, ENOMEM, "create");
		goto fail;
	}

	struct init_context ctx = {
		.config = config,
		.rootfs = rootfs,
		.bundle = prep.bundle,
		.sync_fd = sv[1],
		.parent_sync_fd = sv[0],
		.fifo_fd = fifo_fd,
		.cgroups = &cgroups,
		.namespaces = &ns,
		.mount_fds = mount_fds,
		.unprivileged = geteuid() != 0,
		.sources_from_berth = sources_from_berth,
		.seccomp = seccomp.insns ? &seccomp : NULL,
		.no_pivot = o->no_pivot,
		.no_new_keyring = o->no_new_keyring,
		.preserve_fds = o->preserve_fds,
		.env = env,
		.id = o->id,
		.state_fds = { c.dirfd, c.rootfd },
	};
	/* The cgroup namespace is made by the init once it is in its cgroup; the time namespace cannot be cloned into. */
	unsigned long flags = ns.new_flags & ~(unsigned long) (CLONE_NEWCGROUP | CLONE_NEWTIME);
	/*
	 * Joining a user namespace: what is new must belong to it, so the init
	 * makes it after the join (unshare). A new pid namespace applies to
	 * children only: a helper joins them all and unshares it, then clones the
	 * init (containerd 2 runs a user-namespaced pod this way).
	 */
	bool via_helper = false;
	if (ns.join_fds[OCI_NS_USER] >= 0) {
		via_helper = (ns.new_flags & CLONE_NEWPID) != 0;
		flags = 0;
	}
	/* The time and pid namespaces for children are the container's only for this clone. */
	struct children_namespaces saved = { -1, -1 };
	/* Only when something changes them: a setns back costs ~0.7 ms here (the time namespace remaps the vDSO). */
	bool pid_time = ns.join_fds[OCI_NS_PID] >= 0 || ns.join_fds[OCI_NS_TIME] >= 0 || (ns.new_flags & CLONE_NEWTIME);
	if (pid_time && (r = namespace_children_save(&saved, err)) < 0)
		goto fail;
	if (ns.new_flags & CLONE_NEWTIME) {
		/* Offsets must be written before the namespace has a process: unshare here, the init is born into it. */
		if (unshare(CLONE_NEWTIME) < 0 || timens_write_offsets(getpid(), config->linux_config, err) < 0) {
			r = errno ? error_errno(err, errno, "create the time namespace") : -EINVAL;
			namespace_children_restore(&saved);
			goto fail;
		}
	}
	if ((ns.join_fds[OCI_NS_PID] >= 0 && setns(ns.join_fds[OCI_NS_PID], CLONE_NEWPID) < 0) ||
	    (ns.join_fds[OCI_NS_TIME] >= 0 && setns(ns.join_fds[OCI_NS_TIME], CLONE_NEWTIME) < 0)) {
		r = error_errno(err, errno, "join the container's pid or time namespace");
		namespace_children_restore(&saved);
		goto fail;
	}
	/* A task cannot share its memory with one in another time namespace (the vDSO's clock data differs). */
	hold->shared = clone_shared_supported() && ns.join_fds[OCI_NS_TIME] < 0 && !(ns.new_flags & CLONE_NEWTIME) &&
		       !via_helper;
	if (hold->shared) {
		hold->dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
		size_t len = 0;
		if (config->process->oom_score_adj.set)
			(void) read_file_at(AT_FDCWD, "/proc/self/oom_score_adj", &hold->oom_score_adj, &len, NULL);
		r = child_stack_new(&hold->stack);
		if (r < 0) {
			r = error_errno(err, -r, "allocate the container init's stack");
			namespace_children_restore(&saved);
			goto fail;
		}
	}
	cgroup_fd = cgroup_set_open_v2(&cgroups);
	bool born_in_cgroup = false;
	char helper_msg[240] = "";
	pid_t pid = via_helper	  ? clone_after(join_then_new_pid, &ns, flags, cgroup_fd, &pidfd, &born_in_cgroup,
						helper_msg, sizeof(helper_msg))
		    : hold->shared ? clone_shared(flags, cgroup_fd, &hold->stack, init_entry, &ctx, &pidfd, &born_in_cgroup)
				   : clone_into(flags, cgroup_fd, &pidfd, &born_in_cgroup);
	int clone_errno = errno;
	if (pid == 0) {
		ctx.namespaces_joined = via_helper;
		init_main(&ctx);
	}
	namespace_children_restore(&saved);
	if (pid < 0) {
		r = helper_msg[0] ? error_new(err, clone_errno, "%s: %s", label, helper_msg)
				  : error_errno(err, clone_errno, "clone the container init");
		goto fail;
	}
	close(sv[1]);
	sv[1] = -1;
	close(fifo_fd);
	fifo_fd = -1;

	if (ns.new_flags & CLONE_NEWUSER) {
		r = userns_write_mappings(pid, &config->linux_config->uid_mappings, &config->linux_config->gid_mappings,
					  "linux", err);
		if (r < 0)
			goto fail;
	}
	r = cgroup_set_enter(&cgroups, pid, born_in_cgroup, err);
	if (r < 0)
		goto fail;
	uint64_t start_time = 0;
	if (proc_start_time(pid, &start_time, NULL) < 0) {
		r = error_errno(err, ESRCH, "container init exited early");
		goto fail;
	}
	s->init_pid = (struct opt_int){ true, pid };
	s->init_start_time = (struct opt_uint){ true, start_time };
	/* The state createContainer hooks read, whole, in a memfd. */
	if (config->hooks && config->hooks->create_container.len) {
		r = container_state_json(&c, OCI_STATUS_CREATING, &state_json, err);
		if (r == 0 && (hook_state = memfd_with("berth-state", state_json, strlen(state_json))) < 0)
			r = error_errno(err, -hook_state, "createContainer hooks: the state for their stdin");
	}
	if (r == 0)
		r = sync_send(sv[0], SYNC_GO, 0, NULL, hook_state) < 0 ? error_errno(err, EPIPE, "start the container init")
									: 0;
	if (r == 0)
		fault_point("create:init-cloned");
	/*
	 * The one thing berth does while the init runs (in berth's memory, maybe):
	 * the device filter's load, raw system calls on berth's own stack and the
	 * program built before the clone. serve_init attaches it at the init's first message.
	 */
	if (r == 0 && prep.device_filter.insns)
		device_filter_load(&prep.device_filter);
	if (r == 0) {
		struct init_channel ch = { sv[0], pidfd, cgroup_fd, &prep.device_filter, prep.bundle };
		r = serve_init(&c, config, o, &ch, ret, err);
	}
	if (r == 0)
		fault_point("create:init-ready");
	if (r == 0)
		r = commit(&prep, o, pid, OCI_STATUS_CREATED, err);
	if (r == 0)
		fault_point("create:committed");
	if (r < 0)
		goto fail;
	/* startContainer hooks see the container as created. */
	if (config->hooks && config->hooks->start_container.len) {
		_cleanup_free_ char *created = NULL;
		r = container_state_json(&c, OCI_STATUS_CREATED, &created, err);
		if (r == 0 && (start_state = memfd_with("berth-state", created, strlen(created))) < 0)
			r = error_errno(err, -start_state, "startContainer hooks: the state for their stdin");
		if (r < 0)
			goto fail;
	}
	if (sync_send(sv[0], SYNC_COMMITTED, 0, NULL, start_state) < 0) {
		r = error_errno(err, EPIPE, "container init exited before it was created");
		goto fail;
	}
	ret->pid = pid;
	ret->pidfd = TAKE_FD(pidfd);
	hold->sync_fd = TAKE_FD(sv[0]);
	hold->config = TAKE_PTR(prep.config);
	hold->env = TAKE_PTR(env);
	ret->hold = TAKE_PTR(hold);
	r = 0;
	goto out;
fail:
	if (ret->pty_master >= 0) {
		close(ret->pty_master);
		ret->pty_master = -1;
	}
	{
		/* runtime-spec: a create that fails goes on as delete does, poststop hooks included (runc's destroy runs them). */
		char *stopped_state = NULL;
		if (config->hooks && config->hooks->poststop.len)
			(void) container_state_json(&prep.c, OCI_STATUS_STOPPED, &stopped_state, NULL);
		/* The init is dead (reaped or a zombie) unless it outlived the wait: only then may its stack go. */
		if (!undo_create(&prep.c, &prep.cgroups, pidfd) && hold->shared) {
			hold->sync_fd = TAKE_FD(sv[0]);
			init_hold_drop(TAKE_PTR(hold));
		} else
			child_stack_free(&hold->stack);
		if (stopped_state)
			hooks_run_all_warn(&config->hooks->poststop, "poststop", stopped_state);
		free(stopped_state);
	}
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	namespace_plan_close(&ns);
	idmap_mounts_close(mount_fds, n_mounts);
	seccomp_program_clear(&seccomp);
	prepared_clear(&prep);
	return r;
}

int container_start(const char *root, const char *id, struct init_hold *held, berth_error **err)
{
	/* Dropped on every way out but the release (an init not let go is kept until berth exits). */
	_cleanup_(init_hold_dropp) struct init_hold *hold = held;
	struct container c;
	_cleanup_config_ struct oci_config *config = NULL;
	int r = container_open(root, id, true, &c, err);
	if (r < 0)
		return r;
	enum oci_status status = container_status(&c);
	if (status != OCI_STATUS_CREATED) {
		r = status == OCI_STATUS_STOPPED ? error_new(err, EINVAL, "cannot start a container that has stopped")
		    : status == OCI_STATUS_RUNNING ? error_new(err, EINVAL, "cannot start an already running container")
						   : error_new(err, EINVAL, "cannot start a container in the %s state",
							       oci_status_names[status]);
		container_close(&c);
		return r;
	}
	if (!hold)
		r = container_load_config(&c, &config, err);
	if (r < 0) {
		container_close(&c);
		return r;
	}
	/* The init holds the fifo open read-write: with it gone, there is no reader and open fails (ENXIO). */
	fault_point("start:before-fifo");
	_cleanup_close_ int fd = openat(c.dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		r = error_errno(err, errno == ENXIO ? ESRCH : errno, "start \"%s\"", id);
		container_close(&c);
		return r;
	}
	if (hold) {
		/* Ours once the init has exec'd: it reads the config until then. */
		config = TAKE_PTR(hold->config);
		init_hold_release(TAKE_PTR(hold));
	}
	fault_point("start:after-fifo");
	(void) unlinkat(c.dirfd, "exec.fifo", 0);
	if (config->hooks && config->hooks->poststart.len) {
		_cleanup_free_ char *state = NULL;
		/* runtime-spec: a failing poststart hook is a warning; the others run and the container goes on. */
		if (container_state_json(&c, OCI_STATUS_RUNNING, &state, err) == 0)
			hooks_run_all_warn(&config->hooks->poststart, "poststart", state);
	}
	container_close(&c);
	return 0;
}

static int signal_all(const struct container *c, int sig)
{
	struct cgroup_set set;
	pid_t *pids = NULL;
	size_t n = 0;
	int r = cgroup_set_from_maps(&c->state->cgroup_paths, &c->state->cgroup_created, &set);
	if (r < 0)
		return r;
	if (sig == SIGKILL)
		(void) cgroup_set_kill(&set);
	r = container_processes(c, &set, &pids, &n);
	for (size_t i = 0; r == 0 && i < n; i++)
		(void) kill(pids[i], sig);
	/* A v1-frozen task does not act on signals (not even SIGKILL) until thawed: thaw after a kill. */
	if (r == 0 && sig == SIGKILL && cgroup_frozen(&set) == 1)
		(void) cgroup_freeze(&set, false, NULL);
	cgroup_set_clear(&set);
	free(pids);
	return r;
}

static int signal_init(const struct container *c, int sig)
{
	_cleanup_close_ int pidfd = container_init_pidfd(c);
	return pidfd < 0 ? pidfd : pidfd_send(pidfd, sig);
}

/*
 * runc's words, which clients match: containerd's shim takes "container not
 * running" from a kill as "already finished" (NotFound), anything else as a failure.
 */
static int not_running(const char *id, berth_error **err)
{
	return error_new(err, ESRCH, "cannot signal \"%s\": container not running", id);
}

int container_kill(const char *root, const char *id, int sig, bool all, berth_error **err)
{
	struct container c;
	int r = container_open(root, id, false, &c, err);
	if (r < 0)
		return r;
	enum oci_status status = container_status(&c);
	if (status == OCI_STATUS_STOPPED || status == OCI_STATUS_CREATING) {
		if (all && status == OCI_STATUS_STOPPED)
			(void) signal_all(&c, sig); /* leftover processes of a stopped init */
		container_close(&c);
		return all ? 0 : not_running(id, err);
	}
	r = all ? signal_all(&c, sig) : signal_init(&c, sig);
	if (r == -ESRCH && !all)
		r = not_running(id, err);
	else if (r < 0)
		r = error_errno(err, -r, "kill \"%s\"", id);
	container_close(&c);
	return r;
}

/* Wait until the init is gone (reaped or a zombie), up to timeout_ms. */
static bool wait_init_gone(const struct container *c, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		if (!proc_is_alive((pid_t) c->state->init_pid.value, c->state->init_start_time.value))
			return true;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	return false;
}

/*
 * delete --force of a container whose state.json is missing or unreadable (a
 * berth killed while creating it, a full disk, a bad edit): kill what runs in
 * the cgroups create recorded, remove those berth made, and the directory.
 * No record, no cgroup is touched: a path worked out again here (from this
 * process' own cgroup) could be anyone's. Returns 0 also when there is no
 * such directory.
 */
static int remove_broken(const char *root, const char *id, berth_error **err)
{
	struct container c;
	if (container_open_dir(root, id, &c) < 0)
		return 0;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	struct cgroup_set set = { 0 };
	if (read_file_at(c.dirfd, "cgroups", &data, &len, NULL) == 0 && cgroup_set_parse(data, &set) == 0) {
		pid_t *pids = NULL;
		size_t n = 0;
		(void) cgroup_set_kill(&set);
		if (cgroup_set_pids(&set, &pids, &n) == 0)
			for (size_t i = 0; i < n; i++)
				kill(pids[i], SIGKILL);
		free(pids);
		(void) cgroup_set_remove(&set, NULL);
		cgroup_set_clear(&set);
	}
	int r = container_remove_dir(&c, err);
	container_close(&c);
	return r;
}

static int stop_systemd_scope(const struct oci_config *config, const char *id, const struct cgroup_set *set,
			      berth_error **err)
{
	struct systemd_unit u;
	const char *path = config && config->linux_config ? config->linux_config->cgroups_path : NULL;
	int r = systemd_unit_parse(path, id, &u, err);
	if (r == 0)
		r = systemd_stop_unit(&u, err);
	systemd_unit_clear(&u);
	for (size_t i = 0; r == 0 && i < set->len; i++) {
		if (set->dirs[i].created)
			continue;
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s%s", set->dirs[i].mount, set->dirs[i].path);
		for (int t = 0; t < 5000 && access(dir, F_OK) == 0; t++)
			nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
	}
	return r;
}

int container_delete(const char *root, const char *id, bool force, uint64_t *ret_oom_kills, berth_error **err)
{
	struct container c;
	_cleanup_config_ struct oci_config *config = NULL;
	int r = container_id_validate(id, err);
	if (r < 0)
		return r;
	r = container_open(root, id, true, &c, err);
	if (r < 0 && force) {
		/* runc: delete --force of an unknown container succeeds (the shim calls it twice); a broken one goes. */
		error_freep(err);
		return remove_broken(root, id, err);
	}
	if (r < 0)
		return r;
	enum oci_status status = container_status(&c);
	if ((status == OCI_STATUS_RUNNING || status == OCI_STATUS_PAUSED) && !force) {
		r = error_new(err, EBUSY, "cannot delete container \"%s\" that is not stopped: %s", id,
			      oci_status_names[status]);
		container_close(&c);
		return r;
	}
	if (status != OCI_STATUS_STOPPED) {
		/* A created container (runc deletes those without --force) or a forced running one. */
		if (c.state->init_pid.set)
			(void) signal_init(&c, SIGKILL);
		(void) signal_all(&c, SIGKILL);
		if (c.state->init_pid.set && !wait_init_gone(&c, 10000)) {
			r = error_new(err, EBUSY, "delete \"%s\": the container init did not die after SIGKILL", id);
			container_close(&c);
			return r;
		}
	}
	fault_point("delete:killed");
	/* The verdict is read before the cgroup goes: afterwards nobody could tell. */
	uint64_t oom_kills = container_record_oom(&c);
	if (ret_oom_kills)
		*ret_oom_kills = oom_kills;
	/* The config only where it is needed: for poststop hooks, and for the systemd scope's name. */
	bool poststop = !c.state->poststop_hooks.set || c.state->poststop_hooks.value;
	if (poststop || c.state->systemd_cgroup.value)
		(void) container_load_config(&c, &config, NULL);
	if (poststop && config && config->hooks && config->hooks->poststop.len) {
		_cleanup_free_ char *state = NULL;
		/* runtime-spec: a failing poststop hook is logged; the others run and delete carries on. */
		if (container_state_json(&c, OCI_STATUS_STOPPED, &state, err) == 0)
			hooks_run_all_warn(&config->hooks->poststop, "poststop", state);
	}
	struct cgroup_set set;
	if (cgroup_set_from_maps(&c.state->cgroup_paths, &c.state->cgroup_created, &set) == 0) {
		(void) signal_all(&c, SIGKILL);
		r = cgroup_set_remove(&set, err);
		/* The scope is systemd's to remove: ask, and wait until its cgroup is gone. */
		if (r == 0 && c.state->systemd_cgroup.value)
			r = stop_systemd_scope(config, id, &set, err);
		cgroup_set_clear(&set);
	}
	fault_point("delete:cgroups-removed");
	int r2 = container_remove_dir(&c, r < 0 ? NULL : err);
	container_close(&c);
	return r < 0 ? r : r2;
}

int container_state(const char *root, const char *id, char **ret_json, berth_error **err)
{
	struct container c;
	int r = container_open(root, id, false, &c, err);
	if (r < 0)
		return r;
	enum oci_status status = container_status(&c);
	if (status == OCI_STATUS_STOPPED)
		(void) container_record_oom(&c);
	r = container_state_json(&c, status, ret_json, err);
	container_close(&c);
	return r;
}
