/* Thin helpers over yajl_gen for the few hand-built JSON documents (logs, lists). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_gen.h>

#include "util/error.h"

/* A generator; indent NULL means compact output. NULL on allocation failure. */
yajl_gen json_gen_new(const char *indent);

int json_gen_cstring(yajl_gen g, const char *s);

/* Copy the generated text out (NUL-terminated) and free the generator. */
int json_gen_finish(yajl_gen g, char **ret_json, size_t *ret_len, berth_error **err);

static inline void json_gen_freep(yajl_gen *g)
{
	if (*g)
		yajl_gen_free(*g);
}
#define _cleanup_json_gen_ _cleanup_(json_gen_freep)
