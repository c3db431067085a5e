#include "runtime/exe_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

#define GUARD_ENV "_BERTH_EXE_GUARDED"

static bool has_cap(const struct string_list *set, const char *cap)
{
	for (size_t i = 0; set && i < set->len; i++)
		if (strcmp(set->items[i], cap) == 0)
			return true;
	return false;
}

bool exe_guard_needed(const struct oci_process *p)
{
	/* A non-dumpable berth child can be reached only with CAP_SYS_PTRACE; whoever lacks it in the bounding set
	 * cannot gain it. */
	return p && p->capabilities && has_cap(&p->capabilities->bounding, "CAP_SYS_PTRACE");
}

int exe_guard_reexec(berth_error **err)
{
	if (getenv(GUARD_ENV)) {
		unsetenv(GUARD_ENV);
		return 0;
	}
	struct statvfs sv;
	if (statvfs("/proc/self/exe", &sv) == 0 && (sv.f_flag & ST_RDONLY))
		return 0; /* already on a read-only mount: nothing can write it */
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return error_errno(err, errno, "protect berth's binary: readlink /proc/self/exe");
	self[n] = '\0';
	_cleanup_free_ char *cmdline = NULL;
	size_t len = 0;
	int r = read_file_at(AT_FDCWD, "/proc/self/cmdline", &cmdline, &len, err);
	if (r < 0)
		return r;
	size_t argc = 0;
	for (size_t i = 0; i < len; i++)
		argc += cmdline[i] == '\0';
	_cleanup_free_ char **argv = calloc(argc + 1, sizeof(char *));
	if (!argv)
		return error_errno(err, ENOMEM, "protect berth's binary");
	for (size_t i = 0, k = 0; i < len && k < argc; i += strlen(cmdline + i) + 1)
		argv[k++] = cmdline + i;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return error_errno(err, errno, "protect berth's binary: a private mount namespace");
	_cleanup_close_ int tree = (int) syscall(SYS_open_tree, AT_FDCWD, self, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	if (tree < 0 || syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0 ||
	    syscall(SYS_move_mount, tree, "", AT_FDCWD, self, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return error_errno(err, errno, "protect berth's binary: bind `%s` read-only", self);
	setenv(GUARD_ENV, "1", 1);
	execv(self, argv);
	return error_errno(err, errno, "protect berth's binary: execute `%s` again", self);
}
