/* SPDX-License-Identifier: MIT */
/* xmlrt.h — libxml2 loaded on first use (dlopen), not when xscert starts. */
#ifndef XS_XMLSVC_XMLRT_H
#define XS_XMLSVC_XMLRT_H

#include <libxml/parser.h>
#include <libxml/tree.h>

/*
 * libxml2 and what it pulls in (ICU, libstdc++, liblzma) cost a process some
 * 3 ms to load, and only an XML body needs it: it is loaded by the first
 * xmlrt() call (thread-safe, once), from XMLRT_SONAME, by xs_lazy_load (which
 * ends the process with a clear error when it cannot be). The functions are
 * libxml2's own, through this table; xmlrt_free is its xmlFree.
 */
#define XMLRT_SONAME "libxml2.so.2"

/* each slot typed from the header's own declaration */
#define XMLRT_FN(name) __typeof__(name) *
struct xmlrt {
	XMLRT_FN(xmlInitParser) init_parser;
	XMLRT_FN(xmlCleanupParser) cleanup_parser;
	XMLRT_FN(xmlNewParserCtxt) new_parser_ctxt;
	XMLRT_FN(xmlCtxtReadMemory) ctxt_read_memory;
	XMLRT_FN(xmlFreeParserCtxt) free_parser_ctxt;
	XMLRT_FN(xmlFreeDoc) free_doc;
	XMLRT_FN(xmlDocGetRootElement) doc_get_root_element;
	XMLRT_FN(xmlNodeListGetString) node_list_get_string;
#if defined(LIBXML_THREAD_ENABLED) && defined(LIBXML_THREAD_ALLOC_ENABLED)
	XMLRT_FN(__xmlFree) free_fn; /* xmlFree is (*__xmlFree()) in this build */
#else
	xmlFreeFunc *free_var; /* xmlFree is a variable */
#endif
};

const struct xmlrt *xmlrt(void);

/* xmlFree(p), through the table */
static inline void xmlrt_free(const struct xmlrt *x, void *p)
{
#if defined(LIBXML_THREAD_ENABLED) && defined(LIBXML_THREAD_ALLOC_ENABLED)
	(*x->free_fn())(p);
#else
	(*x->free_var)(p);
#endif
}

#endif
