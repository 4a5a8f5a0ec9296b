/* SPDX-License-Identifier: MIT */
/* xmlrt.c — libxml2 loaded on first use (dlopen), not when xscert starts. */
#include "xmlrt.h"
#include "harness/common/xs.h"

static struct xmlrt rt;
/* in the order of struct xmlrt's slots */
static const char *const names[] = {
	"xmlInitParser",	"xmlCleanupParser", "xmlNewParserCtxt",	    "xmlCtxtReadMemory",
	"xmlFreeParserCtxt",	"xmlFreeDoc",	    "xmlDocGetRootElement", "xmlNodeListGetString",
#if defined(LIBXML_THREAD_ENABLED) && defined(LIBXML_THREAD_ALLOC_ENABLED)
	"__xmlFree",
#else
	"xmlFree",
#endif
};
XS_LAZY_TABLE(xmlrt, struct xmlrt, rt, names, XMLRT_SONAME, "libxml2")
