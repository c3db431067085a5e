#include "runtime/control.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "cgroups/freezer.h"
#include "cgroups/resources.h"
#include "cgroups/systemd.h"
#include "runtime/state_store.h"
#include "util/proc.h"

static int no_cgroups(const char *id, berth_error **err)
{
	return error_new(err, ENOTSUP, "container \"%s\" has no cgroups (created with --cgroup-manager disabled, or "
			 "rootless where none are delegated)", id);
}

static int open_with_cgroups(const char *root, const char *id, struct container *c, struct cgroup_set *set,
			     berth_error **err)
{
	int r = container_open(root, id, true, c, err);
	if (r < 0)
		return r;
	r = cgroup_set_from_maps(&c->state->cgroup_paths, &c->state->cgroup_created, set);
	if (r < 0) {
		container_close(c);
		return error_errno(err, -r, "the cgroups of \"%s\"", id);
	}
	return 0;
}

static int freeze(const char *root, const char *id, bool pause, berth_error **err)
{
	struct container c;
	struct cgroup_set set;
	int r = open_with_cgroups(root, id, &c, &set, err);
	if (r < 0)
		return r;
	enum oci_status status = container_status(&c);
	if (pause && status != OCI_STATUS_RUNNING && status != OCI_STATUS_CREATED)
		r = error_new(err, EINVAL, "cannot pause \"%s\": container not running", id);
	else if (!pause && status != OCI_STATUS_PAUSED)
		r = error_new(err, EINVAL, "container \"%s\" is not paused", id);
	else if (set.len == 0)
		r = no_cgroups(id, err);
	else
		r = cgroup_freeze(&set, pause, err);
	cgroup_set_clear(&set);
	container_close(&c);
	return r;
}

int container_pause(const char *root, const char *id, berth_error **err)
{
	return freeze(root, id, true, err);
}

int container_resume(const char *root, const char *id, berth_error **err)
{
	return freeze(root, id, false, err);
}

/* The systemd driver: the scope's unit learns the new limits first, or a daemon-reload would put back the old. */
static int update_systemd_unit(const struct container *c, const char *id, const struct oci_resources *resources,
			       berth_error **err)
{
	_cleanup_config_ struct oci_config *config = NULL;
	int r = container_load_config(c, &config, err);
	if (r < 0)
		return r;
	struct systemd_unit u;
	r = systemd_unit_parse(config->linux_config ? config->linux_config->cgroups_path : NULL, id, &u, err);
	if (r == 0)
		r = systemd_set_limits(&u, resources, err);
	systemd_unit_clear(&u);
	return r;
}

int container_update(const char *root, const char *id, const struct oci_resources *resources, berth_error **err)
{
	struct container c;
	struct cgroup_set set;
	int r = open_with_cgroups(root, id, &c, &set, err);
	if (r < 0)
		return r;
	enum oci_status status = container_status(&c);
	if (status == OCI_STATUS_STOPPED)
		r = error_new(err, EINVAL, "cannot update \"%s\": container not running", id);
	else if (set.len == 0)
		r = no_cgroups(id, err);
	else {
		r = c.state->systemd_cgroup.value ? update_systemd_unit(&c, id, resources, err) : 0;
		if (r == 0)
			r = cgroup_resources_apply(&set, resources, resources->devices.len > 0, NULL, err);
	}
	cgroup_set_clear(&set);
	container_close(&c);
	return r;
}

int container_watch_open(const char *root, const char *id, struct cgroup_set *ret_set, int *ret_pidfd,
			 berth_error **err)
{
	struct container c;
	int r = container_open(root, id, false, &c, err);
	if (r < 0)
		return r;
	int pidfd = container_init_pidfd(&c);
	if (pidfd < 0)
		r = error_new(err, ESRCH, "cannot watch \"%s\": container not running", id);
	else if ((r = cgroup_set_from_maps(&c.state->cgroup_paths, &c.state->cgroup_created, ret_set)) < 0) {
		close(pidfd);
		r = error_errno(err, -r, "the cgroups of \"%s\"", id);
	} else
		*ret_pidfd = pidfd;
	container_close(&c);
	return r;
}

static int compare_pids(const void *a, const void *b)
{
	return *(const pid_t *) a - *(const pid_t *) b;
}

int container_processes(const struct container *c, const struct cgroup_set *set, pid_t **ret_pids, size_t *ret_len)
{
	if (set->len)
		return cgroup_set_pids(set, ret_pids, ret_len);
	if (!c->state->init_pid.set || !proc_is_alive((pid_t) c->state->init_pid.value, c->state->init_start_time.value))
		return -ENOENT;
	return proc_pid_namespace_members((pid_t) c->state->init_pid.value, ret_pids, ret_len);
}

int container_pids(const char *root, const char *id, pid_t **ret_pids, size_t *ret_len, berth_error **err)
{
	struct container c;
	struct cgroup_set set;
	int r = container_open(root, id, false, &c, err);
	if (r < 0)
		return r;
	r = cgroup_set_from_maps(&c.state->cgroup_paths, &c.state->cgroup_created, &set);
	if (r == 0) {
		r = container_processes(&c, &set, ret_pids, ret_len);
		cgroup_set_clear(&set);
	}
	container_close(&c);
	if (r == -ENOENT) {
		/* Stopped: no processes to show. */
		*ret_pids = NULL;
		*ret_len = 0;
		return 0;
	}
	if (r < 0)
		return error_errno(err, -r, "list the processes of \"%s\"", id);
	qsort(*ret_pids, *ret_len, sizeof(pid_t), compare_pids);
	return 0;
}
