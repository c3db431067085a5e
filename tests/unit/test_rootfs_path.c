/* Path resolution inside a rootfs: symlinks in the image never lead outside it, with openat2 or without. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "namespaces/rootfs_path.h"

static char base[256];
static int rootfd = -1;

static void make_tree(void)
{
	char path[512];
	snprintf(base, sizeof(base), "/tmp/berth-unit-XXXXXX");
	cr_assert_not_null(mkdtemp(base));
	snprintf(path, sizeof(path), "%s/root", base);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/root/etc", base);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/root/etc/passwd", base);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	snprintf(path, sizeof(path), "%s/outside", base);
	mkdir(path, 0755);
	/* Links an attacker would plant in an image. */
	snprintf(path, sizeof(path), "%s/root/abs", base);
	cr_assert_eq(symlink("/etc", path), 0);
	snprintf(path, sizeof(path), "%s/root/up", base);
	cr_assert_eq(symlink("../../../../../../outside", path), 0);
	snprintf(path, sizeof(path), "%s/root/dangling", base);
	cr_assert_eq(symlink("/made/by/berth", path), 0);
	snprintf(path, sizeof(path), "%s/root/loop", base);
	cr_assert_eq(symlink("loop", path), 0);
	snprintf(path, sizeof(path), "%s/root", base);
	rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void drop_tree(void)
{
	char cmd[300];
	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	cr_assert_eq(system(cmd), 0);
	rootfs_path_force_fallback(false);
}

/* The path fd now points at, relative to the rootfs ("" for the rootfs itself). */
static void assert_inside(int fd, const char *expected)
{
	char link[64], target[512], want[512];
	cr_assert_geq(fd, 0, "resolution failed: %s", strerror(-fd));
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	cr_assert_gt(n, 0);
	target[n] = '\0';
	snprintf(want, sizeof(want), "%s/root%s", base, expected);
	cr_assert_str_eq(target, want);
	close(fd);
}

static void resolution_cases(void)
{
	assert_inside(rootfs_open(rootfd, "/abs/passwd", O_PATH), "/etc/passwd");
	assert_inside(rootfs_open(rootfd, "/../../etc/passwd", O_PATH), "/etc/passwd");
	cr_assert_eq(rootfs_open(rootfd, "/up", O_PATH), -ENOENT, "../ beyond the root stays at the root");
	cr_assert_eq(rootfs_open(rootfd, "/loop", O_PATH), -ELOOP);
	assert_inside(rootfs_mkdir_open(rootfd, "/dangling/dir", false), "/made/by/berth/dir");
	assert_inside(rootfs_mkdir_open(rootfd, "/up/file", true), "/outside/file");
	assert_inside(rootfs_mkdir_open(rootfd, "/", false), "");
	char outside[300];
	snprintf(outside, sizeof(outside), "%s/outside/file", base);
	cr_assert_neq(access(outside, F_OK), 0, "nothing may be created outside the rootfs");
}

Test(rootfs_path, symlinks_stay_inside_with_openat2, .init = make_tree, .fini = drop_tree)
{
	resolution_cases();
}

Test(rootfs_path, symlinks_stay_inside_with_the_fallback, .init = make_tree, .fini = drop_tree)
{
	rootfs_path_force_fallback(true);
	resolution_cases();
}
