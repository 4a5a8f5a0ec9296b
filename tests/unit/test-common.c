/* SPDX-License-Identifier: MIT */
/* test-common.c — spans, buffers, cursor bounds, constant-time compare. */
#include <criterion/criterion.h>

#include "harness/common/cursor.h"
#include "harness/common/xs.h"

#include <stdio.h>
#include <string.h>

Test(common, cursor_stops_at_end)
{
	const uint8_t b[] = { 1, 2, 3 };
	struct xs_cur c = xs_cur_init(b, sizeof b);
	uint16_t v16;
	uint32_t v32;
	cr_assert_eq(xs_cur_be16(&c, &v16), 0);
	cr_assert_eq(v16, 0x0102);
	cr_assert_eq(xs_cur_be32(&c, &v32), -EBADMSG);
	cr_assert_eq(xs_cur_left(&c), 1, "a failed read leaves the cursor in place");
}

Test(common, cursor_lines)
{
	const char *s = "a\r\nbc\nd";
	struct xs_cur c = xs_cur_init(s, strlen(s));
	struct xs_span l;
	cr_assert_eq(xs_cur_line(&c, &l), 0);
	cr_assert(xs_span_eq_str(l, "a"));
	cr_assert_eq(xs_cur_line(&c, &l), 0);
	cr_assert(xs_span_eq_str(l, "bc"));
	cr_assert_eq(xs_cur_line(&c, &l), -EBADMSG, "no terminator, no line");
}

Test(common, buffer_grows_and_formats)
{
	struct xs_buf b = { 0 };
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(xs_buf_printf(&b, "%d,", i), 0);
	cr_assert(strncmp(xs_buf_cstr(&b), "0,1,2,", 6) == 0);
	/* whatever fits the room left and whatever does not: the same text */
	struct xs_buf e = { 0 };
	for (int i = 0; i < 1000; i++) {
		char want[64];
		snprintf(want, sizeof want, "%d,", i);
		cr_assert_eq(xs_buf_append(&e, want, strlen(want)), 0);
	}
	cr_assert_eq(b.len, e.len);
	cr_assert_eq(memcmp(b.p, e.p, b.len), 0);
	xs_buf_reset(&e);
	char big[300];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	struct xs_buf g = { 0 };
	cr_assert_eq(xs_buf_printf(&g, "a%sb", big), 0); /* past the first 64 bytes */
	cr_assert_eq(g.len, sizeof big + 1);
	cr_assert_eq(g.p[0], 'a');
	cr_assert_eq(g.p[g.len - 1], 'b');
	cr_assert_eq(g.p[g.len], '\0');
	xs_buf_reset(&g);
	size_t len;
	char *s = xs_buf_steal(&b, &len);
	cr_assert_eq(strlen(s), len);
	free(s);
	cr_assert_null(b.p);
}

Test(common, spans)
{
	cr_assert(xs_span_caseeq_str(xs_span_str("XML-Service"), "xml-service"));
	cr_assert(xs_span_eq_str(xs_span_trim(xs_span_str(" \tab\r\n")), "ab"));
	cr_assert(xs_ct_equal("abc", "abc", 3));
	cr_assert(!xs_ct_equal("abc", "abd", 3));
	char hex[9];
	xs_hex(hex, (const uint8_t *)"\x01\xab\xff\x00", 4);
	cr_assert_str_eq(hex, "01abff00");
	cr_assert_str_eq(xs_strerror(-EBADMSG), "malformed input");
}

Test(common, decimal_as_printf)
{
	static const uint64_t v[] = { 0, 7, 9, 10, 99, 100, 4294967295u, 4294967296u,
				      18446744073709551615u };
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char want[32], got[32];
		snprintf(want, sizeof want, "%llu", (unsigned long long)v[i]);
		got[xs_dec(got, v[i])] = '\0';
		cr_assert_str_eq(got, want);
	}
}

/* ---- libraries loaded when first needed ---- */

Test(common, lazy_load_fills_the_slots)
{
	static const char *const names[] = { "cos", "sqrt" };
	void *slots[2] = { NULL, NULL };
	xs_lazy_load("libm.so.6", "libc6", names, slots, 2);
	double (*c)(double), (*q)(double);
	memcpy(&c, &slots[0], sizeof c);
	memcpy(&q, &slots[1], sizeof q);
	cr_assert_not_null(slots[0]);
	cr_assert_eq(c(0.0), 1.0);
	cr_assert_eq(q(49.0), 7.0);
	/* once per descriptor, whatever the number of calls */
	void *table[2] = { NULL, NULL };
	static struct xs_lazy_lib lib = { "libm.so.6", "libc6", NULL, 2, NULL,
					  PTHREAD_MUTEX_INITIALIZER, false };
	lib.names = names;
	lib.slots = table;
	cr_assert_eq(xs_lazy(&lib), table);
	cr_assert_eq(table[0], slots[0]);
	table[0] = NULL;
	cr_assert_eq(xs_lazy(&lib), table);
	cr_assert_null(table[0], "not loaded again");
}

/* a library or a name that is not there: a clear message and exit 2, never a NULL to call */
Test(common, lazy_load_missing_library_exits_2, .exit_code = 2)
{
	static const char *const names[] = { "cos" };
	void *slot = NULL;
	xs_lazy_load("libxscert-nowhere.so.0", "nothing", names, &slot, 1);
}

Test(common, lazy_load_missing_name_exits_2, .exit_code = 2)
{
	static const char *const names[] = { "cos", "xscert_no_such_function" };
	void *slots[2];
	xs_lazy_load("libm.so.6", "libc6", names, slots, 2);
}

Test(common, hash32_spreads_keys)
{
	/* the same bytes the same hash, wherever they are; lengths of zeros apart;
	 * 4096 keys alike but for a number spread over 1024 buckets */
	char a[64] = "call-1234567@127.0.0.1", b[80];
	memcpy(b + 3, a, sizeof a);
	cr_assert_eq(xs_hash32(a, strlen(a)), xs_hash32(b + 3, strlen(a)));
	char z[16] = { 0 };
	cr_assert_neq(xs_hash32(z, 7), xs_hash32(z, 8));
	cr_assert_neq(xs_hash32(z, 0), xs_hash32(z, 1));
	cr_assert_eq(xs_hash32(NULL, 0), xs_hash32(z, 0), "no bytes: NULL is fine");
	unsigned used[1024] = { 0 }, n_used = 0, most = 0;
	for (int i = 0; i < 4096; i++) {
		char k[64];
		int n = snprintf(k, sizeof k, "a84c-%d-@10.%d.0.1 2 NOTIFY z9hG4bK", i, i % 7);
		unsigned *u = &used[xs_hash32(k, (size_t)n) & 1023];
		n_used += !*u;
		most = *u + 1 > most ? *u + 1 : most;
		++*u;
	}
	cr_assert_gt(n_used, 950, "%u of 1024 buckets used", n_used);
	cr_assert_lt(most, 16, "fullest bucket %u", most);
}
