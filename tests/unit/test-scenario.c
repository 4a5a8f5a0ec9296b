/* SPDX-License-Identifier: MIT */
/* test-scenario.c — scenario loader errors, variable expansion, request bytes, timers, observer. */
#include "harness/scenario/observer.h"
#include "harness/scenario/scenario.h"
#include "harness/scenario/sipc.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int parse(const char *yaml, struct scenario **s, struct sc_error *err)
{
	return scenario_parse(s, (const uint8_t *)yaml, strlen(yaml), "t.yaml", err);
}

#define HEAD "name: n\nproves: p\n"

Test(scenario, loads_a_full_scenario)
{
	const char *y = HEAD "profiles: [spa504g-7.6.2, mpp-8851-11.3.7]\n"
			"transport: tcp\n"
			"steps:\n"
			"  - title: t1\n"
			"    notify:\n"
			"      url: \"${http}/x/${token}\"\n"
			"      newline: crlf\n"
			"      auth: wrong-uri\n"
			"      content-length: 7\n"
			"    expect: 4xx\n"
			"    fetch: forbidden\n"
			"    within: 1.5\n"
			"    rules: [XS-AUTH-02, XS-SIP-01]\n"
			"  - options: {}\n"
			"    expect: 200\n"
			"  - wait: 0.25\n";
	struct scenario *s = NULL;
	struct sc_error err;
	cr_assert_eq(parse(y, &s, &err), 0, "%s", err.what);
	cr_assert_str_eq(s->name, "n");
	cr_assert_eq(s->n_profiles, 2);
	cr_assert_eq(s->transport, 1);
	cr_assert_eq(s->n_steps, 3);
	const struct sc_step *st = &s->steps[0];
	cr_assert_eq(st->kind, SC_STEP_NOTIFY);
	cr_assert_eq(st->line, 6);
	cr_assert_str_eq(st->event, "XML-Service");
	cr_assert_eq(st->body_kind, SC_BODY_URL);
	cr_assert_str_eq(st->body, "${http}/x/${token}");
	cr_assert_eq(st->newline, SC_NL_CRLF);
	cr_assert_eq(st->auth, SC_AUTH_WRONG_URI);
	cr_assert_eq(st->content_length, 7);
	cr_assert_eq(st->expect, SC_EXPECT_CLASS);
	cr_assert_eq(st->expect_value, 4);
	cr_assert_eq(st->fetch, SC_FETCH_FORBIDDEN);
	cr_assert_float_eq(st->fetch_within_s, 1.5, 1e-9);
	cr_assert_eq(st->n_rules, 2);
	cr_assert_eq(s->steps[1].kind, SC_STEP_OPTIONS);
	cr_assert_eq(s->steps[1].expect_value, 200);
	cr_assert_eq(s->steps[2].kind, SC_STEP_WAIT);
	cr_assert(scenario_applies(s, "mpp-8851-11.3.7"));
	cr_assert_not(scenario_applies(s, "spa504g-7.4.3"));
	scenario_free(s);
}

Test(scenario, raw_body_keeps_every_byte)
{
	const char *y = HEAD "steps:\n  - notify:\n      raw: \"a\\0b\\r\\n\"\n";
	struct scenario *s = NULL;
	struct sc_error err;
	cr_assert_eq(parse(y, &s, &err), 0, "%s", err.what);
	cr_assert_eq(s->steps[0].body_len, 5);
	cr_assert_eq(memcmp(s->steps[0].body, "a\0b\r\n", 5), 0);
	scenario_free(s);
}

struct bad_case {
	const char *yaml;
	unsigned line, column;
	const char *what; /* a substring of the message */
};

Test(scenario, malformed_files_name_line_column_and_expectation)
{
	static const struct bad_case cases[] = {
		{ "", 0, 0, "empty file" },
		{ "name: [\n", 2, 1, "YAML syntax" },
		{ "name: a\n  b: c\n", 2, 4, "YAML syntax" },
		{ "- a\n", 1, 1, "expected a mapping for the scenario" },
		{ "proves: p\nsteps: []\n", 1, 1, "missing 'name'" },
		{ "name: n\nsteps: []\n", 1, 1, "missing 'proves'" },
		{ HEAD, 1, 1, "missing 'steps'" },
		{ HEAD "colour: red\nsteps: []\n", 3, 1, "unknown key 'colour' at the top" },
		{ HEAD "steps: []\n", 3, 8, "at least one step" },
		{ HEAD "steps: {}\n", 3, 8, "expected a list of steps" },
		{ HEAD "steps:\n  - title: x\n", 4, 5, "a step needs one of notify" },
		{ HEAD "steps:\n  - notify: {}\n    options: {}\n", 5, 5, "a step does one thing" },
		{ HEAD "steps:\n  - notify:\n      auth: maybe\n", 5, 13,
		  "expected one of none, digest, wrong-password" },
		{ HEAD "steps:\n  - notify:\n      url: a\n      xml: b\n", 6, 7, "one body" },
		{ HEAD "steps:\n  - notify:\n      url: \"${nope}\"\n", 5, 12,
		  "unknown variable '${nope}'" },
		{ HEAD "steps:\n  - notify:\n      url: \"${http\"\n", 5, 12, "unterminated" },
		{ HEAD "steps:\n  - notify:\n      xml: x\n      newline: lf\n", 4, 5,
		  "'newline' applies to a url body only" },
		{ HEAD "steps:\n  - notify: {}\n    expect: 2x\n", 5, 13, "expected a status code" },
		{ HEAD "steps:\n  - notify: {}\n    within: soon\n", 5, 13, "expected a number" },
		{ HEAD "steps:\n  - notify: {}\n    rules: [CHAL-01]\n", 5, 12, "unknown rule 'CHAL-01'" },
		{ HEAD "steps:\n  - notify: {}\n    rules: [XS-NOPE-99]\n", 5, 12,
		  "unknown rule 'XS-NOPE-99'" },
		{ "name: n\nproves: p\nprofiles: [spa504g-7.6.2, nosuch]\nsteps:\n  - wait: 1\n", 3, 11,
		  "unknown profile 'nosuch'" },
		{ HEAD "steps:\n  - notify: {}\n    fetch: often\n", 5, 12,
		  "expected one of any, expected, forbidden" },
		{ HEAD "steps:\n  - notify:\n      colour: red\n", 5, 7, "unknown key 'colour' in notify" },
		{ HEAD "name: m\nsteps:\n  - wait: 1\n", 3, 1, "duplicate key 'name'" },
		{ HEAD "steps:\n  - options: 3\n", 4, 14, "'options' takes no settings" },
		{ HEAD "steps:\n  - wait: 1\n---\nname: x\n", 6, 1, "second YAML document" },
		{ HEAD "transport: sctp\nsteps:\n  - wait: 1\n", 3, 12, "expected one of udp, tcp" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct scenario *s = NULL;
		struct sc_error err;
		int r = parse(cases[i].yaml, &s, &err);
		cr_expect_eq(r, -EBADMSG, "case %zu: %d", i, r);
		cr_expect_null(s, "case %zu", i);
		cr_expect_eq(err.line, cases[i].line, "case %zu: line %u (%s)", i, err.line, err.what);
		cr_expect_eq(err.column, cases[i].column, "case %zu: column %u (%s)", i, err.column,
			     err.what);
		cr_expect(strstr(err.what, cases[i].what) != NULL, "case %zu: '%s'", i, err.what);
		cr_expect_str_eq(err.file, "t.yaml");
	}
}

Test(scenario, error_format_names_file_line_column)
{
	struct scenario *s = NULL;
	struct sc_error err;
	cr_assert_eq(parse(HEAD "steps:\n  - notify:\n      auth: x\n", &s, &err), -EBADMSG);
	char out[400];
	sc_error_format(&err, out, sizeof out);
	cr_assert(strncmp(out, "t.yaml:5:13: expected one of", 28) == 0, "%s", out);
}

Test(scenario, missing_file_is_an_errno)
{
	struct scenario *s = NULL;
	struct sc_error err;
	cr_assert_eq(scenario_load(&s, "/nonexistent/x.yaml", &err), -ENOENT);
	cr_assert_str_eq(err.file, "/nonexistent/x.yaml");
}

Test(scenario, the_suite_loads)
{
	const char *src = getenv("XSCERT_SRCDIR");
	cr_assert_not_null(src);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/scenarios", src);
	struct scenario **list = NULL;
	size_t n = 0;
	struct sc_error err;
	char msg[600];
	int r = scenario_load_dir(dir, &list, &n, &err);
	sc_error_format(&err, msg, sizeof msg);
	cr_assert_eq(r, 0, "%s", msg);
	cr_assert_geq(n, 15);
	for (size_t i = 0; i < n; i++) {
		cr_expect_not_null(list[i]->name);
		cr_expect_not_null(list[i]->proves);
	}
	scenario_list_free(list, n);
}

Test(scenario, expands_variables)
{
	struct sc_vars v = { .http = "http://127.0.0.1:8080", .token = "abc", .step = "2" };
	static const struct {
		const char *in, *out;
		int r;
	} cases[] = {
		{ "${http}/x/${token}/${step}", "http://127.0.0.1:8080/x/abc/2", 0 },
		{ "cost $$5 and $9", "cost $5 and $9", 0 },
		{ "${user}|", "|", 0 },
		{ "${bad}", "", -EINVAL },
		{ "${http", "", -EINVAL },
		{ "no vars", "no vars", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct xs_buf b = { 0 };
		int r = scenario_expand(cases[i].in, strlen(cases[i].in), &v, &b);
		cr_expect_eq(r, cases[i].r, "case %zu", i);
		if (r == 0)
			cr_expect_str_eq(xs_buf_cstr(&b), cases[i].out, "case %zu", i);
		xs_buf_reset(&b);
	}
}

Test(scenario, request_is_byte_exact)
{
	struct sc_request q = {
		.method = "NOTIFY",
		.ruri = "sip:159@127.0.0.1:5060",
		.tp = XS_TP_UDP,
		.via_host = "127.0.0.1",
		.via_port = 40000,
		.branch = "z9hG4bKabc",
		.from_uri = "sip:xscert@127.0.0.1:40000",
		.from_tag = "t1",
		.call_id = "c1@xscert",
		.cseq = 2,
		.event = "XML-Service",
		.content_type = "text/plain",
		.auth_value = "Digest username=\"159\"",
		.body = xs_span("http://h/x", 10),
		.content_length = -1,
	};
	struct xs_buf b = { 0 };
	cr_assert_eq(sc_request_build(&q, &b), 0);
	const char *want = "NOTIFY sip:159@127.0.0.1:5060 SIP/2.0\r\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKabc;rport\r\n"
			   "Max-Forwards: 70\r\n"
			   "From: <sip:xscert@127.0.0.1:40000>;tag=t1\r\n"
			   "To: <sip:159@127.0.0.1:5060>\r\n"
			   "Call-ID: c1@xscert\r\n"
			   "CSeq: 2 NOTIFY\r\n"
			   "Event: XML-Service\r\n"
			   "Authorization: Digest username=\"159\"\r\n"
			   "Content-Type: text/plain\r\n"
			   "Content-Length: 10\r\n\r\n"
			   "http://h/x";
	cr_assert_eq(b.len, strlen(want));
	cr_assert_eq(memcmp(b.p, want, b.len), 0, "%.*s", (int)b.len, b.p);
	/* the body ends with the URL's last byte: nothing appended */
	cr_assert_eq(b.p[b.len - 1], 'x');

	/* a Content-Length the scenario states is sent as stated */
	b.len = 0;
	q.content_length = 3;
	q.body = xs_span("a\r\n\0z", 5);
	cr_assert_eq(sc_request_build(&q, &b), 0);
	cr_assert(memmem(b.p, b.len, "Content-Length: 3\r\n\r\na\r\n\0z", 26) != NULL);
	cr_assert_eq(memcmp(b.p + b.len - 5, "a\r\n\0z", 5), 0);
	xs_buf_reset(&b);

	struct sc_request bad = { .method = "NOTIFY" };
	cr_assert_eq(sc_request_build(&bad, &b), -EINVAL);
	xs_buf_reset(&b);
}

/* Timer E doubles from T1 to T2, Timer F fires at 64*T1 (RFC 3261 §17.1.2.2). */
Test(scenario, timers_e_and_f_with_a_fake_clock)
{
	struct sc_nict t;
	const int64_t t1 = 500000;
	sc_nict_start(&t, false, t1, 0, 0);
	int64_t now = 0;
	int64_t expect_at[] = { 500000, 1500000, 3500000, 7500000, 11500000, 15500000,
				19500000, 23500000, 27500000, 31500000 };
	size_t k = 0;
	for (;;) {
		now = sc_nict_deadline(&t);
		enum sc_nict_action a = sc_nict_tick(&t, now);
		if (a == SC_NICT_TIMEOUT)
			break;
		cr_assert_eq(a, SC_NICT_RETRANSMIT);
		cr_assert_lt(k, sizeof expect_at / sizeof expect_at[0]);
		cr_expect_eq(now, expect_at[k], "retransmission %zu at %lld", k, (long long)now);
		k++;
	}
	cr_assert_eq(k, 10);
	cr_assert_eq(now, 64 * t1);
	cr_assert_eq(t.state, SC_NICT_TIMEDOUT);

	/* a provisional answer: E continues at T2 */
	sc_nict_start(&t, false, t1, 0, 0);
	cr_assert_eq(sc_nict_tick(&t, 500000), SC_NICT_RETRANSMIT); /* next at 1.5 s */
	sc_nict_response(&t, 100);
	cr_assert_eq(t.state, SC_NICT_PROCEEDING);
	cr_assert_eq(sc_nict_tick(&t, 1500000), SC_NICT_RETRANSMIT);
	cr_assert_eq(sc_nict_deadline(&t), 1500000 + 4000000);
	sc_nict_response(&t, 200);
	cr_assert_eq(t.state, SC_NICT_COMPLETED);
	cr_assert_eq(sc_nict_tick(&t, 40000000), SC_NICT_WAIT);

	/* TCP: no retransmissions, F still; a cap shortens F */
	sc_nict_start(&t, true, t1, 2000000, 0);
	cr_assert_eq(sc_nict_deadline(&t), 2000000);
	cr_assert_eq(sc_nict_tick(&t, 1999999), SC_NICT_WAIT);
	cr_assert_eq(sc_nict_tick(&t, 2000000), SC_NICT_TIMEOUT);
}

Test(scenario, hostport)
{
	char h[64];
	uint16_t p;
	cr_assert_eq(sc_parse_hostport("127.0.0.1:5070", h, sizeof h, &p, 5060), 0);
	cr_assert_str_eq(h, "127.0.0.1");
	cr_assert_eq(p, 5070);
	cr_assert_eq(sc_parse_hostport("[::1]:8080", h, sizeof h, &p, 0), 0);
	cr_assert_str_eq(h, "::1");
	cr_assert_eq(p, 8080);
	cr_assert_eq(sc_parse_hostport("::1", h, sizeof h, &p, 5060), 0);
	cr_assert_eq(p, 5060);
	cr_assert_eq(sc_parse_hostport("phone", h, sizeof h, &p, 5060), 0);
	cr_assert_eq(sc_parse_hostport("h:99999", h, sizeof h, &p, 0), -EINVAL);
	cr_assert_eq(sc_parse_hostport("[::1", h, sizeof h, &p, 0), -EINVAL);
	cr_assert_eq(sc_parse_hostport(":5060", h, sizeof h, &p, 0), -EINVAL);
}

Test(scenario, observer_records_a_fetch)
{
	struct sc_observer *o = NULL;
	cr_assert_eq(sc_observer_start(&o, "127.0.0.1:0", NULL, NULL, NULL), 0);
	const struct xs_endpoint *ep = sc_observer_endpoint(o);
	cr_assert_neq(ep->port, 0);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(ep->port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	const char *req = "GET /xs/tok/a?b=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			  "User-Agent: Cisco/SPA504G-7.6.2c\r\nConnection: close\r\n\r\n";
	cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	char resp[2048];
	size_t got = 0;
	ssize_t n;
	while ((n = read(fd, resp + got, sizeof resp - 1 - got)) > 0)
		got += (size_t)n;
	resp[got] = '\0';
	close(fd);
	cr_assert(strstr(resp, "200 OK") != NULL, "%s", resp);
	cr_assert(strstr(resp, "<CiscoIPPhoneText>") != NULL);
	cr_assert_eq(sc_observer_wait(o, 0, sc_now_mono_us() + 2000000), 1);
	struct xs_http_req q;
	cr_assert_eq(sc_observer_get(o, 0, &q), 0);
	cr_assert_str_eq(q.method, "GET");
	cr_assert_str_eq(q.target, "/xs/tok/a?b=1");
	cr_assert_str_eq(q.url, "http://127.0.0.1/xs/tok/a?b=1");
	cr_assert_str_eq(q.user_agent, "Cisco/SPA504G-7.6.2c");
	cr_assert_str_eq(q.src.addr, "127.0.0.1");
	cr_assert_gt(q.ts_us, 0);
	sc_http_req_clear(&q);
	cr_assert_eq(sc_observer_get(o, 1, &q), -ENOENT);
	sc_observer_stop(o);
}

Test(scenario, observer_page_escapes_the_path)
{
	struct xs_buf b = { 0 };
	cr_assert_eq(sc_observer_page("/a<b>&\"\x01", &b), 0);
	cr_assert(strstr(xs_buf_cstr(&b), "/a&lt;b&gt;&amp;&quot;</Text>") != NULL);
	xs_buf_reset(&b);
}
