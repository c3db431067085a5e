#include "oci/state.h"

#include <stdint.h>

const char *const oci_status_names[OCI_STATUS_COUNT] = {
	[OCI_STATUS_CREATING] = "creating", [OCI_STATUS_CREATED] = "created", [OCI_STATUS_RUNNING] = "running",
	[OCI_STATUS_STOPPED] = "stopped",   [OCI_STATUS_PAUSED] = "paused",
};

/* Field order and presence as runc prints them; containerd and podman parse this. */
static const struct model_field state_fields[] = {
	F_STRING(struct oci_state, oci_version, "ociVersion", .flags = MODEL_REQUIRED | MODEL_EMIT_ALWAYS),
	F_STRING(struct oci_state, id, "id", .flags = MODEL_REQUIRED | MODEL_EMIT_ALWAYS),
	F_INT(struct oci_state, pid, "pid", 0, INT32_MAX, .flags = MODEL_EMIT_ALWAYS),
	F_ENUM(struct oci_state, status, "status", oci_status_names, .flags = MODEL_REQUIRED | MODEL_EMIT_ALWAYS),
	F_STRING(struct oci_state, bundle, "bundle", .flags = MODEL_REQUIRED | MODEL_EMIT_ALWAYS),
	F_STRING(struct oci_state, rootfs, "rootfs", .flags = MODEL_EMIT_ALWAYS),
	F_STRING(struct oci_state, created, "created", .flags = MODEL_EMIT_ALWAYS),
	F_STRING(struct oci_state, owner, "owner", .flags = MODEL_EMIT_ALWAYS),
	F_STRING_MAP(struct oci_state, annotations, "annotations"),
	F_BOOL(struct oci_state, oom_killed, "oomKilled"),
};
const struct model_type oci_state_type = MODEL_TYPE(struct oci_state, state_fields, NULL);

static const struct model_field container_state_fields[] = {
	F_STRING(struct berth_container_state, oci_version, "ociVersion", .flags = MODEL_REQUIRED),
	F_STRING(struct berth_container_state, id, "id", .flags = MODEL_REQUIRED),
	F_STRING(struct berth_container_state, bundle, "bundle", .flags = MODEL_REQUIRED),
	F_STRING(struct berth_container_state, rootfs, "rootfs"),
	F_STRING(struct berth_container_state, created, "created"),
	F_STRING(struct berth_container_state, owner, "owner"),
	F_ENUM(struct berth_container_state, status, "status", oci_status_names, .flags = MODEL_REQUIRED),
	F_INT(struct berth_container_state, init_pid, "initPid", 0, INT32_MAX),
	F_UINT(struct berth_container_state, init_start_time, "initStartTime", UINT64_MAX),
	F_STRING_MAP(struct berth_container_state, cgroup_paths, "cgroupPaths"),
	F_STRING_MAP(struct berth_container_state, cgroup_created, "cgroupCreated"),
	F_OPT_BOOL(struct berth_container_state, systemd_cgroup, "systemdCgroup"),
	F_STRING_MAP(struct berth_container_state, annotations, "annotations"),
	F_UINT(struct berth_container_state, oom_kills, "oomKills", UINT64_MAX),
	F_OPT_BOOL(struct berth_container_state, poststop_hooks, "poststopHooks"),
};
const struct model_type berth_container_state_type =
	MODEL_TYPE(struct berth_container_state, container_state_fields, NULL);
