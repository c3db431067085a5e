#include "cgroups/device_filter.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/raw_syscall.h"

/*
 * A BPF_PROG_TYPE_CGROUP_DEVICE program is called with a struct
 * bpf_cgroup_dev_ctx: access_type = (access << 16) | type, major, minor; it
 * returns 1 to allow and 0 to deny. Registers while it runs: r6 = the
 * context; each rule loads what it compares into r2 = type, r1 = access
 * (MKNOD|READ|WRITE, masked), r4 = major, r5 = minor.
 * The rules are tested from the last to the first and the first match
 * decides, so a later rule overrides an earlier one, as the v1 devices
 * controller applies them in order. What no rule matches is allowed: a v1
 * devices cgroup starts from its parent's "a *:* rwm" too, and a config's
 * first rule is in practice "deny all".
 */

#define MAX_INSNS 4096

struct program {
	struct bpf_insn insns[MAX_INSNS];
	size_t len;
	bool overflow;
};

static void emit(struct program *p, struct bpf_insn insn)
{
	if (p->len < MAX_INSNS)
		p->insns[p->len++] = insn;
	else
		p->overflow = true;
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

static uint32_t access_bits(const char *access)
{
	uint32_t bits = 0;
	for (const char *c = access; *c; c++)
		bits |= *c == 'r' ? BPF_DEVCG_ACC_READ : *c == 'w' ? BPF_DEVCG_ACC_WRITE : *c == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
	return bits;
}

/*
 * One rule: every "does not match" jumps to the end of the block (patched once
 * its length is known). Returns whether the rule matches everything: then
 * nothing after it could run, and the verifier refuses unreachable code.
 */
static bool emit_rule(struct program *p, const struct device_rule *r)
{
	size_t jumps[5];
	size_t n_jumps = 0;
	uint32_t acc = access_bits(r->access);
	bool full = acc == (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD);

	/*
	 * What the rule compares is loaded afresh from the context (r6): no value
	 * known from an earlier rule's comparisons is live where a rule starts, so
	 * the verifier finds every path into it equal and checks it once.
	 */
	if (r->type == 'c' || r->type == 'b') {
		emit(p, insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_6, offsetof(struct bpf_cgroup_dev_ctx, access_type), 0));
		emit(p, insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xFFFF));
		jumps[n_jumps++] = p->len;
		emit(p, insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
			     r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
	}
	if (!full) {
		/* allow: every requested access is in the rule; deny: any of them is. */
		emit(p, insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_1, BPF_REG_6, offsetof(struct bpf_cgroup_dev_ctx, access_type), 0));
		emit(p, insn(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_1, 0, 0, 16));
		emit(p, insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (int32_t) (r->allow ? ~acc : acc)));
		jumps[n_jumps++] = p->len;
		emit(p, insn(BPF_JMP | (r->allow ? BPF_JNE : BPF_JEQ) | BPF_K, BPF_REG_1, 0, 0, 0));
	}
	if (r->major >= 0) {
		emit(p, insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_6, offsetof(struct bpf_cgroup_dev_ctx, major), 0));
		jumps[n_jumps++] = p->len;
		emit(p, insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t) r->major));
	}
	if (r->minor >= 0) {
		emit(p, insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_6, offsetof(struct bpf_cgroup_dev_ctx, minor), 0));
		jumps[n_jumps++] = p->len;
		emit(p, insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, (int32_t) r->minor));
	}
	emit(p, insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r->allow ? 1 : 0));
	emit(p, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	if (!p->overflow)
		for (size_t i = 0; i < n_jumps; i++)
			p->insns[jumps[i]].off = (int16_t) (p->len - jumps[i] - 1);
	return n_jumps == 0;
}

int device_filter_build(const struct device_rule *rules, size_t n, struct device_filter *ret)
{
	_cleanup_free_ struct program *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	emit(p, insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0));
	bool decided = false;
	for (size_t i = n; i-- > 0 && !decided;)
		decided = emit_rule(p, &rules[i]);
	if (!decided) {
		emit(p, insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1));
		emit(p, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	}
	if (p->overflow)
		return -E2BIG;
	struct bpf_insn *insns = malloc(p->len * sizeof(*insns));
	if (!insns)
		return -ENOMEM;
	memcpy(insns, p->insns, p->len * sizeof(*insns));
	*ret = (struct device_filter){ .insns = insns, .len = p->len, .prog_fd = -1 };
	return 0;
}

static int bpf(int cmd, union bpf_attr *attr)
{
	return (int) syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static void load_attr(const struct device_filter *f, union bpf_attr *load)
{
	memset(load, 0, sizeof(*load));
	load->prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	load->insns = (uint64_t) (uintptr_t) f->insns;
	load->insn_cnt = (uint32_t) f->len;
	load->license = (uint64_t) (uintptr_t) "Apache-2.0";
}

void device_filter_load(struct device_filter *f)
{
	union bpf_attr load;
	load_attr(f, &load);
	/* Without the verifier's log: it fills any buffer (ENOSPC) and slows the load; it is asked for only on failure. */
	long fd = raw_syscall3(SYS_bpf, BPF_PROG_LOAD, (long) &load, sizeof(load));
	f->prog_fd = fd < 0 ? -1 : (int) fd;
	f->load_error = fd < 0 ? (int) -fd : 0;
}

/* Detach every device program on the cgroup but `keep` (an update replaces the filter). */
static int detach_others(int cgroup_fd, int keep_fd)
{
	union bpf_attr info_attr;
	struct bpf_prog_info keep_info = { 0 };
	memset(&info_attr, 0, sizeof(info_attr));
	info_attr.info.bpf_fd = (uint32_t) keep_fd;
	info_attr.info.info_len = sizeof(keep_info);
	info_attr.info.info = (uint64_t) (uintptr_t) &keep_info;
	if (bpf(BPF_OBJ_GET_INFO_BY_FD, &info_attr) < 0)
		return -errno;

	uint32_t ids[64];
	union bpf_attr q;
	memset(&q, 0, sizeof(q));
	q.query.target_fd = (uint32_t) cgroup_fd;
	q.query.attach_type = BPF_CGROUP_DEVICE;
	q.query.prog_ids = (uint64_t) (uintptr_t) ids;
	q.query.prog_cnt = ARRAY_SIZE(ids);
	if (bpf(BPF_PROG_QUERY, &q) < 0)
		return -errno;
	for (uint32_t i = 0; i < q.query.prog_cnt; i++) {
		if (ids[i] == keep_info.id)
			continue;
		union bpf_attr g;
		memset(&g, 0, sizeof(g));
		g.prog_id = ids[i];
		_cleanup_close_ int old = bpf(BPF_PROG_GET_FD_BY_ID, &g);
		if (old < 0)
			return -errno;
		union bpf_attr d;
		memset(&d, 0, sizeof(d));
		d.target_fd = (uint32_t) cgroup_fd;
		d.attach_bpf_fd = (uint32_t) old;
		d.attach_type = BPF_CGROUP_DEVICE;
		if (bpf(BPF_PROG_DETACH, &d) < 0 && errno != ENOENT)
			return -errno;
	}
	return 0;
}

int device_filter_attach(struct device_filter *f, int cgroup_fd, berth_error **err)
{
	if (f->prog_fd < 0 && !f->load_error)
		device_filter_load(f);
	if (f->prog_fd < 0) {
		union bpf_attr load;
		char log[4096] = "";
		load_attr(f, &load);
		load.log_buf = (uint64_t) (uintptr_t) log;
		load.log_size = sizeof(log);
		load.log_level = 1;
		int again = bpf(BPF_PROG_LOAD, &load);
		if (again >= 0)
			close(again);
		/* The verifier's first line says why; one error line. */
		log[strcspn(log, "\n")] = '\0';
		return error_errno(err, f->load_error, "linux.resources.devices: load the device filter%s%s", *log ? ": " : "",
				   log);
	}

	union bpf_attr attach;
	memset(&attach, 0, sizeof(attach));
	attach.target_fd = (uint32_t) cgroup_fd;
	attach.attach_bpf_fd = (uint32_t) f->prog_fd;
	attach.attach_type = BPF_CGROUP_DEVICE;
	attach.attach_flags = BPF_F_ALLOW_MULTI;
	if (bpf(BPF_PROG_ATTACH, &attach) < 0)
		return error_errno(err, errno, "linux.resources.devices: attach the device filter to the cgroup");
	int r = detach_others(cgroup_fd, f->prog_fd);
	if (r < 0)
		return error_errno(err, -r, "linux.resources.devices: detach the previous device filter");
	return 0;
}

void device_filter_clear(struct device_filter *f)
{
	free(f->insns);
	if (f->prog_fd >= 0)
		close(f->prog_fd);
	*f = DEVICE_FILTER_INIT;
}
