#include "runtime/process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <linux/ioprio.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci/config_check.h"
#include "util/fs.h"

static const char *const rlimit_names[] = {
	[RLIMIT_AS] = "RLIMIT_AS",           [RLIMIT_CORE] = "RLIMIT_CORE",       [RLIMIT_CPU] = "RLIMIT_CPU",
	[RLIMIT_DATA] = "RLIMIT_DATA",       [RLIMIT_FSIZE] = "RLIMIT_FSIZE",     [RLIMIT_LOCKS] = "RLIMIT_LOCKS",
	[RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK", [RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
	[RLIMIT_NOFILE] = "RLIMIT_NOFILE",   [RLIMIT_NPROC] = "RLIMIT_NPROC",     [RLIMIT_RSS] = "RLIMIT_RSS",
	[RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",   [RLIMIT_RTTIME] = "RLIMIT_RTTIME",   [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
	[RLIMIT_STACK] = "RLIMIT_STACK",
};

static int rlimit_resource(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (rlimit_names[i] && strcmp(rlimit_names[i], name) == 0)
			return (int) i;
	return -1;
}

/* Write to a file under /proc/self after checking that /proc really is procfs (not a planted mount). */
static int write_proc_self(const char *file, const char *value, berth_error **err)
{
	_cleanup_close_ int proc = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (proc < 0)
		return error_errno(err, errno, "open /proc/self");
	/* The file itself is checked to be procfs: that covers a /proc that is not, too. */
	_cleanup_close_ int fd = open_proc_file(proc, file, O_WRONLY);
	if (fd == -EXDEV)
		return error_new(err, EPERM, "/proc/self/%s is not procfs (a mount over it?): refusing to write there", file);
	if (fd < 0)
		return error_errno(err, -fd, "open /proc/self/%s", file);
	int r = write_all(fd, value, strlen(value));
	return r < 0 ? error_errno(err, -r, "write /proc/self/%s", file) : 0;
}

static int apply_scheduler(const struct oci_scheduler *s, berth_error **err)
{
	static const struct {
		const char *name;
		unsigned value;
	} policies[] = { { "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO }, { "SCHED_RR", SCHED_RR },
			 { "SCHED_BATCH", SCHED_BATCH }, { "SCHED_ISO", 4 },           { "SCHED_IDLE", SCHED_IDLE },
			 { "SCHED_DEADLINE", 6 } };
	static const struct {
		const char *name;
		unsigned long long value;
	} flags[] = { { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
		      { "SCHED_FLAG_DL_OVERRUN", 0x04 },    { "SCHED_FLAG_KEEP_POLICY", 0x08 },
		      { "SCHED_FLAG_KEEP_PARAMS", 0x10 },   { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
		      { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 } };
	struct {
		uint32_t size, policy;
		uint64_t flags;
		int32_t nice;
		uint32_t priority;
		uint64_t runtime, deadline, period;
	} attr = { .size = 48 };
	for (size_t i = 0; i < ARRAY_SIZE(policies); i++)
		if (strcmp(policies[i].name, s->policy) == 0)
			attr.policy = policies[i].value;
	for (size_t i = 0; i < s->flags.len; i++)
		for (size_t j = 0; j < ARRAY_SIZE(flags); j++)
			if (strcmp(flags[j].name, s->flags.items[i]) == 0)
				attr.flags |= flags[j].value;
	attr.nice = (int32_t) s->nice.value;
	attr.priority = (uint32_t) s->priority.value;
	attr.runtime = s->runtime.value;
	attr.deadline = s->deadline.value;
	attr.period = s->period.value;
	if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
		return error_errno(err, errno, "process.scheduler: sched_setattr(%s)", s->policy);
	return 0;
}

/* linux.memoryPolicy: "0-3,7" as a node mask for set_mempolicy. */
static int parse_nodes(const char *text, unsigned long *mask, size_t words)
{
	const char *p = text;
	while (*p) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			return -EINVAL;
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p || b < a)
				return -EINVAL;
		}
		if (b >= words * 8 * sizeof(unsigned long))
			return -ERANGE;
		for (unsigned long n = a; n <= b; n++)
			mask[n / (8 * sizeof(unsigned long))] |= 1UL << (n % (8 * sizeof(unsigned long)));
		if (*end == ',')
			end++;
		else if (*end)
			return -EINVAL;
		p = end;
	}
	return 0;
}

static int apply_memory_policy(const struct oci_memory_policy *m, berth_error **err)
{
	/* The kernel's numbering (linux/mempolicy.h; weighted interleave is Linux 6.9's). */
	static const char *const modes[] = { "MPOL_DEFAULT", "MPOL_PREFERRED", "MPOL_BIND", "MPOL_INTERLEAVE",
					     "MPOL_LOCAL", "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE" };
	int mode = -1;
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		if (strcmp(m->mode, modes[i]) == 0)
			mode = (int) i;
	if (mode < 0)
		return error_new(err, EINVAL, "linux.memoryPolicy.mode: unknown \"%s\"", m->mode);
	for (size_t i = 0; i < m->flags.len; i++)
		mode |= strcmp(m->flags.items[i], "MPOL_F_STATIC_NODES") == 0     ? 1 << 15
			: strcmp(m->flags.items[i], "MPOL_F_RELATIVE_NODES") == 0 ? 1 << 14
										  : 1 << 13; /* NUMA_BALANCING */
	unsigned long mask[1024 / (8 * sizeof(unsigned long))] = { 0 };
	int r = m->nodes ? parse_nodes(m->nodes, mask, ARRAY_SIZE(mask)) : 0;
	if (r < 0)
		return error_new(err, -r, "linux.memoryPolicy.nodes: expected node numbers and ranges such as 0-3,7, got \"%s\"",
				 m->nodes);
	bool any = false;
	for (size_t i = 0; i < ARRAY_SIZE(mask); i++)
		any |= mask[i] != 0;
	if (syscall(SYS_set_mempolicy, mode, any ? mask : NULL, any ? (unsigned long) (8 * sizeof(mask)) : 0UL) < 0)
		return error_errno(err, errno, "linux.memoryPolicy: set_mempolicy(%s%s%s)", m->mode, any ? ", " : "",
				   any ? m->nodes : "");
	return 0;
}

int process_apply_oom_score_adj(const struct oci_process *p, berth_error **err)
{
	if (!p->oom_score_adj.set)
		return 0;
	char value[16];
	snprintf(value, sizeof(value), "%lld", (long long) p->oom_score_adj.value);
	int r = write_proc_self("oom_score_adj", value, err);
	return r < 0 ? error_prefix(err, "process.oomScoreAdj") : 0;
}

int process_apply_limits(const struct oci_process *p, const struct oci_linux *l, berth_error **err)
{
	for (size_t i = 0; i < p->rlimits.len; i++) {
		const struct oci_rlimit *rl = &p->rlimits.items[i];
		struct rlimit lim = { .rlim_cur = rl->soft.value, .rlim_max = rl->hard.value };
		if (setrlimit(rlimit_resource(rl->type), &lim) < 0)
			return error_errno(err, errno, "process.rlimits[%zu]: setrlimit(%s, soft %llu, hard %llu)", i, rl->type,
					   (unsigned long long) lim.rlim_cur, (unsigned long long) lim.rlim_max);
	}
	if (p->io_priority) {
		int klass = strcmp(p->io_priority->klass, "IOPRIO_CLASS_RT") == 0   ? IOPRIO_CLASS_RT
			    : strcmp(p->io_priority->klass, "IOPRIO_CLASS_BE") == 0 ? IOPRIO_CLASS_BE
										  : IOPRIO_CLASS_IDLE;
		if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_PRIO_VALUE(klass, p->io_priority->priority.value)) < 0)
			return error_errno(err, errno, "process.ioPriority: ioprio_set");
	}
	if (p->scheduler) {
		int r = apply_scheduler(p->scheduler, err);
		if (r < 0)
			return r;
	}
	if (l && l->personality) {
		unsigned long domain = strcmp(l->personality->domain, "LINUX32") == 0 ? PER_LINUX32 : PER_LINUX;
		if (personality(domain) < 0)
			return error_errno(err, errno, "linux.personality: personality(%s)", l->personality->domain);
	}
	if (l && l->memory_policy) {
		int r = apply_memory_policy(l->memory_policy, err);
		if (r < 0)
			return r;
	}
	if (p->user && p->user->umask.set)
		umask((mode_t) (p->user->umask.value & 0777));
	return 0;
}

int process_apply_labels(const struct oci_process *p, berth_error **err)
{
	if (p->apparmor_profile && *p->apparmor_profile) {
		char value[512];
		snprintf(value, sizeof(value), "exec %s", p->apparmor_profile);
		if (access("/sys/kernel/security/apparmor", F_OK) < 0)
			return error_new(err, ENOTSUP, "process.apparmorProfile: AppArmor is not enabled on this host");
		int r = write_proc_self("attr/apparmor/exec", value, err);
		if (r < 0)
			return error_prefix(err, "process.apparmorProfile");
	}
	if (p->selinux_label && *p->selinux_label) {
		if (access("/sys/fs/selinux/enforce", F_OK) < 0)
			return error_new(err, ENOTSUP, "process.selinuxLabel: SELinux is not enabled on this host");
		int r = write_proc_self("attr/exec", p->selinux_label, err);
		if (r < 0)
			return error_prefix(err, "process.selinuxLabel");
	}
	return 0;
}

/* Add the capabilities named in list to set `which` of caps; unknown names (warned about at parse) are skipped. */
static int caps_add(cap_t caps, cap_flag_t which, const struct string_list *list)
{
	for (size_t i = 0; i < list->len; i++) {
		cap_value_t v;
		if (!oci_capability_known(list->items[i]) || cap_from_name(list->items[i], &v) < 0)
			continue;
		if (cap_set_flag(caps, which, 1, &v, CAP_SET) < 0)
			return -errno;
	}
	return 0;
}

static bool list_has(const struct string_list *list, cap_value_t v)
{
	for (size_t i = 0; i < list->len; i++) {
		cap_value_t x;
		if (oci_capability_known(list->items[i]) && cap_from_name(list->items[i], &x) == 0 && x == v)
			return true;
	}
	return false;
}

int process_apply_credentials(const struct oci_process *p, bool in_user_namespace, berth_error **err)
{
	const struct oci_capabilities *c = p->capabilities;
	uid_t uid = p->user ? (uid_t) p->user->uid.value : 0;
	gid_t gid = p->user ? (gid_t) p->user->gid.value : 0;

	if (c) {
		/* Bounding first: it needs CAP_SETPCAP, which the user switch may take away. */
		for (cap_value_t v = 0; v <= cap_max_bits() - 1; v++)
			if (!list_has(&c->bounding, v) && cap_drop_bound(v) < 0 && errno != EINVAL)
				return error_errno(err, errno, "process.capabilities.bounding: drop %s", cap_to_name(v));
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return error_errno(err, errno, "keep capabilities across the user switch");
	}
	if (p->user) {
		size_t n = p->user->additional_gids.len;
		gid_t *groups = calloc(n ? n : 1, sizeof(gid_t));
		if (!groups)
			return error_errno(err, ENOMEM, "process.user");
		for (size_t i = 0; i < n; i++)
			groups[i] = (gid_t) p->user->additional_gids.items[i];
		/* With setgroups denied (an unprivileged user namespace), only an empty list is possible. */
		int r = setgroups(n, groups);
		free(groups);
		if (r < 0 && !(in_user_namespace && errno == EPERM && n == 0))
			return error_errno(err, errno, "process.user.additionalGids: setgroups");
	}
	if (setresgid(gid, gid, gid) < 0)
		return error_errno(err, errno, "process.user.gid: setresgid(%u)", (unsigned) gid);
	if (setresuid(uid, uid, uid) < 0)
		return error_errno(err, errno, "process.user.uid: setresuid(%u)", (unsigned) uid);
	if (c) {
		if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
			return error_errno(err, errno, "clear keep-capabilities");
		cap_t caps = cap_init();
		if (!caps)
			return error_errno(err, errno, "process.capabilities");
		int r = caps_add(caps, CAP_EFFECTIVE, &c->effective);
		if (r == 0)
			r = caps_add(caps, CAP_PERMITTED, &c->permitted);
		if (r == 0)
			r = caps_add(caps, CAP_INHERITABLE, &c->inheritable);
		if (r == 0 && cap_set_proc(caps) < 0)
			r = -errno;
		cap_free(caps);
		if (r < 0)
			return error_errno(err, -r, "process.capabilities: set effective, permitted and inheritable");
		/* One prctl: libcap's cap_reset_ambient() first probes every capability with IS_SET (41 syscalls). */
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
			return error_errno(err, errno, "process.capabilities.ambient: reset");
		for (size_t i = 0; i < c->ambient.len; i++) {
			cap_value_t v;
			if (!oci_capability_known(c->ambient.items[i]) || cap_from_name(c->ambient.items[i], &v) < 0)
				continue;
			/* The kernel only raises what is permitted and inheritable; runc skips the rest too. */
			if (!list_has(&c->inheritable, v) || !list_has(&c->permitted, v))
				continue;
			if (cap_set_ambient(v, CAP_SET) < 0)
				return error_errno(err, errno, "process.capabilities.ambient: raise %s", c->ambient.items[i]);
		}
	}
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return error_errno(err, errno, "process.noNewPrivileges");
	return 0;
}

int process_apply_cpu_affinity(const char *cpus, const char *which, berth_error **err)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	const char *s = cpus;
	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;
		if (end == s)
			return error_new(err, EINVAL, "process.execCPUAffinity.%s: \"%s\" is not a CPU list", which, cpus);
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s || b < a)
				return error_new(err, EINVAL, "process.execCPUAffinity.%s: \"%s\" is not a CPU list", which, cpus);
		}
		for (unsigned long c = a; c <= b && c < CPU_SETSIZE; c++)
			CPU_SET(c, &set);
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return error_new(err, EINVAL, "process.execCPUAffinity.%s: \"%s\" is not a CPU list", which, cpus);
	}
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return error_errno(err, errno, "process.execCPUAffinity.%s: sched_setaffinity(%s)", which, cpus);
	return 0;
}

/* The user's home in the container's /etc/passwd, read without NSS (no library of the image is loaded); NULL if none. */
static char *passwd_home(uid_t uid)
{
	int fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	FILE *f = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? fdopen(fd, "re") : NULL;
	if (!f) {
		close(fd);
		return NULL;
	}
	char *home = NULL;
	struct passwd *pw;
	while (!home && (pw = fgetpwent(f)))
		if (pw->pw_uid == uid && pw->pw_dir && pw->pw_dir[0])
			home = strdup(pw->pw_dir);
	fclose(f);
	return home;
}

char **process_env_with_home(char *const *env, uid_t uid)
{
	size_t n = 0;
	for (; env && env[n]; n++)
		if (strncmp(env[n], "HOME=", 5) == 0)
			return (char **) env;
	char **out = calloc(n + 2, sizeof(char *));
	if (!out)
		return NULL;
	if (n)
		memcpy(out, env, n * sizeof(char *));
	_cleanup_free_ char *home = passwd_home(uid);
	if (asprintf(&out[n], "HOME=%s", home ? home : "/") < 0) {
		free(out);
		return NULL;
	}
	return out;
}

int process_find_executable(const struct oci_process *p, char **ret_path, berth_error **err)
{
	const char *name = p->args.items[0];
	if (strchr(name, '/')) {
		if (access(name, F_OK) < 0)
			return error_errno(err, errno, "exec: \"%s\"", name);
		*ret_path = strdup(name);
		return *ret_path ? 0 : -ENOMEM;
	}
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (size_t i = 0; i < p->env.len; i++)
		if (strncmp(p->env.items[i], "PATH=", 5) == 0)
			path = p->env.items[i] + 5;
	_cleanup_free_ char *dirs = strdup(path);
	if (!dirs)
		return -ENOMEM;
	for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *candidate = NULL;
		struct stat st;
		if (asprintf(&candidate, "%s/%s", dir, name) < 0)
			return -ENOMEM;
		if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) {
			*ret_path = candidate;
			return 0;
		}
		free(candidate);
	}
	return error_new(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}
