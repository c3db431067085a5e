/* Libraries berth needs only for one feature, loaded when that feature is used. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct dl_symbol {
	void **slot;
	const char *name;
};

/*
 * dlopen soname (once: *loaded remembers) and resolve every symbol into its
 * slot. `what` names the feature for the error line: "<what>: cannot load
 * <soname> (<reason>)" or "<what>: <soname> has no <symbol>".
 */
int dl_load(const char *soname, const struct dl_symbol *symbols, size_t n, bool *loaded, const char *what,
	    berth_error **err);
