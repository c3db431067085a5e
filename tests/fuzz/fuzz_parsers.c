/*
 * libFuzzer target for the small parsers of untrusted text: signal names (kill)
 * and mount options (config.json mounts[].options). The first byte picks one.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "namespaces/mounts.h"
#include "util/proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	char *text = strndup((const char *) data + 1, size - 1);
	if (!text)
		return 0;
	if (data[0] & 1) {
		int sig = signal_parse(text);
		if (sig != -EINVAL && (sig < 1 || sig > 64))
			abort(); /* a valid result is a real signal number */
	} else {
		/* Options as the config gives them: a list of strings (split on ','). */
		struct string_list list = { 0 };
		for (char *save = NULL, *tok = strtok_r(text, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (string_list_append(&list, tok) < 0)
				break;
		struct mount_options o;
		if (mount_options_parse(&list, &o) == 0) {
			if (o.data && strlen(o.data) > size)
				abort(); /* data is made of the unknown options only */
			mount_options_clear(&o);
		}
		for (size_t i = 0; i < list.len; i++)
			free(list.items[i]);
		free(list.items);
	}
	free(text);
	return 0;
}
