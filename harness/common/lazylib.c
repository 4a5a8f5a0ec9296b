/* SPDX-License-Identifier: MIT */
/* lazylib.c — a shared library loaded when first needed, not at every start. */
#include "xs.h"

#include <dlfcn.h>
#include <stdatomic.h>
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

void **xs_lazy(struct xs_lazy_lib *l)
{
	if (!atomic_load_explicit(&l->loaded, memory_order_acquire)) {
		pthread_mutex_lock(&l->mu);
		if (!atomic_load_explicit(&l->loaded, memory_order_relaxed)) {
			xs_lazy_load(l->soname, l->package, l->names, l->slots, l->n);
			atomic_store_explicit(&l->loaded, true, memory_order_release);
		}
		pthread_mutex_unlock(&l->mu);
	}
	return l->slots;
}
