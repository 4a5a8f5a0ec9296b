/* SPDX-License-Identifier: MIT */
/* lazylib.c — a shared library loaded when first needed, not at every start. */
#include "xs.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

void xs_lazy_load(const char *soname, const char *package, const char *const *names,
		  void **slots, size_t n)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	const char *missing = h ? NULL : dlerror();
	for (size_t i = 0; h && i < n && !missing; i++)
		if (!(slots[i] = dlsym(h, names[i])))
			missing = names[i];
	if (missing) {
		fprintf(stderr, "xscert: cannot use %s (%s): install %s\n", soname, missing, package);
		exit(2);
	}
}
