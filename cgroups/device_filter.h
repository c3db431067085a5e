/* The cgroup v2 device filter: linux.resources.devices as an eBPF program attached to the container's cgroup. */
#pragma once

#include <linux/bpf.h>
#include <stddef.h>

#include "cgroups/devices.h"
#include "util/error.h"

/*
 * A device program, built ahead and loaded apart from its attachment: create
 * builds it before the init exists, loads it (the verifier's ~0.2 ms here) while
 * the init sets up, and attaches it at the init's first message, before any
 * hook runs or the init waits for start (runtime/container.c).
 */
struct device_filter {
	struct bpf_insn *insns;  /* NULL: no filter */
	size_t len;
	int prog_fd;             /* -1 until loaded */
	int load_error;          /* errno of a failed load, or 0 */
};

#define DEVICE_FILTER_INIT ((struct device_filter){ .prog_fd = -1 })

/* Assemble the program for rules (the last matching rule decides; no match allows). Returns 0 or -errno. */
int device_filter_build(const struct device_rule *rules, size_t n, struct device_filter *ret);

/*
 * Load the program. Only raw system calls, no errno, no allocation: berth may
 * call it while an init that shares its memory runs. A failure is kept for
 * device_filter_attach to report.
 */
void device_filter_load(struct device_filter *f);

/*
 * Attach the program (loading it first if need be) to the cgroup
 * (BPF_F_ALLOW_MULTI), then detach any device program attached before (an
 * update replaces the filter). No RLIMIT_MEMLOCK is needed: since Linux 5.11
 * BPF memory is charged to memcg.
 */
int device_filter_attach(struct device_filter *f, int cgroup_fd, berth_error **err);

void device_filter_clear(struct device_filter *f);
