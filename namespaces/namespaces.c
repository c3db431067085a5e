#include "namespaces/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/fs.h"

unsigned long namespace_clone_flag(enum oci_namespace_type type)
{
	switch (type) {
	case OCI_NS_PID:
		return CLONE_NEWPID;
	case OCI_NS_NETWORK:
		return CLONE_NEWNET;
	case OCI_NS_MOUNT:
		return CLONE_NEWNS;
	case OCI_NS_IPC:
		return CLONE_NEWIPC;
	case OCI_NS_UTS:
		return CLONE_NEWUTS;
	case OCI_NS_USER:
		return CLONE_NEWUSER;
	case OCI_NS_CGROUP:
		return CLONE_NEWCGROUP;
	case OCI_NS_TIME:
		return CLONE_NEWTIME;
	default:
		return 0;
	}
}

int namespace_plan_open(const struct oci_linux *l, struct namespace_plan *ret, berth_error **err)
{
	*ret = (struct namespace_plan){ 0 };
	for (int i = 0; i < OCI_NS_COUNT; i++)
		ret->join_fds[i] = -1;
	for (size_t i = 0; l && i < l->namespaces.len; i++) {
		const struct oci_namespace *ns = &l->namespaces.items[i];
		ret->has[ns->type] = true;
		if (!ns->path) {
			ret->new_flags |= namespace_clone_flag(ns->type);
			continue;
		}
		int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			int r = error_errno(err, errno, "linux.namespaces[%zu]: open `%s`", i, ns->path);
			namespace_plan_close(ret);
			return r;
		}
		ret->join_fds[ns->type] = fd;
		/* A path must name a namespace of the listed type, not any file. */
		int kind = ioctl(fd, NS_GET_NSTYPE);
		if (kind < 0 || (unsigned long) kind != namespace_clone_flag(ns->type)) {
			int r = error_new(err, EINVAL, "linux.namespaces[%zu]: `%s` is not a %s namespace", i, ns->path,
					  oci_namespace_names[ns->type]);
			namespace_plan_close(ret);
			return r;
		}
	}
	return 0;
}

void namespace_plan_close(struct namespace_plan *plan)
{
	for (int i = 0; i < OCI_NS_COUNT; i++)
		if (plan->join_fds[i] >= 0) {
			close(plan->join_fds[i]);
			plan->join_fds[i] = -1;
		}
}

int namespace_join_all(const struct namespace_plan *plan, berth_error **err)
{
	/* While still root in the caller's user namespace, join the others; the user namespace last. */
	static const enum oci_namespace_type order[] = { OCI_NS_IPC, OCI_NS_UTS, OCI_NS_NETWORK, OCI_NS_CGROUP,
							 OCI_NS_MOUNT, OCI_NS_USER };
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		int fd = plan->join_fds[order[i]];
		if (fd >= 0 && setns(fd, (int) namespace_clone_flag(order[i])) < 0)
			return error_errno(err, errno, "join the %s namespace", oci_namespace_names[order[i]]);
	}
	return 0;
}

int namespace_proc_write(pid_t pid, const char *file, const char *data, size_t len, berth_error **err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno(err, errno, "open %s", path);
	int r = write_all(fd, data, len);
	return r < 0 ? error_errno(err, -r, "write %s", path) : 0;
}

int timens_write_offsets(pid_t pid, const struct oci_linux *l, berth_error **err)
{
	char buf[256];
	size_t len = 0;
	for (size_t i = 0; i < l->time_offsets.len; i++) {
		int n = snprintf(buf + len, sizeof(buf) - len, "%s %lld %llu\n", l->time_offsets.keys[i],
				 (long long) l->time_offsets.values[i].secs.value,
				 (unsigned long long) l->time_offsets.values[i].nanosecs.value);
		if (n < 0 || (size_t) n >= sizeof(buf) - len)
			return error_new(err, E2BIG, "linux.timeOffsets: more than the kernel's timens_offsets takes at once");
		len += (size_t) n;
	}
	return len ? namespace_proc_write(pid, "timens_offsets", buf, len, err) : 0;
}

int namespace_children_save(struct children_namespaces *saved, berth_error **err)
{
	saved->pid_fd = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
	saved->time_fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (saved->pid_fd < 0) {
		int e = errno;
		namespace_children_restore(saved);
		return error_errno(err, e, "open /proc/self/ns/pid_for_children");
	}
	return 0;
}

void namespace_children_restore(struct children_namespaces *saved)
{
	if (saved->pid_fd >= 0) {
		(void) setns(saved->pid_fd, CLONE_NEWPID);
		close(saved->pid_fd);
	}
	if (saved->time_fd >= 0) {
		(void) setns(saved->time_fd, CLONE_NEWTIME);
		close(saved->time_fd);
	}
	saved->pid_fd = saved->time_fd = -1;
}
