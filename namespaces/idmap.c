#include "namespaces/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "namespaces/mounts.h"
#include "namespaces/userns.h"
#include "util/cleanup.h"

bool idmap_mount_wanted(const struct oci_mount *m)
{
	if (m->uid_mappings.len || m->gid_mappings.len)
		return true;
	for (size_t i = 0; i < m->options.len; i++)
		if (strcmp(m->options.items[i], "idmap") == 0 || strcmp(m->options.items[i], "ridmap") == 0)
			return true;
	return false;
}

static int fail(berth_error **err, int code, const struct oci_mount *m, const char *why)
{
	return error_new(err, code, "mount \"%s\" on \"%s\": %s", m->source ? m->source : "none", m->destination, why);
}

int idmap_mount_make(const struct oci_config *c, size_t index, int bundlefd, berth_error **err)
{
	const struct oci_mount *m = &c->mounts.items[index];
	const struct oci_linux *l = c->linux_config;
	struct mount_options o;
	int r = mount_options_parse(&m->options, &o);
	if (r < 0)
		return error_errno(err, -r, "mount \"%s\"", m->destination);
	bool bind = o.bind || (m->type && strcmp(m->type, "bind") == 0);
	bool recursive_bind = o.recursive_bind, recursive_idmap = o.recursive_idmap;
	unsigned long flags = o.flags & ~(unsigned long) MS_REMOUNT;
	mount_options_clear(&o);

	if (!bind || !m->source)
		return fail(err, EINVAL, m, "only bind mounts can be idmapped");
	if (!m->uid_mappings.len != !m->gid_mappings.len)
		return fail(err, EINVAL, m, m->uid_mappings.len ? "uidMappings without gidMappings" : "gidMappings without uidMappings");
	/* runtime-spec: idmap without mappings of its own takes the container's user namespace mappings. */
	const oci_id_mappings *uid = &m->uid_mappings, *gid = &m->gid_mappings;
	if (!uid->len) {
		if (!l || !l->uid_mappings.len || !l->gid_mappings.len)
			return fail(err, EINVAL, m, "idmap without uidMappings/gidMappings needs the container's linux.uidMappings and gidMappings");
		uid = &l->uid_mappings;
		gid = &l->gid_mappings;
	}
	_cleanup_close_ int src = mount_open_bind_source(bundlefd, m->source);
	if (src < 0)
		return error_errno(err, -src, "mount \"%s\" on \"%s\": source", m->source, m->destination);
	_cleanup_close_ int tree = mount_clone_tree(src, recursive_bind, flags);
	if (tree < 0)
		return error_errno(err, -tree, "mount \"%s\" on \"%s\"", m->source, m->destination);
	char where[32];
	snprintf(where, sizeof(where), "mounts[%zu]", index);
	_cleanup_close_ int userns = userns_open_mapped(uid, gid, where, err);
	if (userns < 0)
		return userns;
	struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (recursive_idmap ? AT_RECURSIVE : 0), &a, sizeof(a)) < 0)
		return error_errno(err, errno, "mount \"%s\" on \"%s\": idmap%s", m->source, m->destination,
				   errno == EINVAL ? " (does its filesystem support idmapped mounts?)" : "");
	return TAKE_FD(tree);
}

int idmap_mounts_prepare(const struct oci_config *c, int bundlefd, int **ret_fds, berth_error **err)
{
	*ret_fds = NULL;
	int *fds = NULL;
	for (size_t i = 0; i < c->mounts.len; i++) {
		if (!idmap_mount_wanted(&c->mounts.items[i]))
			continue;
		if (!fds) {
			fds = malloc(c->mounts.len * sizeof(*fds));
			if (!fds)
				return error_errno(err, ENOMEM, "idmapped mounts");
			for (size_t k = 0; k < c->mounts.len; k++)
				fds[k] = -1;
		}
		fds[i] = idmap_mount_make(c, i, bundlefd, err);
		if (fds[i] < 0) {
			int r = fds[i];
			fds[i] = -1;
			idmap_mounts_close(fds, c->mounts.len);
			return r;
		}
	}
	*ret_fds = fds;
	return 0;
}

void idmap_mounts_close(int *fds, size_t n)
{
	for (size_t i = 0; fds && i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}
