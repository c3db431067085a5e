/*
 * Compiled seccomp programs kept under the state root, so that a profile is
 * compiled by libseccomp once, not on every create and exec. An entry holds
 * the profile it was made from (with libseccomp's version and the format), and
 * is used only when that matches the profile byte for byte: the name is a
 * hash, never trusted on its own.
 */
#include "runtime/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

/* A leading dot keeps it out of `list`; ':' is never in a container id, so no container can take the name. */
#define CACHE_DIR ".seccomp:cache"
/* Bumped whenever what berth puts around libseccomp's program changes (the ENOSYS stub). */
#define CACHE_FORMAT 1
/* A few distinct profiles are usual; past this many entries the cache starts over. */
#define CACHE_MAX_ENTRIES 32

struct entry_header {
	char magic[8];
	uint32_t key_len, insns, flags, notify;
};

static const char magic[8] = "berthsc1";

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char) s[i]) * 0x100000001b3ULL;
	return h;
}

static int read_entry(int dirfd, const char *name, const char *key, size_t key_len, struct seccomp_program *ret)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (read_file_at(dirfd, name, &data, &len, NULL) < 0 || len < sizeof(struct entry_header))
		return -ENOENT;
	struct entry_header h;
	memcpy(&h, data, sizeof(h));
	size_t body = (size_t) h.insns * sizeof(struct sock_filter);
	if (memcmp(h.magic, magic, sizeof(magic)) != 0 || h.key_len != key_len || h.insns == 0 ||
	    h.insns > BPF_MAXINSNS || len != sizeof(h) + key_len + body ||
	    memcmp(data + sizeof(h), key, key_len) != 0)
		return -ENOENT;
	struct sock_filter *insns = malloc(body);
	if (!insns)
		return -ENOMEM;
	memcpy(insns, data + sizeof(h) + key_len, body);
	*ret = (struct seccomp_program){ .insns = insns, .len = h.insns, .flags = h.flags, .notify = h.notify != 0 };
	return 0;
}

/* Best effort: a cache that cannot be written only costs the next start the compile. */
static void write_entry(int rootfd, const char *name, const char *key, size_t key_len, const struct seccomp_program *p)
{
	if (mkdirat(rootfd, CACHE_DIR, 0700) < 0 && errno != EEXIST)
		return;
	_cleanup_close_ int dirfd = openat(rootfd, CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0)
		return;
	_cleanup_closedir_ DIR *d = fdopendir(fcntl(dirfd, F_DUPFD_CLOEXEC, 3));
	size_t entries = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		entries += e->d_name[0] != '.';
	if (d && entries >= CACHE_MAX_ENTRIES) {
		rewinddir(d);
		for (struct dirent *e; (e = readdir(d));)
			if (e->d_name[0] != '.')
				(void) unlinkat(dirfd, e->d_name, 0);
	}
	size_t body = p->len * sizeof(struct sock_filter);
	struct entry_header h = { .key_len = (uint32_t) key_len, .insns = (uint32_t) p->len, .flags = p->flags,
				  .notify = p->notify };
	memcpy(h.magic, magic, sizeof(magic));
	_cleanup_free_ char *data = malloc(sizeof(h) + key_len + body);
	if (!data)
		return;
	memcpy(data, &h, sizeof(h));
	memcpy(data + sizeof(h), key, key_len);
	memcpy(data + sizeof(h) + key_len, p->insns, body);
	(void) write_file_atomic_at(dirfd, name, 0600, data, sizeof(h) + key_len + body, NULL);
}

int seccomp_program_get(const struct oci_seccomp *s, int rootfd, struct seccomp_program *ret, berth_error **err)
{
	if (rootfd < 0)
		return seccomp_compile(s, ret, err);
	_cleanup_free_ char *profile = NULL, *key = NULL;
	const struct scmp_version *v = seccomp_version();
	if (model_to_json(&oci_seccomp_type, s, NULL, &profile, NULL, NULL) < 0 ||
	    asprintf(&key, "berth seccomp cache %d, libseccomp %u.%u.%u\n%s", CACHE_FORMAT, v->major, v->minor, v->micro,
		     profile) < 0)
		return seccomp_compile(s, ret, err);
	size_t key_len = strlen(key);
	char name[32];
	snprintf(name, sizeof(name), "%016llx", (unsigned long long) fnv1a(key, key_len));

	_cleanup_close_ int dirfd = openat(rootfd, CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd >= 0 && read_entry(dirfd, name, key, key_len, ret) == 0)
		return 0;
	int r = seccomp_compile(s, ret, err);
	if (r == 0)
		write_entry(rootfd, name, key, key_len, ret);
	return r;
}
