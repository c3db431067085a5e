#include <linux/magic.h>
#include <sys/statfs.h>
/* The config model: real configs round-trip; each class of bad input gets its precise error. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "oci/config.h"
#include "tests/unit/helpers.h"

static void assert_round_trip(const char *name)
{
	size_t len = 0;
	_cleanup_free_ char *data = test_read_data(name, &len);
	_cleanup_free_ char *first = NULL, *second = NULL;
	_cleanup_config_ struct oci_config *config = NULL, *again = NULL;
	_cleanup_error_ berth_error *err = NULL;
	char errbuf[256], where[512] = "";

	cr_assert_eq(oci_config_parse(data, len, name, &config, &err), 0, "%s: %s", name, err ? err->message : "");
	cr_assert_eq(model_to_json(&oci_config_type, config, "  ", &first, NULL, &err), 0);
	cr_assert_eq(oci_config_parse(first, strlen(first), "emitted", &again, &err), 0, "%s",
		     err ? err->message : "");
	cr_assert_eq(model_to_json(&oci_config_type, again, "  ", &second, NULL, &err), 0);
	cr_assert_str_eq(first, second, "emitting is not stable for %s", name);

	yajl_val original = yajl_tree_parse(data, errbuf, sizeof(errbuf));
	yajl_val emitted = yajl_tree_parse(first, errbuf, sizeof(errbuf));
	cr_assert(original && emitted);
	cr_assert(test_json_equivalent(original, emitted, where, sizeof(where)), "%s: %s", name, where);
	yajl_tree_free(original);
	yajl_tree_free(emitted);
}

Test(config, runc_default_spec_round_trips)
{
	assert_round_trip("runc-spec.json");
}

Test(config, runc_rootless_spec_round_trips)
{
	assert_round_trip("runc-rootless-spec.json");
}

Test(config, crun_default_spec_round_trips)
{
	assert_round_trip("crun-spec.json");
}

Test(config, kubernetes_config_with_seccomp_round_trips)
{
	assert_round_trip("kubernetes-config.json");
}

Test(config, every_field_of_1_3_round_trips)
{
	assert_round_trip("full-config.json");
}

Test(config, typed_fields_hold_their_values)
{
	size_t len = 0;
	_cleanup_free_ char *data = test_read_data("full-config.json", &len);
	_cleanup_config_ struct oci_config *c = NULL;
	_cleanup_error_ berth_error *err = NULL;

	cr_assert_eq(oci_config_parse(data, len, "full-config.json", &c, &err), 0);
	cr_assert_eq(c->process->user->uid.value, 1000);
	cr_assert_eq(c->process->user->additional_gids.len, 2);
	cr_assert_eq(c->process->rlimits.items[1].hard.value, UINT64_MAX);
	cr_assert_str_eq(c->process->args.items[2], "echo hi");
	cr_assert_null(c->process->args.items[3], "string lists are NULL-terminated for execve");
	cr_assert_eq(c->linux_config->namespaces.len, 8);
	cr_assert_eq(c->linux_config->namespaces.items[7].type, OCI_NS_TIME);
	cr_assert_eq(c->linux_config->rootfs_propagation, OCI_PROPAGATION_RSLAVE);
	cr_assert_eq(c->linux_config->resources->memory->swap.value, -1);
	cr_assert(c->linux_config->resources->memory->disable_oom_killer.set);
	cr_assert_not(c->linux_config->resources->memory->disable_oom_killer.value);
	cr_assert_eq(c->linux_config->resources->devices.items[2].minor.value, -1);
	cr_assert_str_eq(c->linux_config->time_offsets.keys[1], "boottime");
	cr_assert_eq(c->linux_config->time_offsets.values[1].secs.value, -3600);
	cr_assert_str_eq(c->linux_config->net_devices.values[0].name, "ctr1");
	cr_assert_eq(c->linux_config->seccomp->syscalls.items[1].args.items[0].value.value, 4294967295u);
	cr_assert_eq(c->hooks->poststop.items[0].timeout.value, 1);
	cr_assert_str_eq(c->annotations.values[1], "");
}

static char last_warning[512];
static void keep_warning(const char *message)
{
	snprintf(last_warning, sizeof(last_warning), "%s", message);
}

/* config.md: a capability the kernel cannot map is logged as a warning, never a failure. */
Test(config, unknown_capability_is_a_warning)
{
	const char *json = "{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],"
			   "\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_FLY\"],\"effective\":[\"CAP_FLY\",\"cap_chown\"]}}}";
	_cleanup_config_ struct oci_config *c = NULL;
	_cleanup_error_ berth_error *err = NULL;
	last_warning[0] = '\0';
	warning_set_sink(keep_warning);
	cr_assert_eq(oci_config_parse(json, strlen(json), "config.json", &c, &err), 0);
	warning_set_sink(NULL);
	cr_assert_str_eq(last_warning, "process.capabilities: ignoring unknown or unavailable capabilities: [CAP_FLY cap_chown]");
	cr_assert_eq(c->process->capabilities->bounding.len, 2);
}

/* Each class of invalid input and the exact line a user sees; nothing is returned on failure. */
static void assert_rejected(const char *json, const char *message)
{
	struct oci_config *config = NULL;
	_cleanup_error_ berth_error *err = NULL;

	int r = oci_config_parse(json, strlen(json), "config.json", &config, &err);
	cr_assert_lt(r, 0, "accepted: %s", json);
	cr_assert_null(config, "the output must stay untouched on failure");
	cr_assert_str_eq(err->message, message);
}

#define REJECTED(name, json, message)          \
	Test(config_errors, name)              \
	{                                      \
		assert_rejected(json, message); \
	}

REJECTED(memory_limit_not_integer,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}}",
	 "config.json: linux.resources.memory.limit: expected an integer from -1 to 9223372036854775807, got \"1G\"")
REJECTED(unknown_namespace_type,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"bogus\"}]}}",
	 "config.json: linux.namespaces[1].type: expected one of pid, network, mount, ipc, uts, user, cgroup or time, got \"bogus\"")
REJECTED(duplicate_namespace,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}",
	 "config.json: linux.namespaces[1].type: duplicate namespace \"pid\" (also namespaces[0])")
REJECTED(bad_rootfs_propagation,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"rootfsPropagation\":\"sideways\"}}",
	 "config.json: linux.rootfsPropagation: expected one of shared, slave, private, unbindable, rshared, rslave, rprivate or runbindable, got \"sideways\"")
REJECTED(negative_mapping_size,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":-1}]}}",
	 "config.json: linux.uidMappings[0].size: expected an integer from 0 to 4294967295, got -1")
REJECTED(negative_hugepage_limit,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"resources\":{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":-5}]}}}",
	 "config.json: linux.resources.hugepageLimits[0].limit: expected a non-negative integer, got -5")
REJECTED(unknown_rlimit,
	 "{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\",\"hard\":1,\"soft\":1}]}}",
	 "config.json: process.rlimits[0].type: expected a known value, got \"RLIMIT_BOGUS\"")
REJECTED(relative_cwd,
	 "{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"relative\",\"args\":[\"sh\"]}}",
	 "config.json: process.cwd: expected an absolute path, got \"relative\"")
REJECTED(missing_cwd,
	 "{\"ociVersion\":\"1.0.0\",\"process\":{\"args\":[\"sh\"]}}",
	 "config.json: process.cwd: required field is missing")
REJECTED(empty_args,
	 "{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\",\"args\":[]}}",
	 "config.json: process.args: needs at least one entry")
REJECTED(args_not_array,
	 "{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\",\"args\":\"sh\"}}",
	 "config.json: process.args: expected an array, got \"sh\"")
REJECTED(args_item_not_string,
	 "{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\",\"args\":[\"sh\", 3]}}",
	 "config.json: process.args[1]: expected a string, got 3")
REJECTED(bool_as_string,
	 "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"rootfs\",\"readonly\":\"yes\"}}",
	 "config.json: root.readonly: expected true or false, got \"yes\"")
REJECTED(missing_root_path,
	 "{\"ociVersion\":\"1.0.0\",\"root\":{}}",
	 "config.json: root.path: required field is missing")
REJECTED(missing_oci_version,
	 "{\"root\":{\"path\":\"rootfs\"}}",
	 "config.json: ociVersion: required field is missing")
REJECTED(unsupported_major_version,
	 "{\"ociVersion\":\"2.0.0\"}",
	 "config.json: ociVersion: expected a runtime-spec version 1.x.y (berth supports 1.0.0 to 1.3.0), got \"2.0.0\"")
REJECTED(float_for_integer,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"resources\":{\"cpu\":{\"shares\":1.5}}}}",
	 "config.json: linux.resources.cpu.shares: expected a non-negative integer, got 1.5")
REJECTED(integer_overflow,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"resources\":{\"pids\":{\"limit\":99999999999999999999}}}}",
	 "config.json: linux.resources.pids.limit: expected an integer, got 99999999999999999999")
REJECTED(hook_timeout_zero,
	 "{\"ociVersion\":\"1.0.0\",\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\",\"timeout\":0}]}}",
	 "config.json: hooks.prestart[0].timeout: expected an integer from 1 to 2147483647, got 0")
REJECTED(hook_without_path,
	 "{\"ociVersion\":\"1.0.0\",\"hooks\":{\"poststop\":[{\"args\":[\"x\"]}]}}",
	 "config.json: hooks.poststop[0].path: required field is missing")
REJECTED(unknown_seccomp_action,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_MAYBE\"}}}",
	 "config.json: linux.seccomp.defaultAction: expected a known value, got \"SCMP_ACT_MAYBE\"")
REJECTED(seccomp_arg_index_out_of_range,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
	 "config.json: linux.seccomp.syscalls[0].args[0].index: expected an integer from 0 to 5, got 6")
REJECTED(device_missing_minor,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\",\"major\":1}]}}",
	 "config.json: linux.devices[0].minor: required field is missing for a device of type \"c\"")
REJECTED(unknown_device_type,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"z\",\"major\":1,\"minor\":1}]}}",
	 "config.json: linux.devices[0].type: expected a known value, got \"z\"")
REJECTED(bad_device_access,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}}}",
	 "config.json: linux.resources.devices[0].access: expected a combination of r, w and m, got \"rwx\"")
REJECTED(mappings_without_user_namespace,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}]}}",
	 "config.json: linux.uidMappings: mappings need a user namespace in linux.namespaces")
REJECTED(unknown_time_clock,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"timeOffsets\":{\"realtime\":{\"secs\":1}},\"namespaces\":[{\"type\":\"time\"}]}}",
	 "config.json: linux.timeOffsets.realtime: invalid key: expected monotonic or boottime")
REJECTED(relative_namespace_path,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"netns/x\"}]}}",
	 "config.json: linux.namespaces[0].path: expected an absolute path, got \"netns/x\"")
REJECTED(memory_policy_without_nodes,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_BIND\"}}}",
	 "config.json: linux.memoryPolicy.nodes: required for mode MPOL_BIND")
REJECTED(bad_net_device_name,
	 "{\"ociVersion\":\"1.0.0\",\"linux\":{\"netDevices\":{\"a/b\":{}}}}",
	 "config.json: linux.netDevices.a/b: invalid key: expected a network interface name (1 to 15 characters, no '/', ':' or spaces)")
REJECTED(duplicate_rlimit,
	 "{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1,\"soft\":1},{\"type\":\"RLIMIT_NOFILE\",\"hard\":2,\"soft\":2}]}}",
	 "config.json: process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\" (also rlimits[0])")
REJECTED(soft_above_hard,
	 "{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1,\"soft\":2}]}}",
	 "config.json: process.rlimits[0]: soft limit 2 is above hard limit 1")
REJECTED(oom_score_adj_out_of_range,
	 "{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"oomScoreAdj\":1001}}",
	 "config.json: process.oomScoreAdj: expected an integer from -1000 to 1000, got 1001")
REJECTED(not_an_object,
	 "[1,2]",
	 "config.json: expected an object, got an array")
REJECTED(truncated_json,
	 "{\"ociVersion\":\"1.0.0\",",
	 "config.json: invalid JSON at line 1, column 23: parse error: premature EOF")
REJECTED(malformed_number,
	 "{\"ociVersion\": 1.0.0}",
	 "config.json: invalid JSON at line 1, column 20: lexical error: invalid char in json text.")
REJECTED(empty_document,
	 "",
	 "config.json: invalid JSON at line 1, column 1: parse error: premature EOF")

Test(config, unknown_properties_are_ignored)
{
	const char *json = "{\"ociVersion\":\"1.3.0\",\"future\":{\"x\":[1]},\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],"
			   "\"newThing\":true},\"windows\":{\"layerFolders\":[]}}";
	_cleanup_config_ struct oci_config *c = NULL;
	_cleanup_error_ berth_error *err = NULL;
	cr_assert_eq(oci_config_parse(json, strlen(json), "config.json", &c, &err), 0);
	cr_assert_str_eq(c->process->cwd, "/");
}

Test(config, nul_byte_is_rejected)
{
	const char json[] = "{\"ociVersion\":\"1.0.0\"}\0garbage";
	struct oci_config *c = NULL;
	_cleanup_error_ berth_error *err = NULL;
	cr_assert_lt(oci_config_parse(json, sizeof(json) - 1, "config.json", &c, &err), 0);
	cr_assert_str_eq(err->message, "config.json: invalid JSON: contains a NUL byte");
}

Test(config, process_json_for_exec)
{
	const char *json = "{\"terminal\":false,\"user\":{\"uid\":1000,\"gid\":0},\"args\":[\"sh\",\"-c\",\"exit 3\"],"
			   "\"env\":[\"PATH=/bin\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":[\"CAP_KILL\"]}}";
	struct oci_process *p = NULL;
	_cleanup_error_ berth_error *err = NULL;
	cr_assert_eq(oci_process_parse(json, strlen(json), "process.json", &p, &err), 0);
	cr_assert_eq(p->user->uid.value, 1000);
	cr_assert_eq(p->args.len, 3);
	oci_process_free(p);

	cr_assert_lt(oci_process_parse("{\"cwd\":\"/\"}", 11, "process.json", &p, &err), 0);
	cr_assert_str_eq(err->message, "process.json: args: needs at least one entry");
}

Test(config, resources_json_for_update)
{
	const char *json = "{\"memory\":{\"limit\":134217728,\"swap\":268435456},\"cpu\":{\"shares\":512}}";
	struct oci_resources *r = NULL;
	_cleanup_error_ berth_error *err = NULL;
	cr_assert_eq(oci_resources_parse(json, strlen(json), "resources", &r, &err), 0);
	cr_assert_eq(r->memory->limit.value, 134217728);
	cr_assert_eq(r->cpu->shares.value, 512);
	oci_resources_free(r);

	cr_assert_lt(oci_resources_parse("{\"pids\":{}}", 11, "-", &r, &err), 0);
	cr_assert_str_eq(err->message, "-: pids.limit: required field is missing");
}

Test(config, default_spec_is_runcs)
{
	_cleanup_config_ struct oci_config *c = NULL;
	_cleanup_error_ berth_error *err = NULL;
	cr_assert_eq(oci_config_default(false, &c, &err), 0);
	cr_assert_str_eq(c->oci_version, OCI_SPEC_VERSION);
	cr_assert_str_eq(c->process->args.items[0], "sh");
	cr_assert_eq(c->mounts.len, 7);
	/* A cgroup namespace only on a cgroup v2 host, as runc's spec. */
	struct statfs sfs;
	bool v2 = statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
	cr_assert_eq(c->linux_config->namespaces.len, v2 ? 6 : 5);
	cr_assert_eq(c->linux_config->resources->devices.len, 1);
}

Test(config, rootless_spec_maps_the_caller_and_drops_the_network_namespace)
{
	_cleanup_config_ struct oci_config *c = NULL;
	_cleanup_error_ berth_error *err = NULL;
	cr_assert_eq(oci_config_default(true, &c, &err), 0);
	struct oci_linux *l = c->linux_config;
	cr_assert_eq(l->uid_mappings.len, 1);
	cr_assert_eq(l->uid_mappings.items[0].host_id.value, geteuid());
	cr_assert_null(l->resources);
	for (size_t i = 0; i < l->namespaces.len; i++)
		cr_assert_neq(l->namespaces.items[i].type, OCI_NS_NETWORK);
	cr_assert_eq(l->namespaces.items[l->namespaces.len - 1].type, OCI_NS_USER);
	for (size_t i = 0; i < c->mounts.len; i++) {
		for (size_t j = 0; j < c->mounts.items[i].options.len; j++)
			cr_assert_neq(strncmp(c->mounts.items[i].options.items[j], "gid=", 4), 0);
		if (strcmp(c->mounts.items[i].destination, "/sys") == 0) {
			cr_assert_str_eq(c->mounts.items[i].type, "none");
			cr_assert_str_eq(c->mounts.items[i].options.items[0], "rbind");
		}
	}
}
