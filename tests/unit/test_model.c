/* The model engine itself: JSON corner cases, emission, the state object. */
#include <criterion/criterion.h>
#include <string.h>

#include "oci/config.h"
#include "oci/state.h"

static struct oci_config *parse_ok(const char *json)
{
	struct oci_config *c = NULL;
	_cleanup_error_ berth_error *err = NULL;
	cr_assert_eq(oci_config_parse(json, strlen(json), "t", &c, &err), 0, "%s", err ? err->message : "");
	return c;
}

Test(model, a_repeated_key_takes_the_last_value)
{
	_cleanup_config_ struct oci_config *c =
		parse_ok("{\"ociVersion\":\"1.0.0\",\"hostname\":\"a\",\"hostname\":\"b\","
			 "\"annotations\":{\"k\":\"1\",\"k\":\"2\",\"j\":\"3\"}}");
	cr_assert_str_eq(c->hostname, "b");
	cr_assert_eq(c->annotations.len, 2);
	cr_assert_str_eq(c->annotations.values[0], "2");
}

Test(model, null_means_absent)
{
	_cleanup_config_ struct oci_config *c =
		parse_ok("{\"ociVersion\":\"1.0.0\",\"process\":null,\"linux\":{\"resources\":null,\"namespaces\":null}}");
	cr_assert_null(c->process);
	cr_assert_null(c->linux_config->resources);
	cr_assert_eq(c->linux_config->namespaces.len, 0);
}

Test(model, integers_use_their_full_range)
{
	_cleanup_config_ struct oci_config *c = parse_ok(
		"{\"ociVersion\":\"1.0.0\",\"linux\":{\"resources\":{\"cpu\":{\"quota\":-9223372036854775808,"
		"\"shares\":18446744073709551615}}}}");
	cr_assert_eq(c->linux_config->resources->cpu->quota.value, INT64_MIN);
	cr_assert_eq(c->linux_config->resources->cpu->shares.value, UINT64_MAX);
	_cleanup_free_ char *json = NULL;
	_cleanup_error_ berth_error *err = NULL;
	cr_assert_eq(model_to_json(&oci_config_type, c, NULL, &json, NULL, &err), 0);
	cr_assert_not_null(strstr(json, "\"quota\":-9223372036854775808"));
	cr_assert_not_null(strstr(json, "\"shares\":18446744073709551615"));
}

Test(model, compact_emission_omits_what_is_unset)
{
	_cleanup_config_ struct oci_config *c = parse_ok("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"}}");
	_cleanup_free_ char *json = NULL;
	_cleanup_error_ berth_error *err = NULL;
	cr_assert_eq(model_to_json(&oci_config_type, c, NULL, &json, NULL, &err), 0);
	cr_assert_str_eq(json, "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"}}");
}

Test(model, required_objects_are_written_with_zero_values)
{
	_cleanup_config_ struct oci_config *c =
		parse_ok("{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":\"/\",\"args\":[\"x\"]}}");
	_cleanup_free_ char *json = NULL;
	_cleanup_error_ berth_error *err = NULL;
	cr_assert_eq(model_to_json(&oci_config_type, c, NULL, &json, NULL, &err), 0);
	cr_assert_str_eq(json, "{\"ociVersion\":\"1.0.0\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},"
			       "\"args\":[\"x\"],\"cwd\":\"/\"}}");
}

Test(model, strings_are_escaped_and_utf8_is_checked)
{
	_cleanup_config_ struct oci_config *c =
		parse_ok("{\"ociVersion\":\"1.0.0\",\"hostname\":\"a\\\"b\\n\\u00e9\"}");
	cr_assert_str_eq(c->hostname, "a\"b\n\xc3\xa9");
	struct oci_config *bad = NULL;
	_cleanup_error_ berth_error *err = NULL;
	const char invalid[] = "{\"ociVersion\":\"1.0.0\",\"hostname\":\"\xff\"}";
	cr_assert_lt(oci_config_parse(invalid, sizeof(invalid) - 1, "t", &bad, &err), 0);
	cr_assert_not_null(strstr(err->message, "invalid JSON"));
}

Test(model, state_is_written_as_runc_writes_it)
{
	char *keys[] = { (char *) "a" }, *values[] = { (char *) "b" };
	struct oci_state s = {
		.oci_version = (char *) "1.3.0",
		.id = (char *) "c1",
		.pid = { true, 4937 },
		.status = OCI_STATUS_RUNNING,
		.bundle = (char *) "/b",
		.rootfs = (char *) "/b/rootfs",
		.created = (char *) "2026-11-22T04:58:40.610654402Z",
		.annotations = { keys, values, 1 },
	};
	_cleanup_free_ char *json = NULL;
	_cleanup_error_ berth_error *err = NULL;
	cr_assert_eq(model_to_json(&oci_state_type, &s, NULL, &json, NULL, &err), 0);
	cr_assert_str_eq(json, "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"pid\":4937,\"status\":\"running\","
			       "\"bundle\":\"/b\",\"rootfs\":\"/b/rootfs\",\"created\":\"2026-11-22T04:58:40.610654402Z\","
			       "\"owner\":\"\",\"annotations\":{\"a\":\"b\"}}");

	struct oci_state *back = NULL;
	cr_assert_eq(model_parse_document(&oci_state_type, json, strlen(json), "state", (void **) &back, &err), 0);
	cr_assert_eq(back->status, OCI_STATUS_RUNNING);
	cr_assert_eq(back->pid.value, 4937);
	model_free(&oci_state_type, back);
}

Test(model, container_state_file_round_trips)
{
	const char *json = "{\"ociVersion\":\"1.3.0\",\"id\":\"c\",\"bundle\":\"/b\",\"status\":\"created\","
			   "\"initPid\":42,\"initStartTime\":123456,\"cgroupPaths\":{\"/sys/fs/cgroup/pids\":\"/berth/c\"}}";
	struct berth_container_state *s = NULL;
	_cleanup_free_ char *out = NULL;
	_cleanup_error_ berth_error *err = NULL;
	cr_assert_eq(model_parse_document(&berth_container_state_type, json, strlen(json), "state.json", (void **) &s,
					  &err),
		     0);
	cr_assert_eq(s->status, OCI_STATUS_CREATED);
	cr_assert_eq(s->init_start_time.value, 123456);
	cr_assert_eq(model_to_json(&berth_container_state_type, s, NULL, &out, NULL, &err), 0);
	cr_assert_str_eq(out, json);
	model_free(&berth_container_state_type, s);

	cr_assert_lt(model_parse_document(&berth_container_state_type, "{\"id\":\"c\"}", 10, "state.json", (void **) &s,
					  &err),
		     0);
	cr_assert_str_eq(err->message, "state.json: ociVersion: required field is missing");
}
