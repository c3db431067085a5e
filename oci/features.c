/* The features document's model (features.md, features-linux.md); cmd/features.c fills it. */
#include "oci/features.h"


#define FIELD_BOOL(st, m, json) F_OPT_BOOL(st, m, json)

static const struct model_field cgroup_fields[] = {
	FIELD_BOOL(struct oci_features_cgroup, v1, "v1"),
	FIELD_BOOL(struct oci_features_cgroup, v2, "v2"),
	FIELD_BOOL(struct oci_features_cgroup, systemd, "systemd"),
	FIELD_BOOL(struct oci_features_cgroup, systemd_user, "systemdUser"),
	FIELD_BOOL(struct oci_features_cgroup, rdma, "rdma"),
};
static const struct model_type cgroup_type = MODEL_TYPE(struct oci_features_cgroup, cgroup_fields, NULL);

static const struct model_field seccomp_fields[] = {
	FIELD_BOOL(struct oci_features_seccomp, enabled, "enabled"),
	F_STRINGS(struct oci_features_seccomp, actions, "actions"),
	F_STRINGS(struct oci_features_seccomp, operators, "operators"),
	F_STRINGS(struct oci_features_seccomp, archs, "archs"),
	F_STRINGS(struct oci_features_seccomp, known_flags, "knownFlags"),
	F_STRINGS(struct oci_features_seccomp, supported_flags, "supportedFlags"),
};
static const struct model_type seccomp_type = MODEL_TYPE(struct oci_features_seccomp, seccomp_fields, NULL);

static const struct model_field enabled_fields[] = {
	FIELD_BOOL(struct oci_features_enabled, enabled, "enabled"),
};
static const struct model_type enabled_type = MODEL_TYPE(struct oci_features_enabled, enabled_fields, NULL);

static const struct model_field intel_rdt_fields[] = {
	FIELD_BOOL(struct oci_features_intel_rdt, enabled, "enabled"),
	FIELD_BOOL(struct oci_features_intel_rdt, schemata, "schemata"),
};
static const struct model_type intel_rdt_type = MODEL_TYPE(struct oci_features_intel_rdt, intel_rdt_fields, NULL);

static const struct model_field mount_extensions_fields[] = {
	F_OBJECT(struct oci_features_mount_extensions, idmap, "idmap", enabled_type),
};
static const struct model_type mount_extensions_type =
	MODEL_TYPE(struct oci_features_mount_extensions, mount_extensions_fields, NULL);

static const struct model_field memory_policy_fields[] = {
	F_STRINGS(struct oci_features_memory_policy, modes, "modes"),
	F_STRINGS(struct oci_features_memory_policy, flags, "flags"),
};
static const struct model_type memory_policy_type =
	MODEL_TYPE(struct oci_features_memory_policy, memory_policy_fields, NULL);

static const struct model_field linux_fields[] = {
	F_STRINGS(struct oci_features_linux, namespaces, "namespaces"),
	F_STRINGS(struct oci_features_linux, capabilities, "capabilities"),
	F_OBJECT(struct oci_features_linux, cgroup, "cgroup", cgroup_type),
	F_OBJECT(struct oci_features_linux, seccomp, "seccomp", seccomp_type),
	F_OBJECT(struct oci_features_linux, apparmor, "apparmor", enabled_type),
	F_OBJECT(struct oci_features_linux, selinux, "selinux", enabled_type),
	F_OBJECT(struct oci_features_linux, intel_rdt, "intelRdt", intel_rdt_type),
	F_OBJECT(struct oci_features_linux, mount_extensions, "mountExtensions", mount_extensions_type),
	F_OBJECT(struct oci_features_linux, net_devices, "netDevices", enabled_type),
	F_OBJECT(struct oci_features_linux, memory_policy, "memoryPolicy", memory_policy_type),
};
static const struct model_type linux_type = MODEL_TYPE(struct oci_features_linux, linux_fields, NULL);

static const struct model_field features_fields[] = {
	F_STRING(struct oci_features, oci_version_min, "ociVersionMin", .flags = MODEL_EMIT_ALWAYS),
	F_STRING(struct oci_features, oci_version_max, "ociVersionMax", .flags = MODEL_EMIT_ALWAYS),
	F_STRINGS(struct oci_features, hooks, "hooks"),
	F_STRINGS(struct oci_features, mount_options, "mountOptions"),
	F_OBJECT(struct oci_features, linux_features, "linux", linux_type),
	F_STRING_MAP(struct oci_features, annotations, "annotations"),
	F_STRINGS(struct oci_features, potentially_unsafe_config_annotations, "potentiallyUnsafeConfigAnnotations"),
};
const struct model_type oci_features_type = MODEL_TYPE(struct oci_features, features_fields, NULL);

int oci_features_json(const struct oci_features *features, char **ret_json, berth_error **err)
{
	return model_to_json(&oci_features_type, features, "    ", ret_json, NULL, err);
}
