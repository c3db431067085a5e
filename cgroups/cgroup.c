#include "cgroups/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "util/fs.h"

/* One line of /proc/self/cgroup: "4:memory:/process_api/x" or "0::/". */
struct own_cgroup {
	char controllers[128];
	char path[1024];
};

static int read_own_cgroups(struct own_cgroup *out, size_t max, size_t *n)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	char line[1300];
	*n = 0;
	if (!f)
		return -errno;
	while (*n < max && fgets(line, sizeof(line), f)) {
		char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
		if (!b)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(out[*n].controllers, sizeof(out[*n].controllers), "%.*s", (int) (b - a - 1), a + 1);
		snprintf(out[*n].path, sizeof(out[*n].path), "%s", b + 1);
		(*n)++;
	}
	return 0;
}

bool cgroup_list_has(const char *list, const char *word)
{
	size_t n = strlen(word);
	if (n == 0)
		return false;
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || strchr(", \n", p[-1])) && (p[n] == '\0' || strchr(", \n", p[n])))
			return true;
	return false;
}

/* Whether every comma-separated name of list appears among the mount's super options. */
static bool options_contain_all(const char *options, const char *list)
{
	_cleanup_free_ char *buf = strdup(list);
	if (!buf)
		return false;
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!cgroup_list_has(options, tok))
			return false;
	return true;
}

static char *join_path(const char *a, const char *b)
{
	char *out = NULL;
	bool slash = a[strlen(a) - 1] != '/';
	while (*b == '/')
		b++;
	if (asprintf(&out, "%s%s%s", a, slash && *b ? "/" : "", b) < 0)
		return NULL;
	return out;
}

static int add_dir(struct cgroup_set *set, const char *mount, const char *path, bool v2, bool cpuset)
{
	struct cgroup_dir *dirs = realloc(set->dirs, (set->len + 1) * sizeof(*dirs));
	if (!dirs)
		return -ENOMEM;
	set->dirs = dirs;
	dirs[set->len] = (struct cgroup_dir){ .mount = strdup(mount), .path = strdup(path), .v2 = v2, .cpuset = cpuset };
	if (!dirs[set->len].mount || !dirs[set->len].path) {
		free(dirs[set->len].mount);
		free(dirs[set->len].path);
		return -ENOMEM;
	}
	set->len++;
	return 0;
}

int cgroup_set_plan(const char *cgroups_path, const char *id, struct cgroup_set *ret, berth_error **err)
{
	struct own_cgroup own[32];
	size_t n_own = 0;
	_cleanup_fclose_ FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	int r = 0;
	char default_path[512];

	*ret = (struct cgroup_set){ 0 };
	if (!cgroups_path || !*cgroups_path) {
		/* One level: containers share no parent directory that the last one out could not remove. */
		snprintf(default_path, sizeof(default_path), "berth-%s", id);
		cgroups_path = default_path;
	}
	if (strstr(cgroups_path, "..") || strchr(cgroups_path, ':'))
		return error_new(err, EINVAL, "linux.cgroupsPath: \"%s\" is not a cgroupfs path", cgroups_path);
	if (read_own_cgroups(own, ARRAY_SIZE(own), &n_own) < 0)
		return error_errno(err, errno, "read /proc/self/cgroup");
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return error_errno(err, errno, "read /proc/self/mountinfo");
	while (getline(&line, &cap, f) > 0 && r == 0) {
		/* id parent maj:min root mountpoint options [optional...] - fstype source superoptions */
		char root[1024], mountpoint[1024], fstype[64], superopts[512];
		unsigned major = 0, minor = 0;
		char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %u:%u %1023s %1023s", &major, &minor, root, mountpoint) != 4 ||
		    sscanf(dash + 3, "%63s %*s %511s", fstype, superopts) != 2)
			continue;
		bool v2 = strcmp(fstype, "cgroup2") == 0;
		if (!v2 && strcmp(fstype, "cgroup") != 0)
			continue;
		/* A mount hidden under a later one (cgroup2 mounted over the v1 tmpfs) is not reachable: skip it. */
		struct stat st;
		if (stat(mountpoint, &st) < 0 || major(st.st_dev) != major || minor(st.st_dev) != minor)
			continue;
		const char *own_path = NULL;
		for (size_t i = 0; i < n_own && !own_path; i++) {
			if (v2 ? own[i].controllers[0] == '\0' && strncmp(own[i].path, "/", 1) == 0
			       : own[i].controllers[0] && options_contain_all(superopts, own[i].controllers))
				own_path = own[i].path;
		}
		if (!own_path)
			continue;
		/* Skip a second mount of a hierarchy already seen. */
		bool seen = false;
		for (size_t i = 0; i < ret->len && !seen; i++)
			seen = ret->dirs[i].v2 == v2 && (v2 || strcmp(strrchr(ret->dirs[i].mount, '/'), strrchr(mountpoint, '/')) == 0);
		if (seen)
			continue;
		/* The caller's cgroup as seen inside this mount (whose root may not be the hierarchy's root). */
		const char *inside = own_path;
		size_t rootlen = strlen(root);
		if (strcmp(root, "/") != 0 && strncmp(own_path, root, rootlen) == 0)
			inside = own_path + rootlen;
		_cleanup_free_ char *path = cgroups_path[0] == '/' ? strdup(cgroups_path) : join_path(*inside ? inside : "/", cgroups_path);
		if (!path)
			r = -ENOMEM;
		else
			r = add_dir(ret, mountpoint, path, v2, !v2 && options_contain_all(superopts, "cpuset"));
	}
	free(line);
	if (r < 0) {
		cgroup_set_clear(ret);
		return error_errno(err, -r, "plan cgroups");
	}
	return 0;
}

/* v1 cpuset: a new cgroup has empty cpus/mems and refuses tasks until they are copied from the parent. */
static int cpuset_inherit(int parentfd, int dirfd)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *value = NULL, *mine = NULL;
		size_t len = 0, mylen = 0;
		if (read_file_at(dirfd, files[i], &mine, &mylen, NULL) == 0 && mylen > 1)
			continue;
		if (read_file_at(parentfd, files[i], &value, &len, NULL) < 0)
			return -EIO;
		_cleanup_close_ int fd = openat(dirfd, files[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write_all(fd, value, len) < 0)
			return -errno ? -errno : -EIO;
	}
	return 0;
}


/*
 * cgroup v2: a child has only the controllers its parent enables in
 * cgroup.subtree_control (runc enables them down the path too). Enable in
 * `parentfd` the ones it has and does not enable yet, one at a time: those the
 * kernel refuses (a parent with processes of its own: EBUSY) stay off, and a
 * limit that needs one then fails naming its file.
 */
static void enable_controllers(int parentfd)
{
	_cleanup_free_ char *have = NULL, *enabled = NULL;
	size_t len = 0, elen = 0;
	if (read_file_at(parentfd, "cgroup.controllers", &have, &len, NULL) < 0 ||
	    read_file_at(parentfd, "cgroup.subtree_control", &enabled, &elen, NULL) < 0)
		return;
	_cleanup_close_ int fd = -1;
	for (char *save = NULL, *c = strtok_r(have, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
		if (cgroup_list_has(enabled, c))
			continue;
		if (fd < 0 && (fd = openat(parentfd, "cgroup.subtree_control", O_WRONLY | O_CLOEXEC)) < 0)
			return;
		char plus[64];
		int n = snprintf(plus, sizeof(plus), "+%s", c);
		ssize_t refused_is_fine = write(fd, plus, (size_t) n);
		(void) refused_is_fine;
	}
}

static int create_one(struct cgroup_dir *d, berth_error **err)
{
	_cleanup_free_ char *full = join_path(d->mount, d->path);
	if (!full)
		return error_errno(err, ENOMEM, "cgroup");
	/* Walk down from the mount, creating each missing level. */
	_cleanup_close_ int cur = open(d->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return error_errno(err, errno, "open cgroup mount `%s`", d->mount);
	_cleanup_free_ char *walk = strdup(d->path);
	if (!walk)
		return error_errno(err, ENOMEM, "cgroup");
	char sofar[4096] = "";
	for (char *save = NULL, *name = strtok_r(walk, "/", &save); name; name = strtok_r(NULL, "/", &save)) {
		snprintf(sofar + strlen(sofar), sizeof(sofar) - strlen(sofar), "/%s", name);
		if (d->v2)
			enable_controllers(cur);
		bool made = mkdirat(cur, name, 0755) == 0;
		if (!made && errno != EEXIST)
			return error_errno(err, errno, "create cgroup `%s%s`", d->mount, sofar);
		int next = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return error_errno(err, errno, "open cgroup `%s%s`", d->mount, sofar);
		if (made && !d->created)
			d->created = strdup(sofar);
		if (d->cpuset && cpuset_inherit(cur, next) < 0) {
			close(next);
			return error_errno(err, EIO, "initialise cpuset of `%s%s`", d->mount, sofar);
		}
		close(cur);
		cur = next;
	}
	return 0;
}

static void dir_clear(struct cgroup_dir *d)
{
	free(d->mount);
	free(d->path);
	free(d->created);
}

int cgroup_set_create(struct cgroup_set *set, bool skip_denied, char **ret_denied, berth_error **err)
{
	for (size_t i = 0; i < set->len;) {
		int r = create_one(&set->dirs[i], err);
		bool denied = r == -EACCES || r == -EPERM || r == -EROFS;
		if (r < 0 && !(skip_denied && denied))
			return r;
		if (r == 0) {
			i++;
			continue;
		}
		if (ret_denied && !*ret_denied)
			*ret_denied = TAKE_PTR((*err)->message);
		error_freep(err);
		struct cgroup_set upper_levels = { &set->dirs[i], 1 };
		(void) cgroup_set_remove(&upper_levels, NULL);
		dir_clear(&set->dirs[i]);
		memmove(&set->dirs[i], &set->dirs[i + 1], (set->len - i - 1) * sizeof(*set->dirs));
		set->len--;
	}
	return 0;
}

/* Whether an open cgroup directory belongs to cgroup2. */
static bool dir_is_v2(int dirfd)
{
	return faccessat(dirfd, "cgroup.controllers", F_OK, 0) == 0;
}

int cgroup_set_open_v2(const struct cgroup_set *set)
{
	for (size_t i = 0; i < set->len; i++) {
		_cleanup_free_ char *dir = join_path(set->dirs[i].mount, set->dirs[i].path);
		int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (fd >= 0 && dir_is_v2(fd))
			return fd;
		if (fd >= 0)
			close(fd);
	}
	return -ENOENT;
}

int cgroup_set_enter(const struct cgroup_set *set, pid_t pid, bool skip_v2, berth_error **err)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d", (int) pid);
	for (size_t i = 0; i < set->len; i++) {
		_cleanup_free_ char *dir = join_path(set->dirs[i].mount, set->dirs[i].path);
		if (!dir)
			return error_errno(err, ENOMEM, "cgroup");
		_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (skip_v2 && dirfd >= 0 && dir_is_v2(dirfd))
			continue;
		_cleanup_close_ int fd = dirfd < 0 ? -1 : openat(dirfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write_all(fd, buf, (size_t) len) < 0)
			return error_errno(err, errno, "join cgroup `%s`", dir);
	}
	return 0;
}

/* A container may nest cgroups of its own: bounds on how far berth follows them. */
#define TREE_MAX_DEPTH 32
#define TREE_MAX_DIRS 4096

struct pid_list {
	pid_t *pids;
	size_t len, cap;
};

static int pid_list_add_procs(struct pid_list *l, int dirfd)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (read_file_at(dirfd, "cgroup.procs", &data, &len, NULL) < 0)
		return 0; /* gone while we walked */
	for (char *save = NULL, *tok = strtok_r(data, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
		if (l->len == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 64;
			pid_t *grown = realloc(l->pids, cap * sizeof(pid_t));
			if (!grown)
				return -ENOMEM;
			l->pids = grown;
			l->cap = cap;
		}
		l->pids[l->len++] = (pid_t) atoi(tok);
	}
	return 0;
}

/*
 * Call visit(dirfd) on every cgroup below dirfd (children before their
 * parent) and then on dirfd itself. Visiting stops at the first error.
 */
static int tree_walk(int dirfd, int depth, size_t *budget, int (*visit)(int parentfd, const char *name, int fd, void *data),
		     int parentfd, const char *name, void *data)
{
	if (depth > TREE_MAX_DEPTH || (*budget)-- == 0)
		return -ELOOP;
	int dup = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (dup < 0)
		return -errno;
	DIR *dir = fdopendir(dup);
	if (!dir) {
		close(dup);
		return -errno;
	}
	int r = 0;
	struct dirent *e;
	while (r == 0 && (e = readdir(dir))) {
		if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		_cleanup_close_ int child = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (child >= 0)
			r = tree_walk(child, depth + 1, budget, visit, dirfd, e->d_name, data);
	}
	closedir(dir);
	return r < 0 ? r : visit(parentfd, name, dirfd, data);
}

static int visit_collect(int parentfd, const char *name, int fd, void *data)
{
	(void) parentfd, (void) name;
	return pid_list_add_procs(data, fd);
}

int cgroup_set_pids(const struct cgroup_set *set, pid_t **ret_pids, size_t *ret_len)
{
	*ret_pids = NULL;
	*ret_len = 0;
	for (size_t i = 0; i < set->len; i++) {
		_cleanup_free_ char *dir = join_path(set->dirs[i].mount, set->dirs[i].path);
		if (!dir)
			return -ENOMEM;
		_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0 || faccessat(dirfd, "cgroup.procs", F_OK, 0) < 0)
			continue;
		/* Recursively: a process that moved into a sub-cgroup of the container's is still the container's. */
		struct pid_list l = { 0 };
		size_t budget = TREE_MAX_DIRS;
		int r = tree_walk(dirfd, 0, &budget, visit_collect, -1, NULL, &l);
		if (r < 0 && r != -ELOOP) {
			free(l.pids);
			return r;
		}
		*ret_pids = l.pids;
		*ret_len = l.len;
		return 0;
	}
	return -ENOENT;
}

int cgroup_set_kill(const struct cgroup_set *set)
{
	/* cgroup.kill (Linux 5.14) kills the whole subtree at once, whatever forks or moves meanwhile. */
	for (size_t i = 0; i < set->len; i++) {
		_cleanup_free_ char *dir = join_path(set->dirs[i].mount, set->dirs[i].path);
		_cleanup_close_ int dirfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (dirfd < 0 || !dir_is_v2(dirfd))
			continue;
		_cleanup_close_ int fd = openat(dirfd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
		return fd < 0 ? -errno : write_all(fd, "1", 1);
	}
	return -ENOENT;
}

int cgroup_set_check_empty(const struct cgroup_set *set, berth_error **err)
{
	for (size_t i = 0; i < set->len; i++) {
		/* One berth just made is empty: only a cgroup that was there before can hold someone else's. */
		if (set->dirs[i].created)
			continue;
		_cleanup_free_ char *dir = join_path(set->dirs[i].mount, set->dirs[i].path);
		if (!dir)
			return error_errno(err, ENOMEM, "cgroup");
		_cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			continue;
		struct pid_list l = { 0 };
		size_t budget = TREE_MAX_DIRS;
		int r = tree_walk(dirfd, 0, &budget, visit_collect, -1, NULL, &l);
		free(l.pids);
		if (r == -ENOMEM)
			return error_errno(err, ENOMEM, "cgroup");
		/* As runc: the container's processes are what berth puts there; anything else is someone else's. */
		if (l.len || r == -ELOOP)
			return error_new(err, EBUSY, "container's cgroup is not empty: `%s` has %zu process(es) of someone else's",
					 dir, l.len);
	}
	return 0;
}

static int visit_rmdir(int parentfd, const char *name, int fd, void *data)
{
	(void) fd, (void) data;
	/* Sub-cgroups the container made inside berth's own: removed with it. */
	if (parentfd >= 0)
		(void) unlinkat(parentfd, name, AT_REMOVEDIR);
	return 0;
}

int cgroup_set_remove(const struct cgroup_set *set, berth_error **err)
{
	int first_error = 0;
	for (size_t i = 0; i < set->len; i++) {
		const struct cgroup_dir *d = &set->dirs[i];
		if (!d->created)
			continue; /* it existed before berth: not ours to remove */
		_cleanup_free_ char *path = strdup(d->path);
		if (!path)
			return error_errno(err, ENOMEM, "cgroup");
		{
			_cleanup_free_ char *leaf = join_path(d->mount, d->path);
			_cleanup_close_ int leaffd = leaf ? open(leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
			size_t budget = TREE_MAX_DIRS;
			if (leaffd >= 0)
				(void) tree_walk(leaffd, 0, &budget, visit_rmdir, -1, NULL, NULL);
		}
		/* Remove from the leaf up to the topmost level berth created. */
		for (;;) {
			_cleanup_free_ char *full = join_path(d->mount, path);
			int r = -1;
			for (int attempt = 0; attempt < 100; attempt++) {
				r = rmdir(full);
				if (r == 0 || errno == ENOENT || errno != EBUSY)
					break;
				/* Processes that were just killed leave the cgroup asynchronously. */
				nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
			}
			if (r < 0 && errno != ENOENT && !first_error)
				first_error = error_errno(err, errno, "remove cgroup `%s`", full);
			int e = errno;
			/* A missing leaf (a create that failed half way down) still lets the levels above go. */
			if (strcmp(path, d->created) == 0 || (r < 0 && e != ENOENT))
				break;
			char *slash = strrchr(path, '/');
			if (!slash || slash == path)
				break;
			*slash = '\0';
		}
	}
	return first_error;
}

int cgroup_set_format(const struct cgroup_set *set, char **ret)
{
	size_t size = 1;
	for (size_t i = 0; i < set->len; i++)
		size += strlen(set->dirs[i].mount) + strlen(set->dirs[i].path) +
			(set->dirs[i].created ? strlen(set->dirs[i].created) : 0) + 3;
	char *text = malloc(size), *p = text;
	if (!text)
		return -ENOMEM;
	*p = '\0';
	for (size_t i = 0; i < set->len; i++)
		p += sprintf(p, "%s\t%s\t%s\n", set->dirs[i].mount, set->dirs[i].path,
			     set->dirs[i].created ? set->dirs[i].created : "");
	*ret = text;
	return 0;
}

int cgroup_set_parse(char *text, struct cgroup_set *ret)
{
	*ret = (struct cgroup_set){ 0 };
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *path = strchr(line, '\t');
		char *created = path ? strchr(path + 1, '\t') : NULL;
		if (!created || line[0] != '/' || path[1] != '/')
			continue;
		*path++ = '\0';
		*created++ = '\0';
		int r = add_dir(ret, line, path, false, false);
		if (r == 0 && *created && !(ret->dirs[ret->len - 1].created = strdup(created)))
			r = -ENOMEM;
		if (r < 0) {
			cgroup_set_clear(ret);
			return r;
		}
	}
	return 0;
}

void cgroup_set_clear(struct cgroup_set *set)
{
	for (size_t i = 0; i < set->len; i++)
		dir_clear(&set->dirs[i]);
	free(set->dirs);
	*set = (struct cgroup_set){ 0 };
}

static int map_put(struct string_map *m, const char *key, const char *value)
{
	/* A key is there once: commit records what prepare did, and must not list it again. */
	for (size_t i = 0; i < m->len; i++)
		if (strcmp(m->keys[i], key) == 0) {
			char *copy = strdup(value);
			if (!copy)
				return -ENOMEM;
			free(m->values[i]);
			m->values[i] = copy;
			return 0;
		}
	char **keys = realloc(m->keys, (m->len + 1) * sizeof(char *));
	if (!keys)
		return -ENOMEM;
	m->keys = keys;
	char **values = realloc(m->values, (m->len + 1) * sizeof(char *));
	if (!values)
		return -ENOMEM;
	m->values = values;
	keys[m->len] = strdup(key);
	values[m->len] = strdup(value);
	if (!keys[m->len] || !values[m->len]) {
		free(keys[m->len]);
		free(values[m->len]);
		return -ENOMEM;
	}
	m->len++;
	return 0;
}

int cgroup_set_to_maps(const struct cgroup_set *set, struct string_map *paths, struct string_map *created)
{
	for (size_t i = 0; i < set->len; i++) {
		int r = map_put(paths, set->dirs[i].mount, set->dirs[i].path);
		if (r == 0 && set->dirs[i].created)
			r = map_put(created, set->dirs[i].mount, set->dirs[i].created);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_set_from_maps(const struct string_map *paths, const struct string_map *created, struct cgroup_set *ret)
{
	*ret = (struct cgroup_set){ 0 };
	for (size_t i = 0; i < paths->len; i++) {
		/* After create, only the paths matter: v2 and cpuset only shape creation. */
		int r = add_dir(ret, paths->keys[i], paths->values[i], false, false);
		if (r < 0) {
			cgroup_set_clear(ret);
			return r;
		}
		for (size_t j = 0; j < created->len; j++)
			if (strcmp(created->keys[j], paths->keys[i]) == 0)
				ret->dirs[ret->len - 1].created = strdup(created->values[j]);
	}
	return 0;
}
