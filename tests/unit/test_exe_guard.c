/* runtime/exe_guard.c's seal: F_SEAL_WRITE even while a page of the copy is briefly pinned. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "runtime/exe_guard.h"

struct pin {
	int pipe[2];
	long release_after_ms;
};

/*
 * A memfd of one page whose page a pipe holds a reference to (vmsplice from a
 * private read-only mapping, then unmapped): the kernel refuses F_SEAL_WRITE
 * with EBUSY until the pipe lets the page go.
 */
static int pinned_memfd(struct pin *pin)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd = memfd_create("pinned", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, page), 0);
	cr_assert_eq(pipe2(pin->pipe, O_CLOEXEC), 0);
	void *map = mmap(NULL, (size_t) page, PROT_READ, MAP_PRIVATE, fd, 0);
	cr_assert_neq(map, MAP_FAILED);
	struct iovec iov = { .iov_base = map, .iov_len = (size_t) page };
	cr_assert_eq(vmsplice(pin->pipe[1], &iov, 1, 0), (ssize_t) page);
	cr_assert_eq(munmap(map, (size_t) page), 0);
	return fd;
}

static void *release(void *arg)
{
	struct pin *pin = arg;
	char buf[65536];
	nanosleep(&(struct timespec){ .tv_sec = pin->release_after_ms / 1000,
				       .tv_nsec = (pin->release_after_ms % 1000) * 1000000 },
		  NULL);
	(void) !read(pin->pipe[0], buf, sizeof(buf));
	return NULL;
}

Test(exe_guard, a_pin_outliving_the_kernels_own_wait_still_ends_in_a_write_seal)
{
	struct pin pin = { .release_after_ms = 700 };
	int fd = pinned_memfd(&pin);
	/* The kernel alone gives up: the page is pinned for longer than it waits. */
	cr_assert_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
	cr_assert_eq(errno, EBUSY, "%s", strerror(errno));
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, release, &pin), 0);
	int r = exe_guard_seal(fd);
	pthread_join(t, NULL);
	cr_assert_eq(r, 0, "exe_guard_seal: %s", strerror(-r));
	int seals = fcntl(fd, F_GET_SEALS);
	cr_assert(seals & F_SEAL_WRITE && seals & F_SEAL_SEAL, "seals %#x", seals);
	cr_assert_eq(write(fd, "y", 1), -1, "a sealed copy must refuse writes");
	cr_assert_eq(errno, EPERM);
	close(fd);
	close(pin.pipe[0]);
	close(pin.pipe[1]);
}

Test(exe_guard, a_pin_that_stays_is_an_error_not_a_weaker_seal)
{
	struct pin pin = { 0 };
	int fd = pinned_memfd(&pin);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int r = exe_guard_seal(fd);
	clock_gettime(CLOCK_MONOTONIC, &b);
	cr_assert_eq(r, -EBUSY, "exe_guard_seal: %d", r);
	cr_assert_lt(b.tv_sec - a.tv_sec, 15, "the wait is bounded");
	cr_assert_eq(fcntl(fd, F_GET_SEALS) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL), 0,
		     "no weaker seal in its place, and the file can still be sealed later");
	close(fd);
	close(pin.pipe[0]);
	close(pin.pipe[1]);
}
