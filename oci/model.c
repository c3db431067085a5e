/* The generic JSON -> C struct half of the model engine: parsing and freeing. */
#include "oci/model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#define PATH_MAX_LEN 512

/* Where the parser is in the document, for error messages: "linux.namespaces[2].type". */
struct json_path {
	char buf[PATH_MAX_LEN];
	size_t len;
};

static size_t path_push_key(struct json_path *p, const char *key)
{
	size_t saved = p->len;
	int n = snprintf(p->buf + p->len, sizeof(p->buf) - p->len, "%s%s", p->len ? "." : "", key);
	if (n > 0)
		p->len = p->len + (size_t) n < sizeof(p->buf) ? p->len + (size_t) n : sizeof(p->buf) - 1;
	return saved;
}

static size_t path_push_index(struct json_path *p, size_t index)
{
	size_t saved = p->len;
	int n = snprintf(p->buf + p->len, sizeof(p->buf) - p->len, "[%zu]", index);
	if (n > 0)
		p->len = p->len + (size_t) n < sizeof(p->buf) ? p->len + (size_t) n : sizeof(p->buf) - 1;
	return saved;
}

static void path_pop(struct json_path *p, size_t saved)
{
	p->len = saved;
	p->buf[saved] = '\0';
}

int model_fail(berth_error **err, const char *path, const char *field, const char *fmt, ...)
{
	_cleanup_free_ char *message = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&message, fmt, ap) < 0)
		message = NULL;
	va_end(ap);
	bool has_path = path && *path, has_field = field && *field;
	return error_new(err, EINVAL, "%s%s%s%s%s", has_path ? path : "", has_path && has_field ? "." : "",
			 has_field ? field : "", has_path || has_field ? ": " : "", message ? message : "invalid value");
}

/* A short description of a JSON value for "got ..." in messages. */
static void describe(yajl_val v, char *buf, size_t size)
{
	if (!v || YAJL_IS_NULL(v))
		snprintf(buf, size, "null");
	else if (YAJL_IS_STRING(v)) {
		const char *s = YAJL_GET_STRING(v);
		snprintf(buf, size, "\"%.*s%s\"", 64, s, strlen(s) > 64 ? "..." : "");
	} else if (YAJL_IS_NUMBER(v))
		snprintf(buf, size, "%.64s", YAJL_GET_NUMBER(v));
	else if (YAJL_IS_TRUE(v))
		snprintf(buf, size, "true");
	else if (YAJL_IS_FALSE(v))
		snprintf(buf, size, "false");
	else if (YAJL_IS_OBJECT(v))
		snprintf(buf, size, "an object");
	else
		snprintf(buf, size, "an array");
}

static int fail_expected(berth_error **err, const struct json_path *p, const char *what, yajl_val got)
{
	char desc[96];
	describe(got, desc, sizeof(desc));
	return model_fail(err, p->buf, NULL, "expected %s, got %s", what, desc);
}

static int parse_string(yajl_val v, const struct model_field *f, const struct json_path *p, char **ret,
			berth_error **err)
{
	if (!YAJL_IS_STRING(v))
		return fail_expected(err, p, "a string", v);
	const char *s = YAJL_GET_STRING(v);
	if (f->choices && f->kind != MODEL_ENUM) {
		bool found = false;
		for (const char *const *c = f->choices; *c && !found; c++)
			found = strcmp(*c, s) == 0;
		if (!found)
			return fail_expected(err, p, "a known value", v);
	}
	if (f->rule) {
		const char *expected = f->rule(s);
		if (expected)
			return fail_expected(err, p, expected, v);
	}
	char *copy = strdup(s);
	if (!copy)
		return error_errno(err, ENOMEM, "%s", p->buf);
	*ret = copy;
	return 0;
}

static bool number_is_integer(const char *s)
{
	return strpbrk(s, ".eE") == NULL;
}

static int parse_int(yajl_val v, int64_t min, int64_t max, const struct json_path *p, int64_t *ret,
		     berth_error **err)
{
	char what[96];
	if (min == INT64_MIN && max == INT64_MAX)
		snprintf(what, sizeof(what), "an integer");
	else
		snprintf(what, sizeof(what), "an integer from %" PRId64 " to %" PRId64, min, max);
	if (!YAJL_IS_NUMBER(v) || !number_is_integer(YAJL_GET_NUMBER(v)))
		return fail_expected(err, p, what, v);
	errno = 0;
	char *end = NULL;
	long long n = strtoll(YAJL_GET_NUMBER(v), &end, 10);
	if (errno || *end || n < min || n > max)
		return fail_expected(err, p, what, v);
	*ret = n;
	return 0;
}

static int parse_uint(yajl_val v, uint64_t max, const struct json_path *p, uint64_t *ret, berth_error **err)
{
	char what[96];
	if (max == UINT64_MAX)
		snprintf(what, sizeof(what), "a non-negative integer");
	else
		snprintf(what, sizeof(what), "an integer from 0 to %" PRIu64, max);
	if (!YAJL_IS_NUMBER(v) || !number_is_integer(YAJL_GET_NUMBER(v)) || YAJL_GET_NUMBER(v)[0] == '-')
		return fail_expected(err, p, what, v);
	errno = 0;
	char *end = NULL;
	unsigned long long n = strtoull(YAJL_GET_NUMBER(v), &end, 10);
	if (errno || *end || n > max)
		return fail_expected(err, p, what, v);
	*ret = n;
	return 0;
}

static int parse_object(const struct model_type *type, yajl_val v, void *obj, struct json_path *p,
			berth_error **err);

/* Allocate a zeroed array of n elements of size elem, reporting ENOMEM with the path. */
static void *alloc_items(size_t n, size_t elem, const struct json_path *p, berth_error **err)
{
	void *items = calloc(n ? n : 1, elem);
	if (!items)
		error_errno(err, ENOMEM, "%s", p->buf);
	return items;
}

static int parse_list(const struct model_field *f, yajl_val v, void *member, struct json_path *p,
		      berth_error **err)
{
	if (!YAJL_IS_ARRAY(v))
		return fail_expected(err, p, "an array", v);
	size_t n = v->u.array.len;
	int r = 0;

	switch (f->kind) {
	case MODEL_STRING_LIST: {
		struct string_list *list = member;
		list->items = alloc_items(n + 1, sizeof(char *), p, err);
		if (!list->items)
			return -ENOMEM;
		for (size_t i = 0; i < n && r == 0; i++) {
			size_t saved = path_push_index(p, i);
			r = parse_string(v->u.array.values[i], f, p, &list->items[i], err);
			if (r == 0)
				list->len++;
			path_pop(p, saved);
		}
		return r;
	}
	case MODEL_UINT_LIST: {
		struct uint_list *list = member;
		list->items = alloc_items(n, sizeof(uint64_t), p, err);
		if (!list->items)
			return -ENOMEM;
		for (size_t i = 0; i < n && r == 0; i++) {
			size_t saved = path_push_index(p, i);
			r = parse_uint(v->u.array.values[i], f->umax, p, &list->items[i], err);
			if (r == 0)
				list->len++;
			path_pop(p, saved);
		}
		return r;
	}
	case MODEL_OBJECT_LIST: {
		struct model_list *list = member;
		list->items = alloc_items(n, f->type->size, p, err);
		if (!list->items)
			return -ENOMEM;
		for (size_t i = 0; i < n && r == 0; i++) {
			size_t saved = path_push_index(p, i);
			/* Count the element first so a partial one is freed with the list. */
			list->len++;
			r = parse_object(f->type, v->u.array.values[i], (char *) list->items + i * f->type->size, p,
					 err);
			path_pop(p, saved);
		}
		return r;
	}
	default:
		return model_fail(err, p->buf, NULL, "internal error: not a list kind");
	}
}

/* Index of key in a map being built, to let a repeated key replace the earlier one. */
static size_t map_find(char **keys, size_t len, const char *key)
{
	for (size_t i = 0; i < len; i++)
		if (strcmp(keys[i], key) == 0)
			return i;
	return len;
}

static int parse_map(const struct model_field *f, yajl_val v, void *member, struct json_path *p,
		     berth_error **err)
{
	if (!YAJL_IS_OBJECT(v))
		return fail_expected(err, p, "an object", v);
	size_t n = v->u.object.len;
	struct model_map *map = member;
	size_t elem = f->kind == MODEL_STRING_MAP ? sizeof(char *) : f->type->size;
	int r = 0;

	map->keys = alloc_items(n, sizeof(char *), p, err);
	if (!map->keys)
		return -ENOMEM;
	map->values = alloc_items(n, elem, p, err);
	if (!map->values)
		return -ENOMEM;
	for (size_t i = 0; i < n && r == 0; i++) {
		const char *key = v->u.object.keys[i];
		size_t saved = path_push_key(p, key);
		if (f->rule && f->rule(key)) {
			r = model_fail(err, p->buf, NULL, "invalid key: expected %s", f->rule(key));
			path_pop(p, saved);
			break;
		}
		size_t at = map_find(map->keys, map->len, key);
		char *slot = (char *) map->values + at * elem;
		if (at < map->len) {
			/* A repeated key: the last one wins, as in Go's encoding/json. */
			if (f->kind == MODEL_STRING_MAP) {
				free(*(char **) slot);
				*(char **) slot = NULL;
			} else {
				model_free_members(f->type, slot);
				memset(slot, 0, elem);
			}
		} else {
			map->keys[at] = strdup(key);
			if (!map->keys[at]) {
				path_pop(p, saved);
				return error_errno(err, ENOMEM, "%s", p->buf);
			}
			map->len++;
		}
		if (f->kind == MODEL_STRING_MAP)
			r = parse_string(v->u.object.values[i], &(struct model_field){ .kind = MODEL_STRING }, p,
					 (char **) slot, err);
		else
			r = parse_object(f->type, v->u.object.values[i], slot, p, err);
		path_pop(p, saved);
	}
	return r;
}

static int parse_field(const struct model_field *f, yajl_val v, void *obj, struct json_path *p,
		       berth_error **err)
{
	void *member = (char *) obj + f->offset;

	switch (f->kind) {
	case MODEL_STRING:
		return parse_string(v, f, p, member, err);
	case MODEL_BOOL:
	case MODEL_OPT_BOOL: {
		if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
			return fail_expected(err, p, "true or false", v);
		if (f->kind == MODEL_BOOL)
			*(bool *) member = YAJL_IS_TRUE(v);
		else
			*(struct opt_bool *) member = (struct opt_bool){ true, YAJL_IS_TRUE(v) };
		return 0;
	}
	case MODEL_INT: {
		struct opt_int *o = member;
		int r = parse_int(v, f->min, f->max, p, &o->value, err);
		o->set = r == 0;
		return r;
	}
	case MODEL_UINT: {
		struct opt_uint *o = member;
		int r = parse_uint(v, f->umax, p, &o->value, err);
		o->set = r == 0;
		return r;
	}
	case MODEL_ENUM: {
		if (!YAJL_IS_STRING(v))
			return fail_expected(err, p, "a string", v);
		int index = model_enum_lookup(f->choices, f->n_choices, YAJL_GET_STRING(v));
		if (index == 0) {
			char expected[512];
			size_t len = 0;
			expected[0] = '\0';
			for (size_t i = 1; i < f->n_choices && len < sizeof(expected); i++)
				len += (size_t) snprintf(expected + len, sizeof(expected) - len, "%s%s",
							 i > 1 ? (i + 1 == f->n_choices ? " or " : ", ") : "one of ",
							 f->choices[i]);
			return fail_expected(err, p, expected, v);
		}
		*(int *) member = index;
		return 0;
	}
	case MODEL_STRING_LIST:
	case MODEL_UINT_LIST:
	case MODEL_OBJECT_LIST:
		return parse_list(f, v, member, p, err);
	case MODEL_STRING_MAP:
	case MODEL_OBJECT_MAP:
		return parse_map(f, v, member, p, err);
	case MODEL_OBJECT: {
		void *sub = calloc(1, f->type->size);
		if (!sub)
			return error_errno(err, ENOMEM, "%s", p->buf);
		*(void **) member = sub;
		return parse_object(f->type, v, sub, p, err);
	}
	default:
		return model_fail(err, p->buf, NULL, "internal error: unknown field kind");
	}
}

static yajl_val object_get(yajl_val v, const char *key)
{
	/* The last occurrence wins, as in Go's encoding/json. */
	for (size_t i = v->u.object.len; i > 0; i--)
		if (strcmp(v->u.object.keys[i - 1], key) == 0)
			return v->u.object.values[i - 1];
	return NULL;
}

static int parse_object(const struct model_type *type, yajl_val v, void *obj, struct json_path *p,
			berth_error **err)
{
	if (!YAJL_IS_OBJECT(v))
		return fail_expected(err, p, "an object", v);
	for (size_t i = 0; i < type->n_fields; i++) {
		const struct model_field *f = &type->fields[i];
		yajl_val fv = object_get(v, f->name);
		size_t saved = path_push_key(p, f->name);
		int r = 0;
		/* Unknown properties are ignored (runtime-spec: config.md); null means absent. */
		if (!fv || YAJL_IS_NULL(fv)) {
			if (f->flags & MODEL_REQUIRED)
				r = model_fail(err, p->buf, NULL, "required field is missing");
		} else
			r = parse_field(f, fv, obj, p, err);
		path_pop(p, saved);
		if (r < 0)
			return r;
	}
	return type->validate ? type->validate(obj, p->buf, err) : 0;
}

int string_list_append(struct string_list *list, const char *value)
{
	char **items = realloc(list->items, (list->len + 2) * sizeof(char *));
	if (!items)
		return -ENOMEM;
	list->items = items;
	items[list->len] = strdup(value);
	if (!items[list->len])
		return -ENOMEM;
	items[++list->len] = NULL;
	return 0;
}

int model_enum_lookup(const char *const *choices, size_t n_choices, const char *value)
{
	for (size_t i = 1; i < n_choices; i++)
		if (choices[i] && strcmp(choices[i], value) == 0)
			return (int) i;
	return 0;
}

/* One line from yajl's multi-line message: its first line, whitespace folded. */
static void fold_yajl_error(const char *in, char *out, size_t size)
{
	size_t o = 0;
	bool space = false;
	for (const char *c = in; *c && o + 1 < size; c++) {
		if (*c == '\n') {
			/* yajl's second and later lines show the text and a caret: keep only the reason. */
			break;
		}
		if (*c == ' ' || *c == '\t') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < size)
			out[o++] = ' ';
		space = false;
		out[o++] = *c;
	}
	out[o] = '\0';
}

/* Where yajl stopped in data, as "line L, column C" (only computed on the error path). */
static void locate_syntax_error(const char *data, size_t len, char *out, size_t size)
{
	yajl_handle h = yajl_alloc(NULL, NULL, NULL);
	size_t at = len;
	if (h) {
		if (yajl_parse(h, (const unsigned char *) data, len) != yajl_status_ok)
			at = yajl_get_bytes_consumed(h);
		else if (yajl_complete_parse(h) != yajl_status_ok)
			at = len;
		yajl_free(h);
	}
	size_t line = 1, column = 1;
	for (size_t i = 0; i < at && i < len; i++) {
		if (data[i] == '\n') {
			line++;
			column = 1;
		} else
			column++;
	}
	snprintf(out, size, "line %zu, column %zu", line, column);
}

/* yajl frees its tree recursively: a document nested deep enough would exhaust the stack. */
#define MODEL_MAX_DEPTH 64

static bool nested_too_deep(const char *s, size_t len)
{
	size_t depth = 0;
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"')
			in_string = true;
		else if ((c == '[' || c == '{') && ++depth > MODEL_MAX_DEPTH)
			return true;
		else if ((c == ']' || c == '}') && depth > 0)
			depth--;
	}
	return false;
}

int model_parse_document(const struct model_type *type, const char *data, size_t len, const char *label,
			 void **ret, berth_error **err)
{
	char errbuf[1024] = "";
	_cleanup_free_ char *copy = NULL;
	int r;

	if (memchr(data, '\0', len))
		return error_new(err, EINVAL, "%s: invalid JSON: contains a NUL byte", label);
	if (nested_too_deep(data, len))
		return error_new(err, EINVAL, "%s: invalid JSON: nested deeper than %d levels", label, MODEL_MAX_DEPTH);
	/* yajl_tree_parse wants a NUL-terminated string. */
	copy = strndup(data, len);
	if (!copy)
		return error_errno(err, ENOMEM, "%s", label);
	yajl_val tree = yajl_tree_parse(copy, errbuf, sizeof(errbuf));
	if (!tree) {
		char folded[256], where[64];
		fold_yajl_error(errbuf[0] ? errbuf : "parse error", folded, sizeof(folded));
		locate_syntax_error(copy, len, where, sizeof(where));
		return error_new(err, EINVAL, "%s: invalid JSON at %s: %s", label, where, folded);
	}
	void *obj = calloc(1, type->size);
	if (!obj) {
		yajl_tree_free(tree);
		return error_errno(err, ENOMEM, "%s", label);
	}
	struct json_path p = { .len = 0 };
	r = parse_object(type, tree, obj, &p, err);
	yajl_tree_free(tree);
	if (r < 0) {
		model_free(type, obj);
		return error_prefix(err, "%s", label);
	}
	*ret = obj;
	return 0;
}

void model_free_members(const struct model_type *type, void *obj)
{
	if (!obj)
		return;
	for (size_t i = 0; i < type->n_fields; i++) {
		const struct model_field *f = &type->fields[i];
		void *member = (char *) obj + f->offset;
		switch (f->kind) {
		case MODEL_STRING:
			free(*(char **) member);
			break;
		case MODEL_STRING_LIST: {
			struct string_list *l = member;
			for (size_t j = 0; j < l->len; j++)
				free(l->items[j]);
			free(l->items);
			break;
		}
		case MODEL_UINT_LIST:
			free(((struct uint_list *) member)->items);
			break;
		case MODEL_STRING_MAP: {
			struct string_map *m = member;
			for (size_t j = 0; j < m->len; j++) {
				free(m->keys[j]);
				free(m->values[j]);
			}
			free(m->keys);
			free(m->values);
			break;
		}
		case MODEL_OBJECT:
			model_free(f->type, *(void **) member);
			break;
		case MODEL_OBJECT_LIST: {
			struct model_list *l = member;
			for (size_t j = 0; j < l->len; j++)
				model_free_members(f->type, (char *) l->items + j * f->type->size);
			free(l->items);
			break;
		}
		case MODEL_OBJECT_MAP: {
			struct model_map *m = member;
			for (size_t j = 0; j < m->len; j++) {
				free(m->keys[j]);
				model_free_members(f->type, (char *) m->values + j * f->type->size);
			}
			free(m->keys);
			free(m->values);
			break;
		}
		case MODEL_BOOL:
		case MODEL_OPT_BOOL:
		case MODEL_INT:
		case MODEL_UINT:
		case MODEL_ENUM:
		default:
			break;
		}
	}
}

void model_free(const struct model_type *type, void *obj)
{
	model_free_members(type, obj);
	free(obj);
}
