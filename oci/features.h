/* The runtime-spec features document (features.md, features-linux.md). */
#pragma once

#include "oci/model.h"

struct oci_features_cgroup {
	struct opt_bool v1, v2, systemd, systemd_user, rdma;
};

struct oci_features_seccomp {
	struct opt_bool enabled;
	struct string_list actions, operators, archs, known_flags, supported_flags;
};

struct oci_features_enabled {
	struct opt_bool enabled;
};

struct oci_features_intel_rdt {
	struct opt_bool enabled, schemata;
};

struct oci_features_mount_extensions {
	struct oci_features_enabled *idmap;
};

struct oci_features_memory_policy {
	struct string_list modes, flags;
};

struct oci_features_linux {
	struct string_list namespaces;
	struct string_list capabilities;
	struct oci_features_cgroup *cgroup;
	struct oci_features_seccomp *seccomp;
	struct oci_features_enabled *apparmor;
	struct oci_features_enabled *selinux;
	struct oci_features_intel_rdt *intel_rdt;
	struct oci_features_mount_extensions *mount_extensions;
	struct oci_features_enabled *net_devices;
	struct oci_features_memory_policy *memory_policy;
};

struct oci_features {
	char *oci_version_min;
	char *oci_version_max;
	struct string_list hooks;
	struct string_list mount_options;
	struct oci_features_linux *linux_features;
	struct string_map annotations;
	struct string_list potentially_unsafe_config_annotations;
};

extern const struct model_type oci_features_type;

/* The features document as JSON (indented as runc prints it). */
int oci_features_json(const struct oci_features *features, char **ret_json, berth_error **err);
