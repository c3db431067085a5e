#include "runtime/state_store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/freezer.h"
#include "cgroups/stats.h"
#include "util/fs.h"
#include "util/proc.h"

#define STATE_FILE "state.json"

int container_id_validate(const char *id, berth_error **err)
{
	size_t len = strlen(id);
	if (len == 0 || len > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return error_new(err, EINVAL, "invalid container id \"%.64s\": must be 1 to 1024 characters, not . or ..", id);
	for (const char *c = id; *c; c++)
		if (!isalnum((unsigned char) *c) && !strchr("_+-.", *c))
			return error_new(err, EINVAL,
					 "invalid container id \"%.64s\": only letters, digits, '_', '+', '-' and '.' are allowed",
					 id);
	return 0;
}

static int open_root(const char *root, bool create, berth_error **err)
{
	if (create) {
		/* mkdir -p, 0711 like runc: others may traverse to a known id but not list. */
		char path[4096];
		snprintf(path, sizeof(path), "%s", root);
		for (char *p = path + 1; *p; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			if (mkdir(path, 0711) < 0 && errno != EEXIST)
				return error_errno(err, errno, "--root: create `%s`", path);
			*p = '/';
		}
		if (mkdir(path, 0711) < 0 && errno != EEXIST)
			return error_errno(err, errno, "--root: create `%s`", root);
	}
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(err, errno, "--root: open `%s`", root);
	return fd;
}

static void container_init(struct container *c)
{
	*c = (struct container){ .dirfd = -1, .rootfd = -1 };
}

int container_new(const char *root, const char *id, struct container *ret, berth_error **err)
{
	int r = container_id_validate(id, err);
	if (r < 0)
		return r;
	container_init(ret);
	ret->rootfd = open_root(root, true, err);
	if (ret->rootfd < 0)
		return ret->rootfd;
	if (mkdirat(ret->rootfd, id, 0711) < 0) {
		r = errno == EEXIST ? error_new(err, EEXIST, "container \"%s\" already exists", id)
				    : error_errno(err, errno, "create the state directory of \"%s\"", id);
		container_close(ret);
		return r;
	}
	ret->dirfd = openat(ret->rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	ret->id = strdup(id);
	ret->state = calloc(1, sizeof(*ret->state));
	if (ret->dirfd < 0 || !ret->id || !ret->state || flock(ret->dirfd, LOCK_EX) < 0) {
		r = error_errno(err, errno ? errno : ENOMEM, "open the state directory of \"%s\"", id);
		(void) container_remove_dir(ret, NULL);
		container_close(ret);
		return r;
	}
	return 0;
}

int container_open_dir(const char *root, const char *id, struct container *ret)
{
	container_init(ret);
	ret->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ret->rootfd >= 0)
		ret->dirfd = openat(ret->rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r = ret->dirfd < 0 ? -errno : flock(ret->dirfd, LOCK_EX) < 0 ? -errno : 0;
	if (r == 0 && !(ret->id = strdup(id)))
		r = -ENOMEM;
	if (r < 0)
		container_close(ret);
	return r;
}

int container_open(const char *root, const char *id, bool lock, struct container *ret, berth_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = container_id_validate(id, err);
	if (r < 0)
		return r;
	container_init(ret);
	ret->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ret->rootfd < 0 && errno == ENOENT)
		return error_new(err, ENOENT, "container \"%s\" does not exist", id);
	if (ret->rootfd < 0)
		return error_errno(err, errno, "--root: open `%s`", root);
	ret->dirfd = openat(ret->rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ret->dirfd < 0) {
		r = errno == ENOENT ? error_new(err, ENOENT, "container \"%s\" does not exist", id)
				    : error_errno(err, errno, "open the state of \"%s\"", id);
		container_close(ret);
		return r;
	}
	if (lock && flock(ret->dirfd, LOCK_EX) < 0) {
		r = error_errno(err, errno, "lock \"%s\"", id);
		container_close(ret);
		return r;
	}
	ret->id = strdup(id);
	r = read_file_at(ret->dirfd, STATE_FILE, &data, &len, err);
	if (r == -ENOENT) {
		/* Deleted while we waited for the lock. */
		container_close(ret);
		return error_new(err, ENOENT, "container \"%s\" does not exist", id);
	}
	if (r == 0)
		r = model_parse_document(&berth_container_state_type, data, len, STATE_FILE, (void **) &ret->state, err);
	if (r < 0) {
		container_close(ret);
		return error_prefix(err, "container \"%s\"", id);
	}
	return 0;
}

int container_save(struct container *c, berth_error **err)
{
	_cleanup_free_ char *json = NULL;
	size_t len = 0;
	int r = model_to_json(&berth_container_state_type, c->state, NULL, &json, &len, err);
	if (r < 0)
		return r;
	return write_file_atomic_at(c->dirfd, STATE_FILE, 0600, json, len, err);
}

int container_remove_dir(struct container *c, berth_error **err)
{
	_cleanup_close_ int fd = openat(c->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d)
		return error_errno(err, errno, "remove the state of \"%s\"", c->id ? c->id : "?");
	fd = -1; /* owned by d now */
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			(void) unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	if (c->id && unlinkat(c->rootfd, c->id, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return error_errno(err, errno, "remove the state directory of \"%s\"", c->id);
	return 0;
}

void container_close(struct container *c)
{
	if (c->dirfd >= 0)
		close(c->dirfd);
	if (c->rootfd >= 0)
		close(c->rootfd);
	model_free(&berth_container_state_type, c->state);
	free(c->id);
	container_init(c);
}

enum oci_status container_status(const struct container *c)
{
	const struct berth_container_state *s = c->state;
	if (s->status == OCI_STATUS_CREATING && !s->init_pid.set)
		return OCI_STATUS_CREATING;
	if (!s->init_pid.set || !proc_is_alive((pid_t) s->init_pid.value, s->init_start_time.value))
		return OCI_STATUS_STOPPED;
	if (s->status == OCI_STATUS_CREATING)
		return OCI_STATUS_CREATING;
	/*
	 * Created while the init still waits on the fifo. The fifo alone does not
	 * say so (a start killed before removing it leaves it): the init holds it
	 * open, so a writer can open it only while the init waits (else ENXIO).
	 */
	int fifo = openat(c->dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fifo >= 0) {
		close(fifo);
		return OCI_STATUS_CREATED;
	}
	struct cgroup_set set;
	int frozen = 0;
	if (cgroup_set_from_maps(&s->cgroup_paths, &s->cgroup_created, &set) == 0) {
		frozen = cgroup_frozen(&set);
		cgroup_set_clear(&set);
	}
	return frozen == 1 ? OCI_STATUS_PAUSED : OCI_STATUS_RUNNING;
}

uint64_t container_record_oom(struct container *c)
{
	struct cgroup_set set;
	uint64_t recorded = c->state->oom_kills.value;
	if (cgroup_set_from_maps(&c->state->cgroup_paths, &c->state->cgroup_created, &set) < 0)
		return recorded;
	uint64_t kills = set.len ? cgroup_oom_kills(&set) : 0;
	cgroup_set_clear(&set);
	if (kills <= recorded)
		return recorded;
	c->state->oom_kills = (struct opt_uint){ true, kills };
	/*
	 * Saved only under the lock, and onto the state as it is then: what this
	 * reader loaded before may be old by now (another berth saved since), and
	 * writing it back would undo that. A reader that cannot take the lock now
	 * still reports what it saw; the next one records it.
	 */
	if (flock(c->dirfd, LOCK_EX | LOCK_NB) < 0)
		return kills;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	struct berth_container_state *now = NULL;
	if (read_file_at(c->dirfd, STATE_FILE, &data, &len, NULL) == 0 &&
	    model_parse_document(&berth_container_state_type, data, len, STATE_FILE, (void **) &now, NULL) == 0) {
		if (now->oom_kills.value < kills) {
			now->oom_kills = (struct opt_uint){ true, kills };
			struct container current = *c;
			current.state = now;
			(void) container_save(&current, NULL);
		}
		model_free(&berth_container_state_type, now);
	}
	return kills;
}

int container_init_pidfd(const struct container *c)
{
	pid_t pid = (pid_t) c->state->init_pid.value;
	if (!c->state->init_pid.set)
		return -ESRCH;
	int pidfd = pidfd_open_pid(pid);
	if (pidfd < 0)
		return pidfd;
	/* Checked after the pidfd exists: a reused pid cannot slip in between. */
	if (!proc_is_alive(pid, c->state->init_start_time.value)) {
		close(pidfd);
		return -ESRCH;
	}
	return pidfd;
}

int container_state_json(const struct container *c, enum oci_status status, char **ret_json, berth_error **err)
{
	const struct berth_container_state *s = c->state;
	struct oci_state out = {
		.oci_version = s->oci_version,
		.id = s->id,
		/* runc shows pid 0 once the container has stopped. */
		.pid = { true, status == OCI_STATUS_STOPPED ? 0 : s->init_pid.value },
		.status = (int) status,
		.bundle = s->bundle,
		.rootfs = s->rootfs,
		.created = s->created,
		.owner = s->owner,
		.annotations = s->annotations,
		.oom_killed = s->oom_kills.value > 0,
	};
	return model_to_json(&oci_state_type, &out, NULL, ret_json, NULL, err);
}

int container_load_config(const struct container *c, struct oci_config **ret, berth_error **err)
{
	return oci_config_load(c->dirfd, "config.json", ret, err);
}

static int compare_ids(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

int container_list_ids(const char *root, char ***ret_ids, size_t *ret_len, berth_error **err)
{
	_cleanup_closedir_ DIR *d = opendir(root);
	char **ids = calloc(1, sizeof(char *));
	size_t n = 0;
	if (!ids)
		return error_errno(err, ENOMEM, "list");
	if (!d && errno != ENOENT) {
		free(ids);
		return error_errno(err, errno, "--root: open `%s`", root);
	}
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		char **grown = realloc(ids, (n + 2) * sizeof(char *));
		if (!grown || !(grown[n] = strdup(e->d_name))) {
			ids = grown ? grown : ids;
			for (size_t i = 0; i < n; i++)
				free(ids[i]);
			free(ids);
			return error_errno(err, ENOMEM, "list");
		}
		ids = grown;
		ids[++n] = NULL;
	}
	qsort(ids, n, sizeof(char *), compare_ids);
	*ret_ids = ids;
	*ret_len = n;
	return 0;
}
