#include "namespaces/mount_sources.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "namespaces/idmap.h"
#include "namespaces/mounts.h"
#include "util/cleanup.h"

bool mount_source_from_berth(const struct oci_mount *m)
{
	if (idmap_mount_wanted(m))
		return true; /* idmap_mount_make refuses what cannot be idmapped */
	return m->source && mount_is_bind(m);
}

size_t mount_sources_count(const struct oci_config *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->mounts.len; i++)
		n += mount_source_from_berth(&c->mounts.items[i]);
	return n;
}

static int open_all(const struct oci_config *c, const char *bundle, int *fds, berth_error **err)
{
	_cleanup_close_ int bundlefd = -1;
	size_t k = 0;
	for (size_t i = 0; i < c->mounts.len; i++) {
		const struct oci_mount *m = &c->mounts.items[i];
		if (!mount_source_from_berth(m))
			continue;
		if (m->source && m->source[0] != '/' && bundlefd < 0 &&
		    (bundlefd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			return error_errno(err, errno, "open the bundle \"%s\" for relative mount sources", bundle);
		int fd;
		if (idmap_mount_wanted(m))
			fd = idmap_mount_make(c, i, bundlefd, err);
		else if ((fd = mount_open_bind_source(bundlefd, m->source)) < 0)
			fd = error_errno(err, -fd, "mount \"%s\" on \"%s\": source", m->source, m->destination);
		if (fd < 0)
			return fd;
		fds[k++] = fd;
	}
	return 0;
}

int mount_sources_open_in(int pidfd, const struct oci_config *c, const char *bundle, int *fds, berth_error **err)
{
	size_t n = mount_sources_count(c);
	for (size_t i = 0; i < n; i++)
		fds[i] = -1;
	_cleanup_close_ int own_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int own_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int own_cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (own_ns < 0 || own_root < 0 || own_cwd < 0)
		return error_errno(err, errno, "mount sources: keep berth's own mount namespace, root and cwd");
	if (setns(pidfd, CLONE_NEWNS) < 0)
		return error_errno(err, errno, "mount sources: join the container init's mount namespace");
	int r = open_all(c, bundle, fds, err);
	/* Back where berth was: its namespace, then its root (setns made it the namespace's) and cwd. */
	if (setns(own_ns, CLONE_NEWNS) < 0 || fchdir(own_root) < 0 || chroot(".") < 0 || fchdir(own_cwd) < 0)
		abort(); /* berth would go on in the container's view of the host: never */
	if (r < 0)
		for (size_t i = 0; i < n; i++)
			if (fds[i] >= 0) {
				close(fds[i]);
				fds[i] = -1;
			}
	return r;
}
