#include "runtime/prepare.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/freezer.h"
#include "cgroups/resources.h"
#include "cgroups/systemd.h"
#include "util/fs.h"
#include "util/proc.h"

/* Namespaces whose keys linux.sysctl may set (runc's list): anything else is the host's. */
static enum oci_namespace_type sysctl_namespace(const char *key)
{
	static const char *const ipc_keys[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
						"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced" };
	for (size_t i = 0; i < ARRAY_SIZE(ipc_keys); i++)
		if (strcmp(key, ipc_keys[i]) == 0)
			return OCI_NS_IPC;
	if (strncmp(key, "fs.mqueue.", 10) == 0)
		return OCI_NS_IPC;
	if (strncmp(key, "net.", 4) == 0)
		return OCI_NS_NETWORK;
	if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
		return OCI_NS_UTS;
	return OCI_NS_UNSET;
}

/* What the runtime needs beyond the schema, checked before anything is created. */
static int check_runnable(const struct oci_config *c, const char *label, berth_error **err)
{
	const struct oci_linux *l = c->linux_config;
	bool has[OCI_NS_COUNT] = { false };
	for (size_t i = 0; l && i < l->namespaces.len; i++)
		has[l->namespaces.items[i].type] = true;

	if (!c->process)
		return error_new(err, EINVAL, "%s: process: required to create a container", label);
	if (!c->root)
		return error_new(err, EINVAL, "%s: root: required to create a container", label);
	if (!has[OCI_NS_MOUNT])
		return error_new(err, EINVAL, "%s: linux.namespaces: berth needs a mount namespace", label);
	if (c->root->path[0] == '\0')
		return error_new(err, EINVAL, "%s: root.path: expected the rootfs directory, got \"\"", label);
	/* Parsed, but not built yet: refused rather than silently dropped. */
	if (l && l->intel_rdt)
		return error_new(err, ENOTSUP, "%s: linux.intelRdt: Intel RDT (resctrl) is not supported by berth", label);
	/* runtime-spec: the devices go into the container's own network namespace, never the host's. */
	if (l && l->net_devices.len && !has[OCI_NS_NETWORK])
		return error_new(err, EINVAL, "%s: linux.netDevices: needs a network namespace in linux.namespaces", label);

	if ((c->hostname || c->domainname) && !has[OCI_NS_UTS])
		return error_new(err, EINVAL, "%s: %s: needs a uts namespace in linux.namespaces", label,
				 c->hostname ? "hostname" : "domainname");
	for (size_t i = 0; l && i < l->sysctl.len; i++) {
		/* runc refuses it too: the config's hostname field is the one way to set it. */
		if (strcmp(l->sysctl.keys[i], "kernel.hostname") == 0)
			return error_new(err, EINVAL, "%s: linux.sysctl.kernel.hostname: conflicts with the hostname field; set that instead",
					 label);
		enum oci_namespace_type ns = sysctl_namespace(l->sysctl.keys[i]);
		if (ns == OCI_NS_UNSET)
			return error_new(err, EINVAL, "%s: linux.sysctl.%s: not a namespaced sysctl; refusing to change the host",
					 label, l->sysctl.keys[i]);
		if (!has[ns])
			return error_new(err, EINVAL, "%s: linux.sysctl.%s: needs a %s namespace in linux.namespaces", label,
					 l->sysctl.keys[i], oci_namespace_names[ns]);
	}
	if (has[OCI_NS_USER] && (!l->uid_mappings.len || !l->gid_mappings.len)) {
		bool joined = false;
		for (size_t i = 0; i < l->namespaces.len; i++)
			joined |= l->namespaces.items[i].type == OCI_NS_USER && l->namespaces.items[i].path;
		if (!joined)
			return error_new(err, EINVAL, "%s: linux.%s: a new user namespace needs mappings", label,
					 l->uid_mappings.len ? "gidMappings" : "uidMappings");
	}
	return 0;
}

/*
 * What delete --force trusts when state.json is lost: the cgroups as create
 * made them, never a path worked out again from the deleting process' cgroup.
 */
static int record_cgroups(const struct container *c, const struct cgroup_set *set, berth_error **err)
{
	_cleanup_free_ char *text = NULL;
	if (cgroup_set_format(set, &text) < 0)
		return error_errno(err, ENOMEM, "record cgroups");
	/* Written once, at create: no replacement to make atomic. */
	return write_file_exclusive_at(c->dirfd, "cgroups", 0600, text, strlen(text), err);
}

/* Kill the init (and its cgroup), wait for it to go, remove cgroups and state: create's undo. */
bool undo_create(struct container *c, struct cgroup_set *cgroups, int pidfd)
{
	bool gone = true;
	if (pidfd >= 0) {
		pidfd_send(pidfd, SIGKILL);
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		gone = poll(&p, 1, 5000) == 1;
		siginfo_t info;
		(void) waitid(P_PIDFD, (id_t) pidfd, &info, WEXITED | WNOHANG);
	}
	if (cgroups) {
		/* Without an init nothing of the container's ran: what is in the cgroups is someone else's. */
		pid_t *pids = NULL;
		size_t n = 0;
		if (pidfd >= 0 && cgroup_set_pids(cgroups, &pids, &n) == 0)
			for (size_t i = 0; i < n; i++)
				kill(pids[i], SIGKILL);
		free(pids);
		(void) cgroup_set_remove(cgroups, NULL);
	}
	(void) container_remove_dir(c, NULL);
	return gone;
}

void prepared_clear(struct prepared *p)
{
	if (p->scope_holder > 0)
		proc_release(p->scope_holder);
	cgroup_set_clear(&p->cgroups);
	device_filter_clear(&p->device_filter);
	if (p->c.state)
		p->c.state->annotations = (struct string_map){ 0 };
	container_close(&p->c);
	oci_config_free(p->config);
	free(p->bundle);
	free(p->rootfs);
	free(p->label);
	if (p->bundlefd >= 0)
		close(p->bundlefd);
	*p = PREPARED_INIT;
}

/*
 * --systemd-cgroup: systemd makes the cgroup, a transient scope, and it wants
 * a process to make it for. A placeholder child holds the scope until the
 * init is in it (the init is then cloned into it, limits already set), and
 * goes with prepared_clear. The other hierarchies (v1) get the same path.
 */
static int systemd_cgroups(struct prepared *p, const char *id, berth_error **err)
{
	const struct oci_linux *l = p->config->linux_config;
	struct systemd_unit u;
	int r = systemd_unit_parse(l ? l->cgroups_path : NULL, id, &u, err);
	if (r < 0)
		return r;
	pid_t holder = proc_hold(0);
	if (holder < 0) {
		systemd_unit_clear(&u);
		return error_errno(err, -holder, "--systemd-cgroup: fork");
	}
	p->scope_holder = holder;
	p->c.state->systemd_cgroup = (struct opt_bool){ true, true };
	r = systemd_start_scope(&u, p->scope_holder, id, l, &p->config->annotations, err);
	if (r == 0)
		r = cgroup_set_plan(u.path, id, &p->cgroups, err);
	systemd_unit_clear(&u);
	return r;
}

/* Whether the config limits anything (device rules aside: a user namespace keeps devices out anyway). */
static bool has_limits(const struct oci_resources *res)
{
	return res && (res->memory || res->cpu || res->pids || res->block_io || res->hugepage_limits.len ||
		       res->network || res->rdma.len || res->unified.len);
}

/*
 * Rootless, some cgroups could not be made. Without limits to enforce that
 * costs nothing; with limits, say so once rather than drop them silently
 * (users of every peer complain of the silence). Returns whether limits are dropped.
 */
static bool warn_undelegated(const struct oci_config *c, const char *id, const char *denied)
{
	const struct oci_resources *res = c->linux_config ? c->linux_config->resources : NULL;
	if (!has_limits(res))
		return false;
	warning("container \"%s\": linux.resources are not enforced: the cgroups here are not delegated to uid %u "
		"(%s); run as root, or give the user a cgroup v2 subtree and point linux.cgroupsPath into it",
		id, (unsigned) geteuid(), denied);
	return true;
}

/*
 * Read and check the bundle's config, make the state directory (status
 * "creating", the config copied in) and the cgroups with their limits. On
 * failure nothing is left; on success the caller undoes with undo_create.
 */
int prepare(const struct create_options *o, struct prepared *p, berth_error **err)
{
	_cleanup_free_ char *config_data = NULL, *config_json = NULL;
	size_t config_len = 0;
	int r;

	*p = PREPARED_INIT;
	r = container_id_validate(o->id, err);
	if (r < 0)
		return r;

	p->bundle = realpath(o->bundle ? o->bundle : ".", NULL);
	if (!p->bundle)
		return error_errno(err, errno, "--bundle `%s`", o->bundle ? o->bundle : ".");
	p->bundlefd = open(p->bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (p->bundlefd < 0)
		return error_errno(err, errno, "--bundle `%s`", p->bundle);
	if (asprintf(&p->label, "%s/config.json", p->bundle) < 0)
		return error_errno(err, ENOMEM, "create");
	r = read_file_at(p->bundlefd, "config.json", &config_data, &config_len, err);
	if (r < 0)
		return error_new(err, -r, "%s: %s", p->label, strerror(-r));
	r = oci_config_parse(config_data, config_len, p->label, &p->config, err);
	if (r < 0)
		return r;
	struct oci_config *config = p->config;
	r = check_runnable(config, p->label, err);
	if (r < 0)
		return r;
	if (config->root->path[0] == '/')
		p->rootfs = realpath(config->root->path, NULL);
	else {
		_cleanup_free_ char *joined = NULL;
		if (asprintf(&joined, "%s/%s", p->bundle, config->root->path) < 0)
			return error_errno(err, ENOMEM, "create");
		p->rootfs = realpath(joined, NULL);
	}
	struct stat st;
	if (!p->rootfs || stat(p->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
		return error_new(err, p->rootfs ? ENOTDIR : errno, "%s: root.path: `%s`: %s", p->label, config->root->path,
				 p->rootfs ? "not a directory" : strerror(errno));

	/* From here on every failure undoes what was made. */
	r = container_new(o->root, o->id, &p->c, err);
	if (r < 0)
		return r;
	fault_point("create:state-dir");
	char created[64];
	time_rfc3339(created, sizeof(created), true);
	struct berth_container_state *s = p->c.state;
	struct passwd *pw = getuid() == 0 ? NULL : getpwuid(getuid());
	s->oci_version = strdup(OCI_SPEC_VERSION);
	s->id = strdup(o->id);
	s->bundle = strdup(p->bundle);
	s->rootfs = strdup(p->rootfs);
	s->created = strdup(created);
	s->owner = strdup(pw ? pw->pw_name : "");
	s->status = OCI_STATUS_CREATING;
	s->poststop_hooks = (struct opt_bool){ true, config->hooks && config->hooks->poststop.len };
	/* Borrowed from the config for as long as c lives; given back by prepared_clear. */
	s->annotations = config->annotations;
	/*
	 * The config first: a berth killed before state.json exists leaves a
	 * directory that delete --force still clears, finding the cgroups by it.
	 */
	r = model_to_json(&oci_config_type, config, NULL, &config_json, NULL, err);
	if (r == 0)
		r = write_file_atomic_at(p->c.dirfd, "config.json", 0600, config_json, strlen(config_json), err);
	bool limits_dropped = false;
	if (r == 0 && !o->cgroups_disabled) {
		const char *path = config->linux_config ? config->linux_config->cgroups_path : NULL;
		_cleanup_free_ char *denied = NULL;
		if (o->systemd_cgroup)
			r = systemd_cgroups(p, o->id, err);
		else
			r = cgroup_set_plan(path, o->id, &p->cgroups, err);
		if (r == 0)
			r = cgroup_set_create(&p->cgroups, o->rootless, &denied, err);
		/* A transient scope is systemd's new unit (with berth's holder in it); a cgroupfs path may be anyone's. */
		if (r == 0 && !o->systemd_cgroup)
			r = cgroup_set_check_empty(&p->cgroups, err);
		/* An init born frozen would hang create with the state left "creating": refused, as runc does. */
		if (r == 0 && cgroup_frozen(&p->cgroups) == 1)
			r = error_new(err, EBUSY, "container's cgroup unexpectedly frozen (a parent cgroup is frozen: thaw it first)");
		if (r == 0)
			r = record_cgroups(&p->c, &p->cgroups, err);
		if (r == 0 && denied)
			limits_dropped = warn_undelegated(config, o->id, denied);
		int m = r == 0 ? cgroup_set_to_maps(&p->cgroups, &s->cgroup_paths, &s->cgroup_created) : 0;
		if (m < 0)
			r = error_errno(err, -m, "record cgroups");
	}
	/* Saved once the cgroups exist: a berth killed from here on leaves what delete --force finds. */
	if (r == 0)
		r = container_save(&p->c, err);
	/*
	 * Limits are in place before the init exists, so nothing runs unlimited.
	 * The device allowlist always (a config without rules gets deny-all and
	 * the defaults), except for an unprivileged berth: it cannot load a device
	 * program, and its container cannot reach a device its user could not.
	 */
	const struct oci_resources *res = config->linux_config ? config->linux_config->resources : NULL;
	bool devices = geteuid() == 0 && p->cgroups.len > 0;
	if (r == 0 && !o->cgroups_disabled && !limits_dropped && (res || devices))
		r = cgroup_resources_apply(&p->cgroups, res, devices, &p->device_filter, err);
	if (r < 0)
		undo_create(&p->c, &p->cgroups, -1);
	else
		fault_point("create:cgroups");
	return r;
}

/* The init runs: record it (created or running), its cgroups and the pid file. */
int commit(struct prepared *p, const struct create_options *o, pid_t pid, enum oci_status status,
		  berth_error **err)
{
	struct berth_container_state *s = p->c.state;
	uint64_t start_time = 0;
	if (!s->init_pid.set) {
		if (proc_start_time(pid, &start_time, NULL) < 0)
			return error_errno(err, ESRCH, "container init exited early");
		s->init_pid = (struct opt_int){ true, pid };
		s->init_start_time = (struct opt_uint){ true, start_time };
	}
	if (o->pid_file) {
		int r = pid_file_write(o->pid_file, pid, err);
		if (r < 0)
			return r;
	}
	s->status = status;
	int r = cgroup_set_to_maps(&p->cgroups, &s->cgroup_paths, &s->cgroup_created);
	if (r < 0)
		return error_errno(err, -r, "record cgroups");
	return container_save(&p->c, err);
}

