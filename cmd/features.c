/*
 * berth features: what this build implements. features.md: an absent property
 * means "unknown", so a property appears here only once the code behind it
 * exists; tests/integration/test_features.py ties each claim to a container.
 */
#include <stdio.h>
#include <stdlib.h>
#include <seccomp.h>
#include <sys/capability.h>

#include "cmd/commands.h"
#include "namespaces/mounts.h"
#include "oci/config.h"
#include "oci/features.h"
#include "runtime/seccomp.h"
#include "version.h"

static const char *const seccomp_actions[] = { "SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO",       "SCMP_ACT_KILL",
					       "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
					       "SCMP_ACT_NOTIFY",       "SCMP_ACT_TRACE",       "SCMP_ACT_TRAP" };
static const char *const seccomp_operators[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",       "SCMP_CMP_LE",
						 "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE" };
static const char *const seccomp_known_flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
						   "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" };

static const char *const hook_names[] = { "prestart",       "createRuntime", "createContainer",
					  "startContainer", "poststart",     "poststop" };

/* A string_list borrowing static strings: the document is emitted, never freed through the model. */
static struct string_list borrowed(const char *const *items, size_t len)
{
	return (struct string_list){ (char **) items, len };
}

static size_t count(const char *const *names)
{
	size_t n = 0;
	while (names[n])
		n++;
	return n;
}

static int run_features(const struct global_options *global, const struct cli_args *args, berth_error **err)
{
	_cleanup_free_ char *json = NULL;
	const char *capabilities[64];
	size_t n_caps = 0;
	char *cap_names_owned[64];
	(void) global;
	(void) args;

	/* Every capability libcap knows; names the running kernel lacks are accepted and skipped. */
	for (cap_value_t v = 0; v < 64 && n_caps < 64; v++) {
		char *name = cap_to_name(v);
		if (!name)
			break;
		if (name[0] >= '0' && name[0] <= '9') { /* an unnamed (too new) capability */
			cap_free(name);
			break;
		}
		for (char *c = name; *c; c++)
			*c = (char) (*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
		cap_names_owned[n_caps] = name;
		capabilities[n_caps++] = name;
	}
	const char *const *mount_options = mount_option_names();
	struct oci_features_seccomp seccomp = {
		.enabled = { true, true },
		.actions = borrowed(seccomp_actions, ARRAY_SIZE(seccomp_actions)),
		.operators = borrowed(seccomp_operators, ARRAY_SIZE(seccomp_operators)),
		.archs = borrowed(seccomp_supported_archs, count(seccomp_supported_archs)),
		.known_flags = borrowed(seccomp_known_flags, ARRAY_SIZE(seccomp_known_flags)),
		.supported_flags = borrowed(seccomp_supported_flags, count(seccomp_supported_flags)),
	};
	/* containerd turns Kubernetes user namespaces on only when idmapped mounts are claimed. */
	struct oci_features_enabled idmap = { .enabled = { true, true } };
	struct oci_features_mount_extensions mount_extensions = { .idmap = &idmap };
	struct oci_features_enabled net_devices = { .enabled = { true, true } };
	/* v1/hybrid on these hosts, v2 in the VM, systemd in the VM booted with it; not the user instance. */
	struct oci_features_cgroup cgroup = {
		.v1 = { true, true }, .v2 = { true, true }, .systemd = { true, true }, .systemd_user = { true, false },
		.rdma = { true, true },
	};
	struct oci_features_linux linux_features = {
		.namespaces = borrowed(oci_namespace_names + 1, OCI_NS_COUNT - 1),
		.capabilities = borrowed(capabilities, n_caps),
		.cgroup = &cgroup,
		.seccomp = &seccomp,
		.mount_extensions = &mount_extensions,
		.net_devices = &net_devices,
	};
	char libseccomp[32];
	const struct scmp_version *v = seccomp_version();
	snprintf(libseccomp, sizeof(libseccomp), "%u.%u.%u", v->major, v->minor, v->micro);
	char *annotation_keys[] = { (char *) "io.github.seccomp.libseccomp.version", (char *) "org.berth.commit",
				    (char *) "org.berth.version" };
	char *annotation_values[] = { libseccomp, (char *) BERTH_COMMIT, (char *) BERTH_VERSION };
	struct oci_features features = {
		.oci_version_min = (char *) OCI_SPEC_VERSION_MIN,
		.oci_version_max = (char *) OCI_SPEC_VERSION,
		.hooks = borrowed(hook_names, ARRAY_SIZE(hook_names)),
		.mount_options = borrowed(mount_options, count(mount_options)),
		.linux_features = &linux_features,
		.annotations = { annotation_keys, annotation_values, ARRAY_SIZE(annotation_keys) },
	};
	int r = oci_features_json(&features, &json, err);
	for (size_t i = 0; i < n_caps; i++)
		cap_free(cap_names_owned[i]);
	if (r < 0)
		return r;
	puts(json);
	return 0;
}

const struct cli_command cmd_features = {
	.name = "features",
	.summary = "show the enabled features",
	.description = "Prints the features document of the runtime-spec: what this build of berth implements.",
	.min_args = 0,
	.max_args = 0,
	.run = run_features,
};
