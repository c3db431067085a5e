#include "util/dl.h"

#include <dlfcn.h>
#include <errno.h>

int dl_load(const char *soname, const struct dl_symbol *symbols, size_t n, bool *loaded, const char *what,
	    berth_error **err)
{
	if (*loaded)
		return 0;
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return error_new(err, ENOENT, "%s: cannot load %s (%s)", what, soname, dlerror());
	for (size_t i = 0; i < n; i++) {
		*symbols[i].slot = dlsym(h, symbols[i].name);
		if (!*symbols[i].slot) {
			dlclose(h);
			return error_new(err, ENOENT, "%s: %s has no %s", what, soname, symbols[i].name);
		}
	}
	*loaded = true; /* the handle stays open for the life of the process */
	return 0;
}
