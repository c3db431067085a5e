#include "cgroups/freezer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/fs.h"

char *cgroup_freezer_dir(const struct cgroup_set *set, bool *ret_v1)
{
	char *fallback = NULL;
	for (size_t i = 0; i < set->len; i++) {
		char *dir = NULL, probe[4200];
		if (asprintf(&dir, "%s%s", set->dirs[i].mount, set->dirs[i].path) < 0)
			break;
		snprintf(probe, sizeof(probe), "%s/freezer.state", dir);
		if (access(probe, F_OK) == 0) {
			free(fallback);
			*ret_v1 = true;
			return dir;
		}
		snprintf(probe, sizeof(probe), "%s/cgroup.freeze", dir);
		if (!fallback && access(probe, F_OK) == 0)
			fallback = dir;
		else
			free(dir);
	}
	*ret_v1 = false;
	return fallback;
}

static int open_freezer(const struct cgroup_set *set, bool *ret_v1)
{
	_cleanup_free_ char *dir = cgroup_freezer_dir(set, ret_v1);
	if (!dir)
		return -ENOENT;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int read_frozen(int dirfd, bool v1)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (read_file_at(dirfd, v1 ? "freezer.state" : "cgroup.events", &data, &len, NULL) < 0)
		return -EIO;
	if (v1)
		return strncmp(data, "FROZEN", 6) == 0;
	char *line = strstr(data, "frozen ");
	return line && line[7] == '1';
}

int cgroup_frozen(const struct cgroup_set *set)
{
	bool v1;
	_cleanup_close_ int fd = open_freezer(set, &v1);
	return fd < 0 ? fd : read_frozen(fd, v1);
}

int cgroup_freeze(const struct cgroup_set *set, bool freeze, berth_error **err)
{
	bool v1;
	_cleanup_close_ int fd = open_freezer(set, &v1);
	if (fd < 0)
		return error_new(err, ENOTSUP, "no freezer cgroup for this container");
	const char *file = v1 ? "freezer.state" : "cgroup.freeze";
	const char *value = v1 ? (freeze ? "FROZEN" : "THAWED") : (freeze ? "1" : "0");
	/* v1 may report FREEZING for a while: write again until the kernel agrees (as runc does). */
	for (int attempt = 0; attempt < 1000; attempt++) {
		if (attempt == 0 || (v1 && attempt % 10 == 0)) {
			_cleanup_close_ int f = openat(fd, file, O_WRONLY | O_CLOEXEC);
			int r = f < 0 ? -errno : write_all(f, value, strlen(value));
			if (r < 0)
				return error_errno(err, -r, "%s the cgroup (%s)", freeze ? "freeze" : "thaw", file);
		}
		int frozen = read_frozen(fd, v1);
		if (frozen < 0)
			return error_errno(err, EIO, "read the freezer state");
		if (frozen == freeze)
			return 0;
		nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
	}
	return error_new(err, ETIMEDOUT, "the cgroup did not %s within a second", freeze ? "freeze" : "thaw");
}
