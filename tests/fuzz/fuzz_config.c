/*
 * libFuzzer target for the untrusted-input parsers (config.json, process.json,
 * LinuxResources). Besides not crashing, anything accepted must survive a
 * round trip: emit, parse again, emit the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const struct model_type *type, const char *data, size_t size)
{
	void *obj = NULL, *again = NULL;
	char *first = NULL, *second = NULL;
	berth_error *err = NULL;

	if (model_parse_document(type, data, size, "fuzz", &obj, &err) < 0) {
		if (!err || !err->message || strncmp(err->message, "fuzz", 4) != 0)
			abort(); /* every failure must carry a message naming the document */
		error_free(err);
		return;
	}
	if (model_to_json(type, obj, NULL, &first, NULL, &err) < 0)
		abort();
	if (model_parse_document(type, first, strlen(first), "emitted", &again, &err) < 0)
		abort();
	if (model_to_json(type, again, NULL, &second, NULL, &err) < 0 || strcmp(first, second) != 0)
		abort();
	model_free(type, obj);
	model_free(type, again);
	free(first);
	free(second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	round_trip(&oci_config_type, (const char *) data, size);
	round_trip(&oci_process_type, (const char *) data, size);
	round_trip(&oci_resources_type, (const char *) data, size);
	return 0;
}
