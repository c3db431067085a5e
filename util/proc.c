#include "util/proc.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/fs.h"

int proc_start_time(pid_t pid, uint64_t *ret_start_time, char *ret_state)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	/* comm may contain spaces and parentheses: fields start after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EIO;
	p += 2;
	char state = *p;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EIO;
		p++;
	}
	if (ret_start_time)
		*ret_start_time = strtoull(p, NULL, 10);
	if (ret_state)
		*ret_state = state;
	return 0;
}

bool proc_is_alive(pid_t pid, uint64_t start_time)
{
	uint64_t now_start = 0;
	char state = 0;
	if (pid <= 0 || proc_start_time(pid, &now_start, &state) < 0)
		return false;
	return now_start == start_time && state != 'Z' && state != 'X';
}

int pidfd_open_pid(pid_t pid)
{
	int fd = (int) syscall(SYS_pidfd_open, pid, 0);
	return fd < 0 ? -errno : fd;
}

int pidfd_send(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

static const struct {
	const char *name;
	int number;
} signal_names[] = {
	{ "ABRT", SIGABRT },   { "ALRM", SIGALRM }, { "BUS", SIGBUS },   { "CHLD", SIGCHLD },   { "CONT", SIGCONT },
	{ "FPE", SIGFPE },     { "HUP", SIGHUP },   { "ILL", SIGILL },   { "INT", SIGINT },     { "IO", SIGIO },
	{ "IOT", SIGIOT },     { "KILL", SIGKILL }, { "PIPE", SIGPIPE }, { "POLL", SIGPOLL },   { "PROF", SIGPROF },
	{ "PWR", SIGPWR },     { "QUIT", SIGQUIT }, { "SEGV", SIGSEGV }, { "STKFLT", SIGSTKFLT }, { "STOP", SIGSTOP },
	{ "SYS", SIGSYS },     { "TERM", SIGTERM }, { "TRAP", SIGTRAP }, { "TSTP", SIGTSTP },   { "TTIN", SIGTTIN },
	{ "TTOU", SIGTTOU },   { "URG", SIGURG },   { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },   { "VTALRM", SIGVTALRM },
	{ "WINCH", SIGWINCH }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
};

int signal_parse(const char *name)
{
	if (!name || !*name)
		return -EINVAL;
	if (isdigit((unsigned char) name[0])) {
		char *end = NULL;
		errno = 0;
		long n = strtol(name, &end, 10);
		if (errno || *end || n <= 0 || n > SIGRTMAX)
			return -EINVAL;
		return (int) n;
	}
	const char *bare = strncasecmp(name, "SIG", 3) == 0 ? name + 3 : name;
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++)
		if (strcasecmp(signal_names[i].name, bare) == 0)
			return signal_names[i].number;
	if (strncasecmp(bare, "RTMIN", 5) == 0 || strncasecmp(bare, "RTMAX", 5) == 0) {
		bool min = strncasecmp(bare, "RTMIN", 5) == 0;
		const char *rest = bare + 5;
		long off = 0;
		if (*rest) {
			char *end = NULL;
			errno = 0;
			off = strtol(rest, &end, 10);
			/* Bounded before the sum: "RTMIN+99999999999999999999" saturated strtol and overflowed it. */
			if (errno || *end || (min && off < 0) || (!min && off > 0) || off > 64 || off < -64)
				return -EINVAL;
		}
		long n = (min ? SIGRTMIN : SIGRTMAX) + off;
		return n >= SIGRTMIN && n <= SIGRTMAX ? (int) n : -EINVAL;
	}
	return -EINVAL;
}

/*
 * glibc's gmtime_r loads the local time zone on its first call (/etc/localtime:
 * seven syscalls and the parser's page faults on every create) though UTC
 * needs none. Days since the epoch to a proleptic Gregorian date, in 400-year
 * eras of 146097 days whose years start on March 1 (leap day last).
 */
void time_utc(int64_t t, struct time_utc *ret)
{
	int64_t days = t / 86400, secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	int64_t z = days + 719468; /* days from 0000-03-01 */
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t day_of_era = z - era * 146097;
	int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
	int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	int64_t month_from_march = (5 * day_of_year + 2) / 153;
	int month = (int) (month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
	*ret = (struct time_utc){
		.year = year_of_era + era * 400 + (month <= 2),
		.month = month,
		.day = (int) (day_of_year - (153 * month_from_march + 2) / 5 + 1),
		.hour = (int) (secs / 3600),
		.minute = (int) (secs / 60 % 60),
		.second = (int) (secs % 60),
	};
}

void time_rfc3339(char *buf, size_t size, bool nanoseconds)
{
	struct timespec ts;
	struct time_utc u;
	clock_gettime(CLOCK_REALTIME, &ts);
	time_utc(ts.tv_sec, &u);
	int n = snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long) u.year, u.month, u.day, u.hour,
			 u.minute, u.second);
	if (n > 0 && (size_t) n < size && nanoseconds)
		snprintf(buf + n, size - (size_t) n, ".%09ldZ", ts.tv_nsec);
	else if (n > 0 && (size_t) n < size)
		snprintf(buf + n, size - (size_t) n, "Z");
}

int pid_file_write(const char *path, pid_t pid, berth_error **err)
{
	char buf[16], tmp[PATH_MAX];
	int len = snprintf(buf, sizeof(buf), "%d", (int) pid);
	/*
	 * Atomic: the shim and conmon read it the moment create returns. The
	 * temporary name is unpredictable and made with O_EXCL: whatever else is
	 * in that directory (a link planted by someone who can write it) is never
	 * opened, truncated or renamed.
	 */
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int) sizeof(tmp))
		return error_new(err, ENAMETOOLONG, "--pid-file: path too long");
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return error_errno(err, errno, "--pid-file: create a file beside `%s`", path);
	int r = fchmod(fd, 0644) < 0 ? -errno : write_all(fd, buf, (size_t) len);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return error_errno(err, -r, "--pid-file: write `%s`", path);
	}
	return 0;
}

void fault_point(const char *name)
{
	const char *f = getenv("BERTH_FAULT");
	if (f && strcmp(f, name) == 0)
		raise(SIGKILL);
}

int proc_pid_namespace_members(pid_t init, pid_t **ret_pids, size_t *ret_len)
{
	char path[64];
	struct stat own, theirs;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int) init);
	if (stat(path, &theirs) < 0)
		return -errno;
	size_t len = 0, cap = 16;
	pid_t *pids = malloc(cap * sizeof(*pids));
	if (!pids)
		return -ENOMEM;
	bool shared = stat("/proc/self/ns/pid", &own) < 0 || (own.st_ino == theirs.st_ino && own.st_dev == theirs.st_dev);
	_cleanup_closedir_ DIR *d = shared ? NULL : opendir("/proc");
	if (shared)
		pids[len++] = init;
	else if (!d) {
		free(pids);
		return -errno;
	}
	for (struct dirent *e; d && (e = readdir(d));) {
		struct stat st;
		char ns[sizeof(e->d_name) + 8];
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(ns, sizeof(ns), "%s/ns/pid", e->d_name);
		if (fstatat(dirfd(d), ns, &st, 0) < 0 || st.st_ino != theirs.st_ino || st.st_dev != theirs.st_dev)
			continue;
		if (len == cap) {
			pid_t *more = realloc(pids, (cap *= 2) * sizeof(*pids));
			if (!more) {
				free(pids);
				return -ENOMEM;
			}
			pids = more;
		}
		pids[len++] = (pid_t) atoi(e->d_name);
	}
	*ret_pids = pids;
	*ret_len = len;
	return 0;
}

pid_t proc_hold(unsigned long clone_flags)
{
	/* Raw clone with no stack: fork semantics, with namespace flags fork cannot take. */
	pid_t pid = (pid_t) syscall(SYS_clone, clone_flags | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

void proc_release(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}
