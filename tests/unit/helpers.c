#include "tests/unit/helpers.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"

char *test_read_data(const char *name, size_t *len)
{
	const char *dir = getenv("BERTH_TEST_DATA");
	char path[4096];
	char *data = NULL;
	berth_error *err = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data", name);
	if (read_file_at(AT_FDCWD, path, &data, len, &err) < 0)
		cr_assert_fail("cannot read test data %s: %s", path, err->message);
	return data;
}

static bool is_empty(yajl_val v)
{
	return !v || YAJL_IS_NULL(v) || YAJL_IS_FALSE(v) || (YAJL_IS_STRING(v) && !*v->u.string) ||
	       (YAJL_IS_ARRAY(v) && v->u.array.len == 0) || (YAJL_IS_OBJECT(v) && v->u.object.len == 0);
}

static yajl_val lookup(yajl_val obj, const char *key)
{
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

bool test_json_equivalent(yajl_val a, yajl_val b, char *where, size_t size)
{
	if (YAJL_IS_OBJECT(a) && YAJL_IS_OBJECT(b)) {
		for (size_t i = 0; i < a->u.object.len; i++) {
			yajl_val bv = lookup(b, a->u.object.keys[i]);
			if (!bv && is_empty(a->u.object.values[i]))
				continue;
			if (!bv || !test_json_equivalent(a->u.object.values[i], bv, where, size)) {
				if (!bv)
					snprintf(where, size, "missing");
				size_t len = strlen(where);
				snprintf(where + len, size - len, " <- %s", a->u.object.keys[i]);
				return false;
			}
		}
		for (size_t i = 0; i < b->u.object.len; i++)
			if (!lookup(a, b->u.object.keys[i])) {
				snprintf(where, size, "unexpected key %s", b->u.object.keys[i]);
				return false;
			}
		return true;
	}
	if (YAJL_IS_ARRAY(a) && YAJL_IS_ARRAY(b)) {
		if (a->u.array.len != b->u.array.len) {
			snprintf(where, size, "array length %zu != %zu", a->u.array.len, b->u.array.len);
			return false;
		}
		for (size_t i = 0; i < a->u.array.len; i++)
			if (!test_json_equivalent(a->u.array.values[i], b->u.array.values[i], where, size)) {
				size_t len = strlen(where);
				snprintf(where + len, size - len, " <- [%zu]", i);
				return false;
			}
		return true;
	}
	if (YAJL_IS_STRING(a) && YAJL_IS_STRING(b) && strcmp(a->u.string, b->u.string) == 0)
		return true;
	if (YAJL_IS_NUMBER(a) && YAJL_IS_NUMBER(b) && strcmp(a->u.number.r, b->u.number.r) == 0)
		return true;
	if ((YAJL_IS_TRUE(a) && YAJL_IS_TRUE(b)) || (YAJL_IS_FALSE(a) && YAJL_IS_FALSE(b)) ||
	    (YAJL_IS_NULL(a) && YAJL_IS_NULL(b)))
		return true;
	snprintf(where, size, "values differ");
	return false;
}
