#include "runtime/seccomp.h"

#include <ctype.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"

#include "util/json.h"

const char *const seccomp_supported_archs[] = {
	"SCMP_ARCH_X86",    "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",      "SCMP_ARCH_AARCH64",
	"SCMP_ARCH_MIPS",   "SCMP_ARCH_MIPS64",   "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",   "SCMP_ARCH_MIPSEL64",
	"SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",       "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",
	"SCMP_ARCH_S390X",  "SCMP_ARCH_PARISC",   "SCMP_ARCH_PARISC64",    "SCMP_ARCH_RISCV64",  NULL,
};

/* SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs libseccomp >= 2.6: not here. */
const char *const seccomp_supported_flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
						"SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL };

static int action_of(const char *name, const struct opt_uint *errno_ret, uint32_t *ret)
{
	uint32_t e = errno_ret && errno_ret->set ? (uint32_t) errno_ret->value : EPERM;
	if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
		*ret = SCMP_ACT_KILL_THREAD;
	else if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
		*ret = SCMP_ACT_KILL_PROCESS;
	else if (strcmp(name, "SCMP_ACT_TRAP") == 0)
		*ret = SCMP_ACT_TRAP;
	else if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
		*ret = SCMP_ACT_ERRNO(e);
	else if (strcmp(name, "SCMP_ACT_TRACE") == 0)
		*ret = SCMP_ACT_TRACE(e);
	else if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
		*ret = SCMP_ACT_ALLOW;
	else if (strcmp(name, "SCMP_ACT_LOG") == 0)
		*ret = SCMP_ACT_LOG;
	else if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
		*ret = SCMP_ACT_NOTIFY;
	else
		return -EINVAL;
	return 0;
}

static enum scmp_compare op_of(const char *name)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = { { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
		    { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
		    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ } };
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (strcmp(ops[i].name, name) == 0)
			return ops[i].op;
	return _SCMP_CMP_MIN;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's "x86_64". */
static uint32_t arch_of(const char *name)
{
	char lower[32];
	const char *p = strncmp(name, "SCMP_ARCH_", 10) == 0 ? name + 10 : name;
	size_t i = 0;
	for (; p[i] && i + 1 < sizeof(lower); i++)
		lower[i] = (char) tolower((unsigned char) p[i]);
	lower[i] = '\0';
	return seccomp_arch_resolve_name(lower);
}

static int add_rule(scmp_filter_ctx ctx, const struct oci_syscall *sc, size_t index, uint32_t default_action,
		    bool *ret_notify, berth_error **err)
{
	uint32_t action;
	if (action_of(sc->action, &sc->errno_ret, &action) < 0)
		return error_new(err, EINVAL, "linux.seccomp.syscalls[%zu].action: unknown \"%s\"", index, sc->action);
	/* A rule that repeats the default is a no-op that libseccomp refuses: skip it. */
	if (action == default_action)
		return 0;
	*ret_notify |= action == SCMP_ACT_NOTIFY;
	struct scmp_arg_cmp args[6];
	size_t n = sc->args.len < 6 ? sc->args.len : 6;
	bool same_index = false;
	for (size_t i = 0; i < n; i++) {
		const struct oci_seccomp_arg *a = &sc->args.items[i];
		args[i] = (struct scmp_arg_cmp){ (unsigned) a->index.value, op_of(a->op), a->value.value, a->value_two.value };
		for (size_t j = 0; j < i; j++)
			same_index |= args[j].arg == args[i].arg;
	}
	for (size_t k = 0; k < sc->names.len; k++) {
		int nr = seccomp_syscall_resolve_name(sc->names.items[k]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not known to this kernel/libseccomp: skipped, as runc does */
		int r = 0;
		if (same_index) {
			/* libseccomp ANDs the conditions of one rule; several on one argument mean "any of" (runc). */
			for (size_t i = 0; i < n && r == 0; i++)
				r = seccomp_rule_add_array(ctx, action, nr, 1, &args[i]);
		} else
			r = seccomp_rule_add_array(ctx, action, nr, (unsigned) n, args);
		if (r == -EDOM || r == -EOPNOTSUPP)
			continue; /* a syscall this architecture cannot filter this way */
		if (r < 0)
			return error_errno(err, -r, "linux.seccomp.syscalls[%zu]: add a rule for %s", index, sc->names.items[k]);
	}
	return 0;
}

/* The native architecture as seccomp_data.arch reports it. */
#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#define X32_SYSCALL_BIT 0x40000000u
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/* The highest native syscall number the profile names, or -1. */
static int highest_named(const struct oci_seccomp *s)
{
	int max = -1;
	for (size_t i = 0; i < s->syscalls.len; i++)
		for (size_t k = 0; k < s->syscalls.items[i].names.len; k++) {
			int nr = seccomp_syscall_resolve_name(s->syscalls.items[i].names.items[k]);
			if (nr > max)
				max = nr;
		}
	return max;
}

/*
 * The program: runc's "ENOSYS stub" in front of libseccomp's. A native
 * syscall newer than every syscall the profile names gets ENOSYS rather than
 * the default action (EPERM), so that a libc falls back to an older call
 * (clone3 -> clone, openat2 -> openat) as it would on an older kernel. Only
 * when the default action refuses; x32 and other architectures go through
 * libseccomp's program unchanged.
 */
static int export_with_enosys_stub(scmp_filter_ctx ctx, const struct oci_seccomp *s, uint32_t default_action,
				   struct seccomp_program *ret, berth_error **err)
{
	_cleanup_close_ int mem = memfd_create("berth-seccomp", MFD_CLOEXEC);
	if (mem < 0)
		return error_errno(err, errno, "linux.seccomp: memfd_create");
	int r = seccomp_export_bpf(ctx, mem);
	if (r < 0)
		return error_errno(err, -r, "linux.seccomp: compile the filter");
	off_t size = lseek(mem, 0, SEEK_END);
	if (size <= 0 || size % (off_t) sizeof(struct sock_filter) != 0)
		return error_new(err, EIO, "linux.seccomp: libseccomp exported %lld bytes of program", (long long) size);
	size_t n = (size_t) size / sizeof(struct sock_filter);
	enum { STUB = 7 };
	_cleanup_free_ struct sock_filter *prog = calloc(n + STUB, sizeof(*prog));
	if (!prog)
		return error_errno(err, ENOMEM, "linux.seccomp");
	if (pread(mem, prog + STUB, (size_t) size, 0) != size)
		return error_errno(err, EIO, "linux.seccomp: read the compiled filter");

	size_t start = STUB;
	int max = highest_named(s);
#ifdef NATIVE_AUDIT_ARCH
	bool refuses = default_action != SCMP_ACT_ALLOW && default_action != SCMP_ACT_LOG;
	if (refuses && max >= 0) {
		/* if (arch == native && max < nr && nr < x32 bit) return ENOSYS; then libseccomp's program */
		struct sock_filter stub[STUB] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 0, 4),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#ifdef X32_SYSCALL_BIT
			BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 2, 0),
#else
			BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0),
#endif
			BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t) max, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
			BPF_STMT(BPF_JMP | BPF_JA, 0),
		};
		memcpy(prog, stub, sizeof(stub));
		start = 0;
	}
#endif
	if (n + STUB - start > BPF_MAXINSNS)
		return error_new(err, E2BIG, "linux.seccomp: the filter has %zu instructions, more than the kernel's %d",
				 n + STUB - start, BPF_MAXINSNS);
	uint32_t v = 0;
	ret->flags = 0;
	if (seccomp_attr_get(ctx, SCMP_FLTATR_CTL_TSYNC, &v) == 0 && v)
		ret->flags |= SECCOMP_FILTER_FLAG_TSYNC;
	if (seccomp_attr_get(ctx, SCMP_FLTATR_CTL_LOG, &v) == 0 && v)
		ret->flags |= SECCOMP_FILTER_FLAG_LOG;
	if (seccomp_attr_get(ctx, SCMP_FLTATR_CTL_SSB, &v) == 0 && v)
		ret->flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
	ret->len = n + STUB - start;
	if (start)
		memmove(prog, prog + start, ret->len * sizeof(*prog));
	ret->insns = TAKE_PTR(prog);
	return 0;
}

int seccomp_program_load(const struct seccomp_program *p, int *ret_notify_fd, berth_error **err)
{
	struct sock_fprog fprog = { .len = (unsigned short) p->len, .filter = p->insns };
	unsigned int flags = p->flags | (p->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
	*ret_notify_fd = -1;
	long ret = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
	if (ret < 0)
		return error_errno(err, errno, "linux.seccomp: load the filter");
	if (p->notify)
		*ret_notify_fd = (int) ret;
	return 0;
}

void seccomp_program_clear(struct seccomp_program *p)
{
	free(p->insns);
	*p = (struct seccomp_program){ 0 };
}

int seccomp_compile(const struct oci_seccomp *s, struct seccomp_program *ret, berth_error **err)
{
	uint32_t default_action;
	bool notify = false;
	int r;

	*ret = (struct seccomp_program){ 0 };
	if (action_of(s->default_action, &s->default_errno_ret, &default_action) < 0)
		return error_new(err, EINVAL, "linux.seccomp.defaultAction: unknown \"%s\"", s->default_action);
	scmp_filter_ctx ctx = seccomp_init(default_action);
	if (!ctx)
		return error_new(err, EINVAL, "linux.seccomp: libseccomp refused the default action");
	/* process.noNewPrivileges is berth's to apply: libseccomp would set it whatever the config says. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0) {
		r = error_new(err, EINVAL, "linux.seccomp: libseccomp refused to leave no_new_privs alone");
		goto out;
	}
	for (size_t i = 0; i < s->architectures.len; i++) {
		uint32_t arch = arch_of(s->architectures.items[i]);
		if (arch == 0) {
			r = error_new(err, ENOTSUP, "linux.seccomp.architectures[%zu]: %s is not known to libseccomp", i,
				      s->architectures.items[i]);
			goto out;
		}
		r = seccomp_arch_add(ctx, arch);
		/* EDOM: an architecture that cannot share a filter with this one (other endianness): no
		 * process on this host can make its syscalls, so there is nothing to filter. */
		if (r < 0 && r != -EEXIST && r != -EDOM) {
			r = error_errno(err, -r, "linux.seccomp.architectures[%zu]: add %s", i, s->architectures.items[i]);
			goto out;
		}
	}
	for (size_t i = 0; i < s->flags.len; i++) {
		const char *f = s->flags.items[i];
		enum scmp_filter_attr attr = strcmp(f, "SECCOMP_FILTER_FLAG_TSYNC") == 0	 ? SCMP_FLTATR_CTL_TSYNC
					     : strcmp(f, "SECCOMP_FILTER_FLAG_LOG") == 0	 ? SCMP_FLTATR_CTL_LOG
					     : strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0 ? SCMP_FLTATR_CTL_SSB
											 : _SCMP_FLTATR_MIN;
		if (attr == _SCMP_FLTATR_MIN || seccomp_attr_set(ctx, attr, 1) < 0) {
			r = error_new(err, ENOTSUP, "linux.seccomp.flags[%zu]: %s is not supported by this build (libseccomp %u.%u)",
				      i, f, seccomp_version()->major, seccomp_version()->minor);
			goto out;
		}
	}
	for (size_t i = 0; i < s->syscalls.len; i++) {
		r = add_rule(ctx, &s->syscalls.items[i], i, default_action, &notify, err);
		if (r < 0)
			goto out;
	}
	r = export_with_enosys_stub(ctx, s, default_action, ret, err);
	ret->notify = notify;
out:
	seccomp_release(ctx);
	return r;
}

int seccomp_send_listener(const struct oci_seccomp *s, int notify_fd, const char *state_json, int pid,
			  berth_error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	_cleanup_free_ char *json = NULL;

	if (!s->listener_path)
		return error_new(err, EINVAL, "linux.seccomp: SCMP_ACT_NOTIFY needs listenerPath");
	if (strlen(s->listener_path) >= sizeof(addr.sun_path))
		return error_new(err, ENAMETOOLONG, "linux.seccomp.listenerPath: too long");
	strcpy(addr.sun_path, s->listener_path);
	/* runtime-spec: the container process state, naming the passed fd "seccompFd". */
	_cleanup_json_gen_ yajl_gen g = json_gen_new(NULL);
	if (!g)
		return error_errno(err, ENOMEM, "seccomp listener");
	char pid_text[16];
	int pid_len = snprintf(pid_text, sizeof(pid_text), "%d", pid);
	yajl_gen_map_open(g);
	json_gen_cstring(g, "ociVersion");
	json_gen_cstring(g, OCI_SPEC_VERSION);
	json_gen_cstring(g, "fds");
	yajl_gen_array_open(g);
	json_gen_cstring(g, "seccompFd");
	yajl_gen_array_close(g);
	json_gen_cstring(g, "pid");
	yajl_gen_number(g, pid_text, (size_t) pid_len);
	json_gen_cstring(g, "metadata");
	json_gen_cstring(g, s->listener_metadata ? s->listener_metadata : "");
	json_gen_cstring(g, "state");
	yajl_gen_number(g, state_json, strlen(state_json)); /* already JSON: inserted verbatim */
	yajl_gen_map_close(g);
	int r = json_gen_finish(g, &json, NULL, err);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0)
		return error_errno(err, errno, "linux.seccomp.listenerPath: connect to `%s`", s->listener_path);
	struct iovec iov = { .iov_base = json, .iov_len = strlen(json) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &notify_fd, sizeof(int));
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		return error_errno(err, errno, "linux.seccomp.listenerPath: send to `%s`", s->listener_path);
	return 0;
}
