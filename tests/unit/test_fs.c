/* util/fs.c: files written whole, or not at all, and nothing left beside them. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"

static int entries(int dirfd)
{
	int n = 0;
	DIR *d = fdopendir(dup(dirfd));
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static char *read_back(int dirfd, const char *name)
{
	char *data = NULL;
	size_t len = 0;
	cr_assert_eq(read_file_at(dirfd, name, &data, &len, NULL), 0);
	return data;
}

Test(fs, write_file_atomic_at_creates_then_replaces_leaving_one_file)
{
	char dir[] = "/tmp/berth-unit-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(dirfd, 0);
	cr_assert_eq(write_file_atomic_at(dirfd, "state.json", 0600, "first", 5, NULL), 0);
	char *data = read_back(dirfd, "state.json");
	cr_assert_str_eq(data, "first");
	free(data);
	/* Replacing (by exchanging names where the filesystem can) leaves neither the old file nor a temporary. */
	cr_assert_eq(write_file_atomic_at(dirfd, "state.json", 0600, "second, longer", 14, NULL), 0);
	data = read_back(dirfd, "state.json");
	cr_assert_str_eq(data, "second, longer");
	free(data);
	cr_assert_eq(entries(dirfd), 1);
	struct stat st;
	cr_assert_eq(fstatat(dirfd, "state.json", &st, 0), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	unlinkat(dirfd, "state.json", 0);
	close(dirfd);
	rmdir(dir);
}
