/*
 * A declarative JSON <-> C struct engine. Each model type is a table of fields
 * (name, kind, offset, rules); one generic parser, one emitter and one
 * destructor walk those tables, so no field needs hand-written code.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "util/error.h"

struct opt_bool {
	bool set;
	bool value;
};

struct opt_int {
	bool set;
	int64_t value;
};

struct opt_uint {
	bool set;
	uint64_t value;
};

struct string_list {
	char **items;
	size_t len;
};

struct uint_list {
	uint64_t *items;
	size_t len;
};

struct string_map {
	char **keys;
	char **values;
	size_t len;
};

/* Typed containers of model objects; layout-compatible with model_list/model_map. */
#define MODEL_LIST(T)        \
	struct {             \
		T *items;    \
		size_t len;  \
	}
#define MODEL_MAP(T)         \
	struct {             \
		char **keys; \
		T *values;   \
		size_t len;  \
	}

struct model_list {
	void *items;
	size_t len;
};

struct model_map {
	char **keys;
	void *values;
	size_t len;
};

enum model_kind {
	MODEL_STRING,      /* char * */
	MODEL_BOOL,        /* bool (absent == false) */
	MODEL_OPT_BOOL,    /* struct opt_bool */
	MODEL_INT,         /* struct opt_int, range [min, max] */
	MODEL_UINT,        /* struct opt_uint, range [0, umax] */
	MODEL_ENUM,        /* int: index into choices, 0 == unset */
	MODEL_STRING_LIST, /* struct string_list */
	MODEL_UINT_LIST,   /* struct uint_list, range [0, umax] */
	MODEL_STRING_MAP,  /* struct string_map */
	MODEL_OBJECT,      /* pointer to the sub-type's struct, NULL == absent */
	MODEL_OBJECT_LIST, /* MODEL_LIST(sub-type) */
	MODEL_OBJECT_MAP,  /* MODEL_MAP(sub-type) */
};

enum {
	MODEL_REQUIRED = 1 << 0,    /* parsing fails when the field is absent */
	MODEL_EMIT_ALWAYS = 1 << 1, /* emitted even when empty (no omitempty in the spec's Go types) */
};

struct model_type;

/* A string rule: returns NULL when value is fine, else what was expected. */
typedef const char *(*model_string_rule)(const char *value);

struct model_field {
	const char *name;
	enum model_kind kind;
	size_t offset;
	unsigned flags;
	const struct model_type *type;  /* OBJECT, OBJECT_LIST, OBJECT_MAP */
	const char *const *choices;     /* ENUM (index 0 unused); STRING, STRING_LIST: NULL-terminated */
	size_t n_choices;               /* ENUM: entries including the unused 0 */
	int64_t min;                    /* INT */
	int64_t max;                    /* INT */
	uint64_t umax;                  /* UINT, UINT_LIST */
	model_string_rule rule;         /* STRING, STRING_LIST items, STRING_MAP keys */
};

/* Cross-field rules for one object, run after its fields parsed. path names the object. */
typedef int (*model_validator)(const void *obj, const char *path, berth_error **err);

struct model_type {
	const char *name;
	size_t size;
	const struct model_field *fields;
	size_t n_fields;
	model_validator validate;
};

#define MODEL_TYPE(ctype, table, validator) \
	{ #ctype, sizeof(ctype), table, sizeof(table) / sizeof((table)[0]), validator }

/* Compile-time check that a struct member has the C type its kind needs. */
#define MODEL_MEMBER(st, m, T) \
	(offsetof(st, m) + (sizeof(char[__builtin_types_compatible_p(__typeof__(((st *) 0)->m), T) ? 1 : -1]) - 1))
#define MODEL_MEMBER_SIZED(st, m, T) (offsetof(st, m) + (sizeof(char[sizeof(((st *) 0)->m) == sizeof(T) ? 1 : -1]) - 1))

#define F_STRING(st, m, json, ...) \
	{ .name = json, .kind = MODEL_STRING, .offset = MODEL_MEMBER(st, m, char *), __VA_ARGS__ }
#define F_BOOL(st, m, json, ...) { .name = json, .kind = MODEL_BOOL, .offset = MODEL_MEMBER(st, m, bool), __VA_ARGS__ }
#define F_OPT_BOOL(st, m, json, ...) \
	{ .name = json, .kind = MODEL_OPT_BOOL, .offset = MODEL_MEMBER(st, m, struct opt_bool), __VA_ARGS__ }
#define F_INT(st, m, json, lo, hi, ...)                                                                 \
	{ .name = json, .kind = MODEL_INT, .offset = MODEL_MEMBER(st, m, struct opt_int), .min = (lo), \
	  .max = (hi), __VA_ARGS__ }
#define F_UINT(st, m, json, hi, ...) \
	{ .name = json, .kind = MODEL_UINT, .offset = MODEL_MEMBER(st, m, struct opt_uint), .umax = (hi), __VA_ARGS__ }
#define F_ENUM(st, m, json, table, ...)                                                                           \
	{ .name = json, .kind = MODEL_ENUM, .offset = MODEL_MEMBER_SIZED(st, m, int), .choices = table,            \
	  .n_choices = sizeof(table) / sizeof((table)[0]), __VA_ARGS__ }
#define F_STRINGS(st, m, json, ...) \
	{ .name = json, .kind = MODEL_STRING_LIST, .offset = MODEL_MEMBER(st, m, struct string_list), __VA_ARGS__ }
#define F_UINTS(st, m, json, hi, ...)                                                                           \
	{ .name = json, .kind = MODEL_UINT_LIST, .offset = MODEL_MEMBER(st, m, struct uint_list), .umax = (hi), \
	  __VA_ARGS__ }
#define F_STRING_MAP(st, m, json, ...) \
	{ .name = json, .kind = MODEL_STRING_MAP, .offset = MODEL_MEMBER(st, m, struct string_map), __VA_ARGS__ }
#define F_OBJECT(st, m, json, subtype, ...) \
	{ .name = json, .kind = MODEL_OBJECT, .offset = offsetof(st, m), .type = &(subtype), __VA_ARGS__ }
#define F_OBJECTS(st, m, json, subtype, ...)                                                             \
	{ .name = json, .kind = MODEL_OBJECT_LIST, .offset = MODEL_MEMBER_SIZED(st, m, struct model_list), \
	  .type = &(subtype), __VA_ARGS__ }
#define F_OBJECT_MAP(st, m, json, subtype, ...)                                                         \
	{ .name = json, .kind = MODEL_OBJECT_MAP, .offset = MODEL_MEMBER_SIZED(st, m, struct model_map), \
	  .type = &(subtype), __VA_ARGS__ }

/*
 * Parse a JSON document into a newly allocated object of `type`. `label` names
 * the document in errors ("config.json: process.args: expected an array, got 3").
 */
int model_parse_document(const struct model_type *type, const char *data, size_t len, const char *label,
			 void **ret, berth_error **err);

/* Free an object allocated by model_parse_document (NULL is fine). */
void model_free(const struct model_type *type, void *obj);

/* Free the members of an object without freeing the object itself. */
void model_free_members(const struct model_type *type, void *obj);

/* Emit an object as a JSON value into g. */
int model_emit(const struct model_type *type, const void *obj, yajl_gen g);

/* Serialise an object: pretty uses indent (e.g. "\t"); NULL means compact. */
int model_to_json(const struct model_type *type, const void *obj, const char *indent, char **ret_json,
		  size_t *ret_len, berth_error **err);

/* Append a copy of value, keeping the list NULL-terminated (for execve). */
int string_list_append(struct string_list *list, const char *value);

/* Find the index of value in an enum's choices; 0 when it is not there. */
int model_enum_lookup(const char *const *choices, size_t n_choices, const char *value);

/* Fail with "<path>.<field>: <message>" (either part may be empty); returns -EINVAL. */
int model_fail(berth_error **err, const char *path, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
