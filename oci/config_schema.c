/*
 * The field tables of the runtime-spec 1.3.0 config (config.md, config-linux.md),
 * in the spec's Go field order so emitted JSON reads like runc's. Each line is
 * one JSON field: its C member, its JSON name, its kind and its rules.
 */
#include "oci/config.h"

#include <stdint.h>

#include "oci/config_check.h"
#include "util/fs.h"

#define REQ .flags = MODEL_REQUIRED
#define ALWAYS .flags = MODEL_EMIT_ALWAYS
#define REQ_ALWAYS .flags = MODEL_REQUIRED | MODEL_EMIT_ALWAYS
#define U16 UINT16_MAX
#define U32 UINT32_MAX
#define U64 UINT64_MAX

const char *const oci_namespace_names[OCI_NS_COUNT] = {
	[OCI_NS_PID] = "pid",   [OCI_NS_NETWORK] = "network", [OCI_NS_MOUNT] = "mount",
	[OCI_NS_IPC] = "ipc",   [OCI_NS_UTS] = "uts",         [OCI_NS_USER] = "user",
	[OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
};

static const char *const propagation_names[OCI_PROPAGATION_COUNT] = {
	[OCI_PROPAGATION_SHARED] = "shared",        [OCI_PROPAGATION_SLAVE] = "slave",
	[OCI_PROPAGATION_PRIVATE] = "private",      [OCI_PROPAGATION_UNBINDABLE] = "unbindable",
	[OCI_PROPAGATION_RSHARED] = "rshared",      [OCI_PROPAGATION_RSLAVE] = "rslave",
	[OCI_PROPAGATION_RPRIVATE] = "rprivate",    [OCI_PROPAGATION_RUNBINDABLE] = "runbindable",
};

static const char *const rlimit_names[] = {
	"RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",       "RLIMIT_DATA",   "RLIMIT_FSIZE",
	"RLIMIT_LOCKS",  "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE",   "RLIMIT_NOFILE",
	"RLIMIT_NPROC",  "RLIMIT_RSS",    "RLIMIT_RTPRIO",    "RLIMIT_RTTIME", "RLIMIT_SIGPENDING",
	"RLIMIT_STACK",  NULL,
};

static const char *const io_priority_classes[] = { "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE",
						   NULL };

static const char *const scheduler_policies[] = { "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",      "SCHED_BATCH",
						  "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE", NULL };

static const char *const scheduler_flags[] = { "SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",
					       "SCHED_FLAG_DL_OVERRUN",     "SCHED_FLAG_KEEP_POLICY",
					       "SCHED_FLAG_KEEP_PARAMS",    "SCHED_FLAG_UTIL_CLAMP_MIN",
					       "SCHED_FLAG_UTIL_CLAMP_MAX", NULL };

static const char *const device_types[] = { "c", "b", "u", "p", NULL };
static const char *const device_rule_types[] = { "a", "c", "b", NULL };

static const char *const seccomp_actions[] = { "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
					       "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
					       "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
					       NULL };

static const char *const seccomp_operators[] = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
						 "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL };

static const char *const seccomp_archs[] = {
	"SCMP_ARCH_X86",        "SCMP_ARCH_X86_64",    "SCMP_ARCH_X32",     "SCMP_ARCH_ARM",
	"SCMP_ARCH_AARCH64",    "SCMP_ARCH_MIPS",      "SCMP_ARCH_MIPS64",  "SCMP_ARCH_MIPS64N32",
	"SCMP_ARCH_MIPSEL",     "SCMP_ARCH_MIPSEL64",  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
	"SCMP_ARCH_PPC64",      "SCMP_ARCH_PPC64LE",   "SCMP_ARCH_S390",    "SCMP_ARCH_S390X",
	"SCMP_ARCH_PARISC",     "SCMP_ARCH_PARISC64",  "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
	"SCMP_ARCH_M68K",       "SCMP_ARCH_SH",        "SCMP_ARCH_SHEB",    NULL,
};

static const char *const seccomp_flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
					     "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
					     "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL };

static const char *const personality_domains[] = { "LINUX", "LINUX32", NULL };

static const char *const memory_policy_modes[] = { "MPOL_DEFAULT",     "MPOL_BIND",           "MPOL_INTERLEAVE",
						   "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED",
						   "MPOL_PREFERRED_MANY",      "MPOL_LOCAL", NULL };

static const char *const memory_policy_flags[] = { "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES",
						   "MPOL_F_STATIC_NODES", NULL };

/* ---- shared leaves ---- */

static const struct model_field id_mapping_fields[] = {
	F_UINT(struct oci_id_mapping, container_id, "containerID", U32, REQ_ALWAYS),
	F_UINT(struct oci_id_mapping, host_id, "hostID", U32, REQ_ALWAYS),
	F_UINT(struct oci_id_mapping, size, "size", U32, REQ_ALWAYS),
};
static const struct model_type id_mapping_type = MODEL_TYPE(struct oci_id_mapping, id_mapping_fields, NULL);

/* ---- root, mounts, hooks ---- */

static const struct model_field root_fields[] = {
	F_STRING(struct oci_root, path, "path", REQ_ALWAYS),
	F_BOOL(struct oci_root, readonly, "readonly"),
};
static const struct model_type root_type = MODEL_TYPE(struct oci_root, root_fields, NULL);

static const struct model_field mount_fields[] = {
	F_STRING(struct oci_mount, destination, "destination", REQ_ALWAYS),
	F_STRING(struct oci_mount, type, "type"),
	F_STRING(struct oci_mount, source, "source"),
	F_STRINGS(struct oci_mount, options, "options"),
	F_OBJECTS(struct oci_mount, uid_mappings, "uidMappings", id_mapping_type),
	F_OBJECTS(struct oci_mount, gid_mappings, "gidMappings", id_mapping_type),
};
static const struct model_type mount_type = MODEL_TYPE(struct oci_mount, mount_fields, NULL);

static const struct model_field hook_fields[] = {
	F_STRING(struct oci_hook, path, "path", REQ_ALWAYS, .rule = oci_rule_absolute_path),
	F_STRINGS(struct oci_hook, args, "args"),
	F_STRINGS(struct oci_hook, env, "env"),
	/* config.md: "timeout ... MUST be greater than zero". */
	F_INT(struct oci_hook, timeout, "timeout", 1, INT32_MAX),
};
static const struct model_type hook_type = MODEL_TYPE(struct oci_hook, hook_fields, NULL);

static const struct model_field hooks_fields[] = {
	F_OBJECTS(struct oci_hooks, prestart, "prestart", hook_type),
	F_OBJECTS(struct oci_hooks, create_runtime, "createRuntime", hook_type),
	F_OBJECTS(struct oci_hooks, create_container, "createContainer", hook_type),
	F_OBJECTS(struct oci_hooks, start_container, "startContainer", hook_type),
	F_OBJECTS(struct oci_hooks, poststart, "poststart", hook_type),
	F_OBJECTS(struct oci_hooks, poststop, "poststop", hook_type),
};
static const struct model_type hooks_type = MODEL_TYPE(struct oci_hooks, hooks_fields, NULL);

/* ---- process ---- */

static const struct model_field box_fields[] = {
	F_UINT(struct oci_box, height, "height", U32, REQ_ALWAYS),
	F_UINT(struct oci_box, width, "width", U32, REQ_ALWAYS),
};
static const struct model_type box_type = MODEL_TYPE(struct oci_box, box_fields, NULL);

static const struct model_field user_fields[] = {
	F_UINT(struct oci_user, uid, "uid", U32, ALWAYS),
	F_UINT(struct oci_user, gid, "gid", U32, ALWAYS),
	F_UINT(struct oci_user, umask, "umask", U32),
	F_UINTS(struct oci_user, additional_gids, "additionalGids", U32),
	F_STRING(struct oci_user, username, "username"),
};
static const struct model_type user_type = MODEL_TYPE(struct oci_user, user_fields, NULL);

static const struct model_field capabilities_fields[] = {
	F_STRINGS(struct oci_capabilities, bounding, "bounding"),
	F_STRINGS(struct oci_capabilities, effective, "effective"),
	F_STRINGS(struct oci_capabilities, inheritable, "inheritable"),
	F_STRINGS(struct oci_capabilities, permitted, "permitted"),
	F_STRINGS(struct oci_capabilities, ambient, "ambient"),
};
static const struct model_type capabilities_type = MODEL_TYPE(struct oci_capabilities, capabilities_fields, NULL);

static const struct model_field rlimit_fields[] = {
	F_STRING(struct oci_rlimit, type, "type", REQ_ALWAYS, .choices = rlimit_names),
	F_UINT(struct oci_rlimit, hard, "hard", U64, REQ_ALWAYS),
	F_UINT(struct oci_rlimit, soft, "soft", U64, REQ_ALWAYS),
};
static const struct model_type rlimit_type = MODEL_TYPE(struct oci_rlimit, rlimit_fields, NULL);

static const struct model_field io_priority_fields[] = {
	F_STRING(struct oci_io_priority, klass, "class", REQ_ALWAYS, .choices = io_priority_classes),
	F_INT(struct oci_io_priority, priority, "priority", 0, 7, ALWAYS),
};
static const struct model_type io_priority_type = MODEL_TYPE(struct oci_io_priority, io_priority_fields, NULL);

static const struct model_field scheduler_fields[] = {
	F_STRING(struct oci_scheduler, policy, "policy", REQ_ALWAYS, .choices = scheduler_policies),
	F_INT(struct oci_scheduler, nice, "nice", -20, 19),
	F_INT(struct oci_scheduler, priority, "priority", 0, 99),
	F_STRINGS(struct oci_scheduler, flags, "flags", .choices = scheduler_flags),
	F_UINT(struct oci_scheduler, runtime, "runtime", U64),
	F_UINT(struct oci_scheduler, deadline, "deadline", U64),
	F_UINT(struct oci_scheduler, period, "period", U64),
};
static const struct model_type scheduler_type = MODEL_TYPE(struct oci_scheduler, scheduler_fields, NULL);

static const struct model_field cpu_affinity_fields[] = {
	F_STRING(struct oci_cpu_affinity, initial, "initial"),
	F_STRING(struct oci_cpu_affinity, final, "final"),
};
static const struct model_type cpu_affinity_type = MODEL_TYPE(struct oci_cpu_affinity, cpu_affinity_fields, NULL);

static const struct model_field process_fields[] = {
	F_BOOL(struct oci_process, terminal, "terminal"),
	F_OBJECT(struct oci_process, console_size, "consoleSize", box_type),
	F_OBJECT(struct oci_process, user, "user", user_type, ALWAYS),
	F_STRINGS(struct oci_process, args, "args"),
	F_STRING(struct oci_process, command_line, "commandLine"),
	F_STRINGS(struct oci_process, env, "env"),
	F_STRING(struct oci_process, cwd, "cwd", REQ_ALWAYS, .rule = oci_rule_absolute_path),
	F_OBJECT(struct oci_process, capabilities, "capabilities", capabilities_type),
	F_OBJECTS(struct oci_process, rlimits, "rlimits", rlimit_type),
	F_BOOL(struct oci_process, no_new_privileges, "noNewPrivileges"),
	F_STRING(struct oci_process, apparmor_profile, "apparmorProfile"),
	F_INT(struct oci_process, oom_score_adj, "oomScoreAdj", -1000, 1000),
	F_OBJECT(struct oci_process, scheduler, "scheduler", scheduler_type),
	F_STRING(struct oci_process, selinux_label, "selinuxLabel"),
	F_OBJECT(struct oci_process, io_priority, "ioPriority", io_priority_type),
	F_OBJECT(struct oci_process, exec_cpu_affinity, "execCPUAffinity", cpu_affinity_type),
};
const struct model_type oci_process_type = MODEL_TYPE(struct oci_process, process_fields, oci_check_process);

/* ---- linux.resources ---- */

static const struct model_field device_rule_fields[] = {
	F_BOOL(struct oci_device_rule, allow, "allow", REQ_ALWAYS),
	F_STRING(struct oci_device_rule, type, "type", .choices = device_rule_types),
	F_INT(struct oci_device_rule, major, "major", -1, INT64_MAX),
	F_INT(struct oci_device_rule, minor, "minor", -1, INT64_MAX),
	F_STRING(struct oci_device_rule, access, "access", .rule = oci_rule_device_access),
};
static const struct model_type device_rule_type = MODEL_TYPE(struct oci_device_rule, device_rule_fields, oci_check_device_rule);

static const struct model_field memory_fields[] = {
	/* -1 means unlimited for the limits below (config-linux.md). */
	F_INT(struct oci_memory, limit, "limit", -1, INT64_MAX),
	F_INT(struct oci_memory, reservation, "reservation", -1, INT64_MAX),
	F_INT(struct oci_memory, swap, "swap", -1, INT64_MAX),
	F_INT(struct oci_memory, kernel, "kernel", -1, INT64_MAX),
	F_INT(struct oci_memory, kernel_tcp, "kernelTCP", -1, INT64_MAX),
	F_UINT(struct oci_memory, swappiness, "swappiness", U64),
	F_OPT_BOOL(struct oci_memory, disable_oom_killer, "disableOOMKiller"),
	F_OPT_BOOL(struct oci_memory, use_hierarchy, "useHierarchy"),
	F_OPT_BOOL(struct oci_memory, check_before_update, "checkBeforeUpdate"),
};
static const struct model_type memory_type = MODEL_TYPE(struct oci_memory, memory_fields, NULL);

static const struct model_field cpu_fields[] = {
	F_UINT(struct oci_cpu, shares, "shares", U64),
	F_INT(struct oci_cpu, quota, "quota", INT64_MIN, INT64_MAX),
	F_UINT(struct oci_cpu, burst, "burst", U64),
	F_UINT(struct oci_cpu, period, "period", U64),
	F_INT(struct oci_cpu, realtime_runtime, "realtimeRuntime", INT64_MIN, INT64_MAX),
	F_UINT(struct oci_cpu, realtime_period, "realtimePeriod", U64),
	F_STRING(struct oci_cpu, cpus, "cpus"),
	F_STRING(struct oci_cpu, mems, "mems"),
	F_INT(struct oci_cpu, idle, "idle", INT64_MIN, INT64_MAX),
};
static const struct model_type cpu_type = MODEL_TYPE(struct oci_cpu, cpu_fields, NULL);

static const struct model_field pids_fields[] = {
	F_INT(struct oci_pids, limit, "limit", INT64_MIN, INT64_MAX, REQ_ALWAYS),
};
static const struct model_type pids_type = MODEL_TYPE(struct oci_pids, pids_fields, NULL);

static const struct model_field weight_device_fields[] = {
	F_INT(struct oci_weight_device, major, "major", INT64_MIN, INT64_MAX, REQ_ALWAYS),
	F_INT(struct oci_weight_device, minor, "minor", INT64_MIN, INT64_MAX, REQ_ALWAYS),
	F_UINT(struct oci_weight_device, weight, "weight", U16),
	F_UINT(struct oci_weight_device, leaf_weight, "leafWeight", U16),
};
static const struct model_type weight_device_type = MODEL_TYPE(struct oci_weight_device, weight_device_fields, NULL);

static const struct model_field throttle_device_fields[] = {
	F_INT(struct oci_throttle_device, major, "major", INT64_MIN, INT64_MAX, REQ_ALWAYS),
	F_INT(struct oci_throttle_device, minor, "minor", INT64_MIN, INT64_MAX, REQ_ALWAYS),
	F_UINT(struct oci_throttle_device, rate, "rate", U64, REQ_ALWAYS),
};
static const struct model_type throttle_device_type =
	MODEL_TYPE(struct oci_throttle_device, throttle_device_fields, NULL);

static const struct model_field block_io_fields[] = {
	F_UINT(struct oci_block_io, weight, "weight", U16),
	F_UINT(struct oci_block_io, leaf_weight, "leafWeight", U16),
	F_OBJECTS(struct oci_block_io, weight_device, "weightDevice", weight_device_type),
	F_OBJECTS(struct oci_block_io, throttle_read_bps_device, "throttleReadBpsDevice", throttle_device_type),
	F_OBJECTS(struct oci_block_io, throttle_write_bps_device, "throttleWriteBpsDevice", throttle_device_type),
	F_OBJECTS(struct oci_block_io, throttle_read_iops_device, "throttleReadIOPSDevice", throttle_device_type),
	F_OBJECTS(struct oci_block_io, throttle_write_iops_device, "throttleWriteIOPSDevice", throttle_device_type),
};
static const struct model_type block_io_type = MODEL_TYPE(struct oci_block_io, block_io_fields, NULL);

static const struct model_field hugepage_fields[] = {
	F_STRING(struct oci_hugepage_limit, page_size, "pageSize", REQ_ALWAYS, .rule = oci_rule_hugepage_size),
	F_UINT(struct oci_hugepage_limit, limit, "limit", U64, REQ_ALWAYS),
};
static const struct model_type hugepage_type = MODEL_TYPE(struct oci_hugepage_limit, hugepage_fields, NULL);

static const struct model_field interface_priority_fields[] = {
	F_STRING(struct oci_interface_priority, name, "name", REQ_ALWAYS),
	F_UINT(struct oci_interface_priority, priority, "priority", U32, REQ_ALWAYS),
};
static const struct model_type interface_priority_type =
	MODEL_TYPE(struct oci_interface_priority, interface_priority_fields, NULL);

static const struct model_field network_fields[] = {
	F_UINT(struct oci_network, class_id, "classID", U32),
	F_OBJECTS(struct oci_network, priorities, "priorities", interface_priority_type),
};
static const struct model_type network_type = MODEL_TYPE(struct oci_network, network_fields, NULL);

static const struct model_field rdma_fields[] = {
	F_UINT(struct oci_rdma, hca_handles, "hcaHandles", U32),
	F_UINT(struct oci_rdma, hca_objects, "hcaObjects", U32),
};
static const struct model_type rdma_type = MODEL_TYPE(struct oci_rdma, rdma_fields, NULL);

static const struct model_field resources_fields[] = {
	F_OBJECTS(struct oci_resources, devices, "devices", device_rule_type),
	F_OBJECT(struct oci_resources, memory, "memory", memory_type),
	F_OBJECT(struct oci_resources, cpu, "cpu", cpu_type),
	F_OBJECT(struct oci_resources, pids, "pids", pids_type),
	F_OBJECT(struct oci_resources, block_io, "blockIO", block_io_type),
	F_OBJECTS(struct oci_resources, hugepage_limits, "hugepageLimits", hugepage_type),
	F_OBJECT(struct oci_resources, network, "network", network_type),
	F_OBJECT_MAP(struct oci_resources, rdma, "rdma", rdma_type),
	F_STRING_MAP(struct oci_resources, unified, "unified"),
};
const struct model_type oci_resources_type = MODEL_TYPE(struct oci_resources, resources_fields, NULL);

/* ---- the rest of linux ---- */

static const struct model_field namespace_fields[] = {
	F_ENUM(struct oci_namespace, type, "type", oci_namespace_names, REQ_ALWAYS),
	F_STRING(struct oci_namespace, path, "path", .rule = oci_rule_absolute_path),
};
static const struct model_type namespace_type = MODEL_TYPE(struct oci_namespace, namespace_fields, NULL);

static const struct model_field device_fields[] = {
	F_STRING(struct oci_device, path, "path", REQ_ALWAYS, .rule = oci_rule_absolute_path),
	F_STRING(struct oci_device, type, "type", REQ_ALWAYS, .choices = device_types),
	F_INT(struct oci_device, major, "major", 0, INT64_MAX),
	F_INT(struct oci_device, minor, "minor", 0, INT64_MAX),
	F_UINT(struct oci_device, file_mode, "fileMode", 0177777),
	F_UINT(struct oci_device, uid, "uid", U32),
	F_UINT(struct oci_device, gid, "gid", U32),
};
static const struct model_type device_type = MODEL_TYPE(struct oci_device, device_fields, oci_check_device);

static const struct model_field seccomp_arg_fields[] = {
	F_UINT(struct oci_seccomp_arg, index, "index", 5, REQ_ALWAYS),
	F_UINT(struct oci_seccomp_arg, value, "value", U64, REQ_ALWAYS),
	F_UINT(struct oci_seccomp_arg, value_two, "valueTwo", U64),
	F_STRING(struct oci_seccomp_arg, op, "op", REQ_ALWAYS, .choices = seccomp_operators),
};
static const struct model_type seccomp_arg_type = MODEL_TYPE(struct oci_seccomp_arg, seccomp_arg_fields, NULL);

static const struct model_field syscall_fields[] = {
	F_STRINGS(struct oci_syscall, names, "names", REQ_ALWAYS),
	F_STRING(struct oci_syscall, action, "action", REQ_ALWAYS, .choices = seccomp_actions),
	F_UINT(struct oci_syscall, errno_ret, "errnoRet", U32),
	F_OBJECTS(struct oci_syscall, args, "args", seccomp_arg_type),
};
static const struct model_type syscall_type = MODEL_TYPE(struct oci_syscall, syscall_fields, oci_check_seccomp_syscall);

static const struct model_field seccomp_fields[] = {
	F_STRING(struct oci_seccomp, default_action, "defaultAction", REQ_ALWAYS, .choices = seccomp_actions),
	F_UINT(struct oci_seccomp, default_errno_ret, "defaultErrnoRet", U32),
	F_STRINGS(struct oci_seccomp, architectures, "architectures", .choices = seccomp_archs),
	F_STRINGS(struct oci_seccomp, flags, "flags", .choices = seccomp_flags),
	F_STRING(struct oci_seccomp, listener_path, "listenerPath", .rule = oci_rule_absolute_path),
	F_STRING(struct oci_seccomp, listener_metadata, "listenerMetadata"),
	F_OBJECTS(struct oci_seccomp, syscalls, "syscalls", syscall_type),
};
const struct model_type oci_seccomp_type = MODEL_TYPE(struct oci_seccomp, seccomp_fields, NULL);

static const struct model_field intel_rdt_fields[] = {
	F_STRING(struct oci_intel_rdt, clos_id, "closID"),
	F_STRINGS(struct oci_intel_rdt, schemata, "schemata"),
	F_STRING(struct oci_intel_rdt, l3_cache_schema, "l3CacheSchema"),
	F_STRING(struct oci_intel_rdt, mem_bw_schema, "memBwSchema"),
	F_BOOL(struct oci_intel_rdt, enable_monitoring, "enableMonitoring"),
};
static const struct model_type intel_rdt_type = MODEL_TYPE(struct oci_intel_rdt, intel_rdt_fields, NULL);

static const struct model_field personality_fields[] = {
	F_STRING(struct oci_personality, domain, "domain", REQ_ALWAYS, .choices = personality_domains),
	F_STRINGS(struct oci_personality, flags, "flags"),
};
static const struct model_type personality_type = MODEL_TYPE(struct oci_personality, personality_fields, NULL);

static const struct model_field time_offset_fields[] = {
	F_INT(struct oci_time_offset, secs, "secs", INT64_MIN, INT64_MAX),
	F_UINT(struct oci_time_offset, nanosecs, "nanosecs", 999999999),
};
static const struct model_type time_offset_type = MODEL_TYPE(struct oci_time_offset, time_offset_fields, NULL);

static const struct model_field net_device_fields[] = {
	F_STRING(struct oci_net_device, name, "name", .rule = oci_rule_interface_name),
};
static const struct model_type net_device_type = MODEL_TYPE(struct oci_net_device, net_device_fields, NULL);

static const struct model_field memory_policy_fields[] = {
	F_STRING(struct oci_memory_policy, mode, "mode", REQ_ALWAYS, .choices = memory_policy_modes),
	F_STRING(struct oci_memory_policy, nodes, "nodes", ALWAYS),
	F_STRINGS(struct oci_memory_policy, flags, "flags", .choices = memory_policy_flags),
};
static const struct model_type memory_policy_type =
	MODEL_TYPE(struct oci_memory_policy, memory_policy_fields, oci_check_memory_policy);

static const struct model_field linux_fields[] = {
	F_OBJECTS(struct oci_linux, uid_mappings, "uidMappings", id_mapping_type),
	F_OBJECTS(struct oci_linux, gid_mappings, "gidMappings", id_mapping_type),
	F_STRING_MAP(struct oci_linux, sysctl, "sysctl"),
	F_OBJECT(struct oci_linux, resources, "resources", oci_resources_type),
	F_STRING(struct oci_linux, cgroups_path, "cgroupsPath"),
	F_OBJECTS(struct oci_linux, namespaces, "namespaces", namespace_type),
	F_OBJECTS(struct oci_linux, devices, "devices", device_type),
	F_OBJECT(struct oci_linux, seccomp, "seccomp", oci_seccomp_type),
	F_ENUM(struct oci_linux, rootfs_propagation, "rootfsPropagation", propagation_names),
	F_STRINGS(struct oci_linux, masked_paths, "maskedPaths", .rule = oci_rule_absolute_path),
	F_STRINGS(struct oci_linux, readonly_paths, "readonlyPaths", .rule = oci_rule_absolute_path),
	F_STRING(struct oci_linux, mount_label, "mountLabel"),
	F_OBJECT(struct oci_linux, intel_rdt, "intelRdt", intel_rdt_type),
	F_OBJECT(struct oci_linux, personality, "personality", personality_type),
	F_OBJECT_MAP(struct oci_linux, time_offsets, "timeOffsets", time_offset_type, .rule = oci_rule_time_clock),
	F_OBJECT_MAP(struct oci_linux, net_devices, "netDevices", net_device_type, .rule = oci_rule_interface_name),
	F_OBJECT(struct oci_linux, memory_policy, "memoryPolicy", memory_policy_type),
};
static const struct model_type linux_type = MODEL_TYPE(struct oci_linux, linux_fields, oci_check_linux);

static const struct model_field config_fields[] = {
	F_STRING(struct oci_config, oci_version, "ociVersion", REQ_ALWAYS, .rule = oci_rule_version),
	F_OBJECT(struct oci_config, process, "process", oci_process_type),
	F_OBJECT(struct oci_config, root, "root", root_type),
	F_STRING(struct oci_config, hostname, "hostname"),
	F_STRING(struct oci_config, domainname, "domainname"),
	F_OBJECTS(struct oci_config, mounts, "mounts", mount_type),
	F_OBJECT(struct oci_config, hooks, "hooks", hooks_type),
	F_STRING_MAP(struct oci_config, annotations, "annotations"),
	F_OBJECT(struct oci_config, linux_config, "linux", linux_type),
};
const struct model_type oci_config_type = MODEL_TYPE(struct oci_config, config_fields, NULL);

int oci_config_parse(const char *data, size_t len, const char *label, struct oci_config **ret, berth_error **err)
{
	return model_parse_document(&oci_config_type, data, len, label, (void **) ret, err);
}

int oci_config_load(int dirfd, const char *path, struct oci_config **ret, berth_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int r = read_file_at(dirfd, path, &data, &len, err);
	if (r < 0)
		return r;
	return oci_config_parse(data, len, path, ret, err);
}

void oci_config_free(struct oci_config *config)
{
	model_free(&oci_config_type, config);
}

int oci_process_parse(const char *data, size_t len, const char *label, struct oci_process **ret,
		      berth_error **err)
{
	return model_parse_document(&oci_process_type, data, len, label, (void **) ret, err);
}

void oci_process_free(struct oci_process *process)
{
	model_free(&oci_process_type, process);
}

int oci_resources_parse(const char *data, size_t len, const char *label, struct oci_resources **ret,
			berth_error **err)
{
	return model_parse_document(&oci_resources_type, data, len, label, (void **) ret, err);
}

void oci_resources_free(struct oci_resources *resources)
{
	model_free(&oci_resources_type, resources);
}
