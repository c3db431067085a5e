/* The cgroup v2 device filter: linux.resources.devices as an eBPF program attached to the container's cgroup. */
#pragma once

#include <linux/bpf.h>
#include <stddef.h>

#include "cgroups/devices.h"
#include "util/error.h"

/* Assemble the program for rules (the last matching rule decides; no match allows). Caller frees. */
int device_filter_build(const struct device_rule *rules, size_t n, struct bpf_insn **ret, size_t *ret_len);

/*
 * Load the program and attach it to the cgroup (BPF_F_ALLOW_MULTI), then
 * detach any device program attached before (an update replaces the filter).
 * No RLIMIT_MEMLOCK is needed: since Linux 5.11 BPF memory is charged to memcg.
 */
int device_filter_attach(int cgroup_fd, const struct device_rule *rules, size_t n, berth_error **err);
