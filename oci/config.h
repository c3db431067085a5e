/*
 * The runtime-spec 1.3.0 config model (config.md, config-linux.md): one C
 * struct per JSON object. Field tables in config_schema.c drive parsing and
 * emitting; rules that span fields are in config_check.c.
 */
#pragma once

#include "oci/model.h"

#define OCI_SPEC_VERSION "1.3.0"
#define OCI_SPEC_VERSION_MIN "1.0.0"

enum oci_namespace_type {
	OCI_NS_UNSET,
	OCI_NS_PID,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS_COUNT,
};
extern const char *const oci_namespace_names[OCI_NS_COUNT];

enum oci_propagation {
	OCI_PROPAGATION_UNSET,
	OCI_PROPAGATION_SHARED,
	OCI_PROPAGATION_SLAVE,
	OCI_PROPAGATION_PRIVATE,
	OCI_PROPAGATION_UNBINDABLE,
	OCI_PROPAGATION_RSHARED,
	OCI_PROPAGATION_RSLAVE,
	OCI_PROPAGATION_RPRIVATE,
	OCI_PROPAGATION_RUNBINDABLE,
	OCI_PROPAGATION_COUNT,
};

struct oci_id_mapping {
	struct opt_uint container_id;
	struct opt_uint host_id;
	struct opt_uint size;
};
typedef MODEL_LIST(struct oci_id_mapping) oci_id_mappings;

struct oci_root {
	char *path;
	bool readonly;
};

struct oci_mount {
	char *destination;
	char *type;
	char *source;
	struct string_list options;
	oci_id_mappings uid_mappings;
	oci_id_mappings gid_mappings;
};

struct oci_box {
	struct opt_uint height;
	struct opt_uint width;
};

struct oci_user {
	struct opt_uint uid;
	struct opt_uint gid;
	struct opt_uint umask;
	struct uint_list additional_gids;
	char *username;
};

struct oci_capabilities {
	struct string_list bounding;
	struct string_list effective;
	struct string_list inheritable;
	struct string_list permitted;
	struct string_list ambient;
};

struct oci_rlimit {
	char *type;
	struct opt_uint hard;
	struct opt_uint soft;
};

struct oci_io_priority {
	char *klass;
	struct opt_int priority;
};

struct oci_scheduler {
	char *policy;
	struct opt_int nice;
	struct opt_int priority;
	struct string_list flags;
	struct opt_uint runtime;
	struct opt_uint deadline;
	struct opt_uint period;
};

struct oci_cpu_affinity {
	char *initial;
	char *final;
};

struct oci_process {
	bool terminal;
	struct oci_box *console_size;
	struct oci_user *user;
	struct string_list args;
	char *command_line;
	struct string_list env;
	char *cwd;
	struct oci_capabilities *capabilities;
	MODEL_LIST(struct oci_rlimit) rlimits;
	bool no_new_privileges;
	char *apparmor_profile;
	struct opt_int oom_score_adj;
	struct oci_scheduler *scheduler;
	char *selinux_label;
	struct oci_io_priority *io_priority;
	struct oci_cpu_affinity *exec_cpu_affinity;
};

struct oci_hook {
	char *path;
	struct string_list args;
	struct string_list env;
	struct opt_int timeout;
};
typedef MODEL_LIST(struct oci_hook) oci_hook_list;

struct oci_hooks {
	oci_hook_list prestart;
	oci_hook_list create_runtime;
	oci_hook_list create_container;
	oci_hook_list start_container;
	oci_hook_list poststart;
	oci_hook_list poststop;
};

struct oci_namespace {
	int type; /* enum oci_namespace_type */
	char *path;
};

struct oci_time_offset {
	struct opt_int secs;
	struct opt_uint nanosecs;
};

struct oci_device {
	char *path;
	char *type;
	struct opt_int major;
	struct opt_int minor;
	struct opt_uint file_mode;
	struct opt_uint uid;
	struct opt_uint gid;
};

struct oci_device_rule {
	bool allow;
	char *type;
	struct opt_int major;
	struct opt_int minor;
	char *access;
};

struct oci_memory {
	struct opt_int limit;
	struct opt_int reservation;
	struct opt_int swap;
	struct opt_int kernel;
	struct opt_int kernel_tcp;
	struct opt_uint swappiness;
	struct opt_bool disable_oom_killer;
	struct opt_bool use_hierarchy;
	struct opt_bool check_before_update;
};

struct oci_cpu {
	struct opt_uint shares;
	struct opt_int quota;
	struct opt_uint burst;
	struct opt_uint period;
	struct opt_int realtime_runtime;
	struct opt_uint realtime_period;
	char *cpus;
	char *mems;
	struct opt_int idle;
};

struct oci_pids {
	struct opt_int limit;
};

struct oci_weight_device {
	struct opt_int major;
	struct opt_int minor;
	struct opt_uint weight;
	struct opt_uint leaf_weight;
};

struct oci_throttle_device {
	struct opt_int major;
	struct opt_int minor;
	struct opt_uint rate;
};
typedef MODEL_LIST(struct oci_throttle_device) oci_throttle_devices;

struct oci_block_io {
	struct opt_uint weight;
	struct opt_uint leaf_weight;
	MODEL_LIST(struct oci_weight_device) weight_device;
	oci_throttle_devices throttle_read_bps_device;
	oci_throttle_devices throttle_write_bps_device;
	oci_throttle_devices throttle_read_iops_device;
	oci_throttle_devices throttle_write_iops_device;
};

struct oci_hugepage_limit {
	char *page_size;
	struct opt_uint limit;
};

struct oci_interface_priority {
	char *name;
	struct opt_uint priority;
};

struct oci_network {
	struct opt_uint class_id;
	MODEL_LIST(struct oci_interface_priority) priorities;
};

struct oci_rdma {
	struct opt_uint hca_handles;
	struct opt_uint hca_objects;
};

struct oci_resources {
	MODEL_LIST(struct oci_device_rule) devices;
	struct oci_memory *memory;
	struct oci_cpu *cpu;
	struct oci_pids *pids;
	struct oci_block_io *block_io;
	MODEL_LIST(struct oci_hugepage_limit) hugepage_limits;
	struct oci_network *network;
	MODEL_MAP(struct oci_rdma) rdma;
	struct string_map unified;
};

struct oci_seccomp_arg {
	struct opt_uint index;
	struct opt_uint value;
	struct opt_uint value_two;
	char *op;
};

struct oci_syscall {
	struct string_list names;
	char *action;
	struct opt_uint errno_ret;
	MODEL_LIST(struct oci_seccomp_arg) args;
};

struct oci_seccomp {
	char *default_action;
	struct opt_uint default_errno_ret;
	struct string_list architectures;
	struct string_list flags;
	char *listener_path;
	char *listener_metadata;
	MODEL_LIST(struct oci_syscall) syscalls;
};

struct oci_intel_rdt {
	char *clos_id;
	struct string_list schemata;
	char *l3_cache_schema;
	char *mem_bw_schema;
	bool enable_monitoring;
};

struct oci_personality {
	char *domain;
	struct string_list flags;
};

struct oci_net_device {
	char *name;
};

struct oci_memory_policy {
	char *mode;
	char *nodes;
	struct string_list flags;
};

struct oci_linux {
	oci_id_mappings uid_mappings;
	oci_id_mappings gid_mappings;
	struct string_map sysctl;
	struct oci_resources *resources;
	char *cgroups_path;
	MODEL_LIST(struct oci_namespace) namespaces;
	MODEL_LIST(struct oci_device) devices;
	struct oci_seccomp *seccomp;
	int rootfs_propagation; /* enum oci_propagation */
	struct string_list masked_paths;
	struct string_list readonly_paths;
	char *mount_label;
	struct oci_intel_rdt *intel_rdt;
	struct oci_personality *personality;
	MODEL_MAP(struct oci_time_offset) time_offsets;
	MODEL_MAP(struct oci_net_device) net_devices;
	struct oci_memory_policy *memory_policy;
};

struct oci_config {
	char *oci_version;
	struct oci_process *process;
	struct oci_root *root;
	char *hostname;
	char *domainname;
	MODEL_LIST(struct oci_mount) mounts;
	struct oci_hooks *hooks;
	struct string_map annotations;
	struct oci_linux *linux_config;
};

extern const struct model_type oci_config_type;
extern const struct model_type oci_process_type;
extern const struct model_type oci_resources_type;
extern const struct model_type oci_seccomp_type;

/* Parse config.json text; label names it in errors. */
int oci_config_parse(const char *data, size_t len, const char *label, struct oci_config **ret, berth_error **err);
/* Read and parse dirfd/path (e.g. the bundle's config.json). */
int oci_config_load(int dirfd, const char *path, struct oci_config **ret, berth_error **err);
void oci_config_free(struct oci_config *config);

/* A process object, as `exec --process` reads it. */
int oci_process_parse(const char *data, size_t len, const char *label, struct oci_process **ret,
		      berth_error **err);
void oci_process_free(struct oci_process *process);

/* A LinuxResources object, as `update --resources` reads it. */
int oci_resources_parse(const char *data, size_t len, const char *label, struct oci_resources **ret,
			berth_error **err);
void oci_resources_free(struct oci_resources *resources);

/* The default config `spec` writes (runc's); rootless adapts it as `spec --rootless` does. */
int oci_config_default(bool rootless, struct oci_config **ret, berth_error **err);

static inline void oci_config_freep(struct oci_config **c)
{
	oci_config_free(*c);
}
#define _cleanup_config_ _cleanup_(oci_config_freep)
