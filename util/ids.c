#include "util/ids.h"

#include <errno.h>
#include <string.h>

static int parse_digits(const char *text, size_t len, uint32_t *ret)
{
	uint64_t v = 0;
	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t) (text[i] - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	*ret = (uint32_t) v;
	return 0;
}

int parse_id32(const char *text, uint32_t *ret)
{
	return parse_digits(text, strlen(text), ret);
}

int parse_user_spec(const char *spec, uint32_t *ret_uid, uint32_t *ret_gid, bool *ret_has_gid)
{
	const char *colon = strchr(spec, ':');
	*ret_has_gid = colon != NULL;
	if (parse_digits(spec, colon ? (size_t) (colon - spec) : strlen(spec), ret_uid) < 0)
		return -EINVAL;
	return colon ? parse_id32(colon + 1, ret_gid) : 0;
}
