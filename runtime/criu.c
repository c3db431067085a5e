#include "runtime/criu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "namespaces/mounts.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define CRIU "criu"

void criu_argv_free(struct criu_argv *a)
{
	for (size_t i = 0; i < a->len; i++)
		free(a->items[i]);
	free(a->items);
	*a = (struct criu_argv){ 0 };
}

__attribute__((format(printf, 2, 3))) static void add(struct criu_argv *a, const char *fmt, ...)
{
	if (a->failed)
		return;
	char **items = realloc(a->items, (a->len + 2) * sizeof(char *));
	if (!items) {
		a->failed = true;
		return;
	}
	a->items = items;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&a->items[a->len], fmt, ap);
	va_end(ap);
	if (n < 0) {
		a->failed = true;
		return;
	}
	a->items[++a->len] = NULL;
}

/*
 * berth masks a file with a bind of the host's /dev/null and a directory with
 * a tmpfs: only the first is an external mount. Decided the same way at dump
 * and restore: /proc and /sys are the kernel's (the same here as inside), the
 * rest is the image's.
 */
static bool masked_with_dev_null(const char *rootfs, const char *path)
{
	char buf[4096];
	const char *probe = path;
	if (strncmp(path, "/proc/", 6) != 0 && strncmp(path, "/sys/", 5) != 0) {
		snprintf(buf, sizeof(buf), "%s%s", rootfs, path);
		probe = buf;
	}
	struct stat st;
	return stat(probe, &st) == 0 && !S_ISDIR(st.st_mode);
}

/*
 * Mounts whose source is outside the container are "external" to CRIU: the
 * image names them by destination, and restore maps each to its source on
 * this host. The masked paths are binds of the host's /dev/null.
 */
static void add_external_mounts(struct criu_argv *a, const struct oci_config *config, const char *bundle,
				const char *rootfs, bool restore)
{
	for (size_t i = 0; i < config->mounts.len; i++) {
		const struct oci_mount *m = &config->mounts.items[i];
		if (!mount_is_bind(m) || !m->source)
			continue;
		add(a, "--external");
		if (!restore)
			add(a, "mnt[%s]:%s", m->destination, m->destination);
		else if (m->source[0] == '/')
			add(a, "mnt[%s]:%s", m->destination, m->source);
		else
			add(a, "mnt[%s]:%s/%s", m->destination, bundle, m->source);
	}
	const struct oci_linux *l = config->linux_config;
	for (size_t i = 0; l && i < l->masked_paths.len; i++) {
		const char *path = l->masked_paths.items[i];
		if (!masked_with_dev_null(rootfs, path))
			continue;
		add(a, "--external");
		add(a, "mnt[%s]:%s", path, restore ? "/dev/null" : path);
	}
}

static void add_shared(struct criu_argv *a, const struct criu_options *o, const char *log_name)
{
	add(a, "--images-dir");
	add(a, "%s", o->image_path);
	add(a, "--work-dir");
	add(a, "%s", o->work_path ? o->work_path : o->image_path);
	add(a, "--log-file");
	add(a, "%s", log_name);
	add(a, "-v4");
	if (o->manage_cgroups_mode)
		add(a, "--manage-cgroups=%s", o->manage_cgroups_mode);
	if (o->tcp_established)
		add(a, "--tcp-established");
	if (o->ext_unix_sk)
		add(a, "--ext-unix-sk");
	if (o->shell_job)
		add(a, "--shell-job");
	if (o->file_locks)
		add(a, "--file-locks");
	if (o->lazy_pages)
		add(a, "--lazy-pages");
	if (o->auto_dedup)
		add(a, "--auto-dedup");
	if (o->status_fd >= 0) {
		add(a, "--status-fd");
		add(a, "%d", o->status_fd);
	}
	for (size_t i = 0; i < o->n_empty_ns; i++) {
		/* The runtime-spec's namespace names, in criu's words. */
		const char *ns = o->empty_ns[i];
		add(a, "--empty-ns");
		add(a, "%s", strcmp(ns, "network") == 0 ? "net" : strcmp(ns, "mount") == 0 ? "mnt" : ns);
	}
}

int criu_dump_argv(const struct criu_options *o, pid_t pid, const struct oci_config *config, const char *bundle,
		   const char *rootfs, const char *freezer, struct criu_argv *ret)
{
	*ret = (struct criu_argv){ 0 };
	add(ret, CRIU);
	add(ret, o->pre_dump ? "pre-dump" : "dump");
	add(ret, "--tree");
	add(ret, "%d", (int) pid);
	if (freezer) {
		add(ret, "--freeze-cgroup");
		add(ret, "%s", freezer);
	}
	add(ret, "--root");
	add(ret, "%s", rootfs);
	add_shared(ret, o, o->pre_dump ? "pre-dump.log" : "dump.log");
	if (!o->manage_cgroups_mode)
		add(ret, "--manage-cgroups");
	if (o->leave_running && !o->pre_dump)
		add(ret, "--leave-running");
	if (o->pre_dump)
		add(ret, "--track-mem");
	if (o->parent_path) {
		add(ret, "--prev-images-dir");
		add(ret, "%s", o->parent_path);
	}
	if (o->page_server) {
		const char *colon = strrchr(o->page_server, ':');
		/*
		 * Lazy: the dump is the page server, serving the pages on ADDRESS:PORT to criu's lazy-pages daemon
		 * (runc's meaning of --page-server with --lazy-pages). Otherwise it sends them to one listening there.
		 */
		if (!o->lazy_pages)
			add(ret, "--page-server");
		add(ret, "--address");
		add(ret, "%.*s", colon ? (int) (colon - o->page_server) : (int) strlen(o->page_server), o->page_server);
		if (colon) {
			add(ret, "--port");
			add(ret, "%s", colon + 1);
		}
	}
	add_external_mounts(ret, config, bundle, rootfs, false);
	if (o->tty) {
		add(ret, "--external");
		add(ret, "%s", o->tty);
		add(ret, "--external");
		add(ret, "mnt[/dev/console]:%s", CRIU_CONSOLE_KEY);
	}
	if (ret->failed) {
		criu_argv_free(ret);
		return -ENOMEM;
	}
	return 0;
}

int criu_restore_argv(const struct criu_options *o, const struct oci_config *config, const char *bundle,
		      const char *rootfs, const char *pid_file, const char *const descriptors[3], struct criu_argv *ret)
{
	*ret = (struct criu_argv){ 0 };
	add(ret, CRIU);
	add(ret, "restore");
	add(ret, "--root");
	add(ret, "%s", rootfs);
	add_shared(ret, o, "restore.log");
	/* criu runs inside the container's new cgroups: what it restores stays there. */
	if (!o->manage_cgroups_mode)
		add(ret, "--manage-cgroups=ignore");
	add(ret, "--restore-detached");
	if (o->lsm_profile) {
		add(ret, "--lsm-profile");
		add(ret, "%s", o->lsm_profile);
	}
	if (o->lsm_mount_context) {
		add(ret, "--lsm-mount-context");
		add(ret, "%s", o->lsm_mount_context);
	}
	add(ret, "--pidfile");
	add(ret, "%s", pid_file);
	add_external_mounts(ret, config, bundle, rootfs, true);
	/* The process' stdio were pipes or sockets of the old caller: this caller's stdio stand in for them. */
	for (int fd = 0; fd < 3; fd++)
		if (descriptors[fd] && descriptors[fd][0] && descriptors[fd][0] != '/') {
			add(ret, "--inherit-fd");
			add(ret, "fd[%d]:%s", fd, descriptors[fd]);
		}
	if (o->tty) {
		add(ret, "--inherit-fd");
		add(ret, "fd[%d]:%s", o->tty_fd, o->tty);
		add(ret, "--ext-mount-map");
		add(ret, "%s:%s", CRIU_CONSOLE_KEY, o->tty_path);
	}
	if (ret->failed) {
		criu_argv_free(ret);
		return -ENOMEM;
	}
	return 0;
}

int criu_error(const char *what, int run_errno, int status, const char *log_dir, const char *log_name,
	       berth_error **err)
{
	_cleanup_free_ char *log = NULL, *path = NULL;
	size_t len = 0;
	const char *why = NULL;
	if (asprintf(&path, "%s/%s", log_dir, log_name) < 0)
		return error_errno(err, ENOMEM, "%s", what);
	if (read_file_at(AT_FDCWD, path, &log, &len, NULL) == 0) {
		/* The first "Error (...)" line is the cause (the last says only "FAILED"); keep it on one line. */
		char *first = strstr(log, "Error (");
		if (first) {
			first[strcspn(first, "\n")] = '\0';
			why = first;
		}
	}
	char how[64];
	if (run_errno)
		snprintf(how, sizeof(how), "could not run: %s", strerror(run_errno));
	else if (WIFEXITED(status))
		snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(status));
	else
		snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
	return error_new(err, EIO, "%s: criu failed (%s)%s%s; its log is kept at %s", what, how, why ? ": " : "",
			 why ? why : "", path);
}
