#include "util/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

yajl_gen json_gen_new(const char *indent)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		return NULL;
	if (indent) {
		yajl_gen_config(g, yajl_gen_beautify, 1);
		yajl_gen_config(g, yajl_gen_indent_string, indent);
	}
	return g;
}

int json_gen_cstring(yajl_gen g, const char *s)
{
	return yajl_gen_string(g, (const unsigned char *) s, strlen(s)) == yajl_gen_status_ok ? 0 : -EINVAL;
}

int json_gen_finish(yajl_gen g, char **ret_json, size_t *ret_len, berth_error **err)
{
	const unsigned char *buf = NULL;
	size_t len = 0;

	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		return error_new(err, EINVAL, "internal error: incomplete JSON document");
	char *copy = malloc(len + 1);
	if (!copy)
		return error_errno(err, ENOMEM, "serialise JSON");
	memcpy(copy, buf, len);
	copy[len] = '\0';
	*ret_json = copy;
	if (ret_len)
		*ret_len = len;
	return 0;
}
