/* The generic C struct -> JSON half of the model engine. Fields are emitted in table order. */
#include "oci/model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

#define CHECK(expr)                                  \
	do {                                         \
		if ((expr) != yajl_gen_status_ok)    \
			return -EINVAL;              \
	} while (0)

static int emit_int(yajl_gen g, int64_t v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRId64, v);
	CHECK(yajl_gen_number(g, buf, (size_t) n));
	return 0;
}

static int emit_uint(yajl_gen g, uint64_t v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRIu64, v);
	CHECK(yajl_gen_number(g, buf, (size_t) n));
	return 0;
}

/* Whether a field holds something worth writing (Go's omitempty). */
static bool field_present(const struct model_field *f, const void *member)
{
	switch (f->kind) {
	case MODEL_STRING: {
		const char *s = *(char *const *) member;
		return s && *s;
	}
	case MODEL_BOOL:
		return *(const bool *) member;
	case MODEL_OPT_BOOL:
		return ((const struct opt_bool *) member)->set;
	case MODEL_INT:
		return ((const struct opt_int *) member)->set;
	case MODEL_UINT:
		return ((const struct opt_uint *) member)->set;
	case MODEL_ENUM:
		return *(const int *) member != 0;
	case MODEL_STRING_LIST:
	case MODEL_UINT_LIST:
	case MODEL_OBJECT_LIST:
		return ((const struct model_list *) member)->len > 0;
	case MODEL_STRING_MAP:
	case MODEL_OBJECT_MAP:
		return ((const struct model_map *) member)->len > 0;
	case MODEL_OBJECT:
		return *(void *const *) member != NULL;
	default:
		return false;
	}
}

static int emit_field(const struct model_field *f, const void *member, yajl_gen g)
{
	int r = 0;

	switch (f->kind) {
	case MODEL_STRING: {
		const char *s = *(char *const *) member;
		return json_gen_cstring(g, s ? s : "");
	}
	case MODEL_BOOL:
		CHECK(yajl_gen_bool(g, *(const bool *) member));
		return 0;
	case MODEL_OPT_BOOL:
		CHECK(yajl_gen_bool(g, ((const struct opt_bool *) member)->value));
		return 0;
	case MODEL_INT:
		return emit_int(g, ((const struct opt_int *) member)->value);
	case MODEL_UINT:
		return emit_uint(g, ((const struct opt_uint *) member)->value);
	case MODEL_ENUM: {
		int i = *(const int *) member;
		return json_gen_cstring(g, i > 0 && (size_t) i < f->n_choices ? f->choices[i] : "");
	}
	case MODEL_STRING_LIST: {
		const struct string_list *l = member;
		CHECK(yajl_gen_array_open(g));
		for (size_t i = 0; i < l->len && r == 0; i++)
			r = json_gen_cstring(g, l->items[i]);
		CHECK(yajl_gen_array_close(g));
		return r;
	}
	case MODEL_UINT_LIST: {
		const struct uint_list *l = member;
		CHECK(yajl_gen_array_open(g));
		for (size_t i = 0; i < l->len && r == 0; i++)
			r = emit_uint(g, l->items[i]);
		CHECK(yajl_gen_array_close(g));
		return r;
	}
	case MODEL_STRING_MAP: {
		const struct string_map *m = member;
		CHECK(yajl_gen_map_open(g));
		for (size_t i = 0; i < m->len && r == 0; i++)
			r = json_gen_cstring(g, m->keys[i]) ?: json_gen_cstring(g, m->values[i]);
		CHECK(yajl_gen_map_close(g));
		return r;
	}
	case MODEL_OBJECT: {
		const void *sub = *(void *const *) member;
		if (sub)
			return model_emit(f->type, sub, g);
		/* A required object that is absent is written with its zero values, as Go does. */
		_cleanup_free_ void *zero = calloc(1, f->type->size);
		return zero ? model_emit(f->type, zero, g) : -ENOMEM;
	}
	case MODEL_OBJECT_LIST: {
		const struct model_list *l = member;
		CHECK(yajl_gen_array_open(g));
		for (size_t i = 0; i < l->len && r == 0; i++)
			r = model_emit(f->type, (const char *) l->items + i * f->type->size, g);
		CHECK(yajl_gen_array_close(g));
		return r;
	}
	case MODEL_OBJECT_MAP: {
		const struct model_map *m = member;
		CHECK(yajl_gen_map_open(g));
		for (size_t i = 0; i < m->len && r == 0; i++)
			r = json_gen_cstring(g, m->keys[i]) ?: model_emit(f->type, (const char *) m->values + i * f->type->size, g);
		CHECK(yajl_gen_map_close(g));
		return r;
	}
	default:
		return -EINVAL;
	}
}

int model_emit(const struct model_type *type, const void *obj, yajl_gen g)
{
	CHECK(yajl_gen_map_open(g));
	for (size_t i = 0; i < type->n_fields; i++) {
		const struct model_field *f = &type->fields[i];
		const void *member = (const char *) obj + f->offset;
		if (!field_present(f, member) && !(f->flags & MODEL_EMIT_ALWAYS))
			continue;
		int r = json_gen_cstring(g, f->name);
		if (r == 0)
			r = emit_field(f, member, g);
		if (r < 0)
			return r;
	}
	CHECK(yajl_gen_map_close(g));
	return 0;
}

int model_to_json(const struct model_type *type, const void *obj, const char *indent, char **ret_json,
		  size_t *ret_len, berth_error **err)
{
	_cleanup_json_gen_ yajl_gen g = json_gen_new(indent);
	if (!g)
		return error_errno(err, ENOMEM, "serialise %s", type->name);
	if (model_emit(type, obj, g) < 0)
		return error_new(err, EINVAL, "internal error: cannot serialise %s", type->name);
	return json_gen_finish(g, ret_json, ret_len, err);
}
