#include "runtime/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "cgroups/cgroup.h"
#include "cgroups/freezer.h"
#include "runtime/console.h"
#include "runtime/prepare.h"
#include "runtime/state_store.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/proc.h"

#define DESCRIPTORS "descriptors.json"
/* The terminal's name for criu, "tty[rdev:dev]" (the file LXC keeps it in, too). */
#define TTY_INFO "tty.info"

/*
 * For a restore, the child that becomes criu goes into the container's cgroups
 * (what criu restores stays there) and a private mount namespace where the
 * rootfs is a mount point (criu pivots into it) and nothing reaches the host.
 */
static void enter_restore_context(const struct prepared *p)
{
	berth_error *err = NULL;
	if (cgroup_set_enter(&p->cgroups, getpid(), false, &err) < 0) {
		dprintf(2, "berth: restore: %s\n", err->message);
		_exit(126);
	}
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ||
	    mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) {
		dprintf(2, "berth: restore: prepare the rootfs mount `%s`: %s\n", p->rootfs, strerror(errno));
		_exit(126);
	}
}

/* Run criu (restoring into `restore` when not NULL) and wait for it; *ret_status gets its wait status. */
static int run_criu(char *const argv[], const struct prepared *restore, int *ret_status)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (restore)
			enter_restore_context(restore);
		execvp(argv[0], argv);
		dprintf(2, "berth: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, ret_status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int make_dir(const char *path, berth_error **err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return error_errno(err, errno, "create `%s`", path);
	return 0;
}

/* What the init's fds 0-2 are (pipe:[N], socket:[N], /dev/null...), as runc keeps them for restore. */
static int save_descriptors(pid_t pid, const char *dir, berth_error **err)
{
	_cleanup_json_gen_ yajl_gen g = json_gen_new(NULL);
	if (!g || yajl_gen_array_open(g) != yajl_gen_status_ok)
		return error_errno(err, ENOMEM, "checkpoint");
	for (int fd = 0; fd < 3; fd++) {
		char link[64], target[PATH_MAX];
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int) pid, fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		json_gen_cstring(g, target);
	}
	yajl_gen_array_close(g);
	_cleanup_free_ char *json = NULL;
	size_t len = 0;
	int r = json_gen_finish(g, &json, &len, err);
	g = NULL;
	if (r < 0)
		return r;
	_cleanup_close_ int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return error_errno(err, errno, "open `%s`", dir);
	return write_file_atomic_at(dirfd, DESCRIPTORS, 0600, json, len, err);
}

/*
 * A container with a terminal: its pty's master is outside (the console
 * socket's receiver), so criu cannot dump the pair. The slave is declared
 * external instead, by the name criu gives it, kept for the restore.
 */
static int save_tty(pid_t pid, const char *dir, char **ret_key, berth_error **err)
{
	char link[64], key[64];
	struct stat st;
	snprintf(link, sizeof(link), "/proc/%d/fd/0", (int) pid);
	if (stat(link, &st) < 0 || !S_ISCHR(st.st_mode))
		return error_new(err, ENOTTY, "checkpoint: process.terminal is set, but the container's stdin is no terminal");
	snprintf(key, sizeof(key), "tty[%llx:%llx]", (unsigned long long) st.st_rdev, (unsigned long long) st.st_dev);
	_cleanup_close_ int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return error_errno(err, errno, "open `%s`", dir);
	int r = write_file_atomic_at(dirfd, TTY_INFO, 0600, key, strlen(key), err);
	if (r == 0 && !(*ret_key = strdup(key)))
		r = error_errno(err, ENOMEM, "checkpoint");
	return r;
}

int container_checkpoint(const char *root, const char *id, const struct criu_options *o, berth_error **err)
{
	struct container c;
	_cleanup_config_ struct oci_config *config = NULL;
	_cleanup_free_ char *freezer = NULL, *tty = NULL;
	struct criu_options dump = *o;
	int r = container_open(root, id, true, &c, err);
	if (r < 0)
		return r;
	enum oci_status status = container_status(&c);
	if (status != OCI_STATUS_RUNNING) {
		r = error_new(err, EINVAL, "checkpoint \"%s\": the container is %s; only a running one can be checkpointed",
			      id, oci_status_names[status]);
		goto out;
	}
	r = container_load_config(&c, &config, err);
	if (r == 0)
		r = make_dir(o->image_path, err);
	if (r == 0 && o->work_path)
		r = make_dir(o->work_path, err);
	pid_t pid = (pid_t) c.state->init_pid.value;
	if (r == 0)
		r = save_descriptors(pid, o->image_path, err);
	if (r == 0 && config->process && config->process->terminal)
		r = save_tty(pid, o->image_path, &tty, err);
	if (r < 0)
		goto out;
	dump.tty = tty;
	struct cgroup_set set;
	if (cgroup_set_from_maps(&c.state->cgroup_paths, &c.state->cgroup_created, &set) == 0) {
		bool v1;
		freezer = cgroup_freezer_dir(&set, &v1);
		cgroup_set_clear(&set);
	}
	struct criu_argv argv;
	r = criu_dump_argv(&dump, pid, config, c.state->bundle, c.state->rootfs, freezer, &argv);
	if (r < 0) {
		r = error_errno(err, -r, "checkpoint");
		goto out;
	}
	int wstatus = 0;
	r = run_criu(argv.items, NULL, &wstatus);
	criu_argv_free(&argv);
	if (r < 0 || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
		char what[128];
		snprintf(what, sizeof(what), "checkpoint \"%s\"", id);
		r = criu_error(what, r < 0 ? -r : 0, wstatus, o->work_path ? o->work_path : o->image_path,
			       o->pre_dump ? "pre-dump.log" : "dump.log", err);
		goto out;
	}
	container_close(&c);
	/* criu killed the processes it dumped: the container is over (runc destroys it too). */
	if (!o->leave_running && !o->pre_dump)
		return container_delete(root, id, true, NULL, err);
	return 0;
out:
	container_close(&c);
	return r;
}

/*
 * The checkpoint's terminal, if it had one: a new pty stands in for it, its
 * slave inherited by criu, its master for --console-socket. Both or neither.
 */
static int open_restore_tty(const char *dir, const char *console_socket, char **ret_key, int *ret_master,
			    int *ret_slave, berth_error **err)
{
	_cleanup_free_ char *path = NULL, *key = NULL;
	size_t len = 0;
	if (asprintf(&path, "%s/%s", dir, TTY_INFO) < 0)
		return error_errno(err, ENOMEM, "restore");
	bool has_tty = read_file_at(AT_FDCWD, path, &key, &len, NULL) == 0;
	if (has_tty && !console_socket)
		return error_new(err, EINVAL, "the checkpoint has a terminal (%s): restore it with --console-socket", path);
	if (!has_tty && console_socket)
		return error_new(err, EINVAL, "--console-socket: the checkpoint has no terminal (no %s)", path);
	if (!has_tty)
		return 0;
	if (len < 6 || strncmp(key, "tty[", 4) != 0 || key[len - 1] != ']' || strchr(key, '\n'))
		return error_new(err, EINVAL, "%s: expected tty[RDEV:DEV], got \"%.40s\"", path, key);
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		int e = errno;
		if (master >= 0)
			close(master);
		return error_errno(err, e, "restore: open a new pty");
	}
	/* Not close-on-exec: criu inherits it. */
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (slave < 0) {
		int e = errno;
		close(master);
		return error_errno(err, e, "restore: open the new pty's slave");
	}
	*ret_master = master;
	*ret_slave = slave;
	*ret_key = TAKE_PTR(key);
	return 0;
}

static int load_descriptors(const char *dir, char *ret[3])
{
	_cleanup_free_ char *path = NULL, *data = NULL;
	size_t len = 0;
	if (asprintf(&path, "%s/%s", dir, DESCRIPTORS) < 0)
		return -ENOMEM;
	if (read_file_at(AT_FDCWD, path, &data, &len, NULL) < 0)
		return 0; /* images from elsewhere: criu reopens what it can */
	yajl_val tree = yajl_tree_parse(data, NULL, 0);
	if (!YAJL_IS_ARRAY(tree)) {
		yajl_tree_free(tree);
		return -EINVAL;
	}
	for (size_t i = 0; i < 3 && i < tree->u.array.len; i++) {
		const char *s = YAJL_IS_STRING(tree->u.array.values[i]) ? tree->u.array.values[i]->u.string : NULL;
		if (s)
			ret[i] = strdup(s);
	}
	yajl_tree_free(tree);
	return 0;
}

int container_restore(const struct create_options *co, const struct criu_options *o, struct created_container *ret,
		      berth_error **err)
{
	struct prepared prep;
	char *descriptors[3] = { NULL, NULL, NULL };
	_cleanup_free_ char *pid_file = NULL, *pid_text = NULL;
	struct criu_argv argv = { 0 };
	const char *log_dir = o->work_path ? o->work_path : o->image_path;
	int pidfd = -1;
	_cleanup_close_ int master = -1, slave = -1;
	_cleanup_free_ char *tty = NULL;
	struct criu_options with_tty = *o;
	*ret = (struct created_container){ .pid = -1, .pidfd = -1, .pty_master = -1 };

	int r = prepare(co, &prep, err);
	if (r < 0) {
		prepared_clear(&prep);
		return r;
	}
	if (prep.device_filter.insns) {
		/* criu restores processes straight into the cgroup: the filter is there first. */
		_cleanup_close_ int cgroup_fd = cgroup_set_open_v2(&prep.cgroups);
		r = device_filter_attach(&prep.device_filter, cgroup_fd, err);
		if (r < 0)
			goto fail;
	}
	if (load_descriptors(o->image_path, descriptors) < 0) {
		r = error_new(err, EINVAL, "%s/%s: not a JSON array of three strings", o->image_path, DESCRIPTORS);
		goto fail;
	}
	if (o->work_path && (r = make_dir(o->work_path, err)) < 0)
		goto fail;
	r = open_restore_tty(o->image_path, co->console_socket, &tty, &master, &slave, err);
	if (r < 0)
		goto fail;
	if (tty) {
		with_tty.tty = tty;
		with_tty.tty_fd = slave;
		with_tty.tty_path = ptsname(master);
		o = &with_tty;
	}
	if (asprintf(&pid_file, "%s/restore.pid", log_dir) < 0) {
		r = error_errno(err, ENOMEM, "prepare the restore");
		goto fail;
	}
	(void) unlink(pid_file);
	r = criu_restore_argv(o, prep.config, prep.bundle, prep.rootfs, pid_file, (const char *const *) descriptors, &argv);
	if (r < 0) {
		r = error_errno(err, -r, "build the criu command line");
		goto fail;
	}
	/* criu leaves the restored init orphaned when it exits: berth adopts it, then hands it on when it exits. */
	if (!o->no_subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		r = error_errno(err, errno, "become a subreaper for the restored process");
		goto fail;
	}
	int wstatus = 0;
	r = run_criu(argv.items, &prep, &wstatus);
	if (r < 0 || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
		char what[128];
		snprintf(what, sizeof(what), "restore \"%s\"", co->id);
		r = criu_error(what, r < 0 ? -r : 0, wstatus, log_dir, "restore.log", err);
		goto fail;
	}
	size_t len = 0;
	r = read_file_at(AT_FDCWD, pid_file, &pid_text, &len, err);
	if (r < 0)
		goto fail;
	pid_t pid = (pid_t) strtol(pid_text, NULL, 10);
	pidfd = pid > 0 ? pidfd_open_pid(pid) : -1;
	if (pid <= 0 || pidfd < 0) {
		r = error_new(err, ESRCH, "restore \"%s\": the restored process %d is gone", co->id, (int) pid);
		goto fail;
	}
	/* The new pty's master goes where a create's would (runc: criu's orphan-pts-master). */
	if (master >= 0 && (r = console_send(co->console_socket, master, err)) < 0)
		goto fail;
	r = commit(&prep, co, pid, OCI_STATUS_RUNNING, err);
	if (r < 0)
		goto fail;
	ret->pid = pid;
	ret->pidfd = pidfd;
	pidfd = -1;
	goto out;
fail:
	undo_create(&prep.c, &prep.cgroups, pidfd);
	if (pidfd >= 0)
		close(pidfd);
out:
	criu_argv_free(&argv);
	for (int i = 0; i < 3; i++)
		free(descriptors[i]);
	prepared_clear(&prep);
	return r;
}
