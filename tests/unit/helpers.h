/* Shared helpers for the unit tests: test data files and JSON comparison. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

/* Read tests/data/<name> (found through $BERTH_TEST_DATA); aborts the test on failure. */
char *test_read_data(const char *name, size_t *len);

/*
 * Whether `emitted` says the same as `original`: same keys and values, except
 * that keys whose value is empty ([], {}, "", false, null) in the original may
 * be absent, as Go's omitempty drops them. Object key order is ignored.
 */
bool test_json_equivalent(yajl_val original, yajl_val emitted, char *where, size_t where_size);
