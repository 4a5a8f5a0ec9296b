/* SPDX-License-Identifier: MIT */
/* firmware.c — Server/User-Agent identification, firmware version order, the profile table. */
#include "firmware.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const family_names[] = {
	[FW_FAMILY_UNKNOWN] = "unknown",
	[FW_FAMILY_SPA] = "spa",
	[FW_FAMILY_MPP] = "mpp",
	[FW_FAMILY_ENTERPRISE] = "enterprise",
};

const char *fw_family_name(enum fw_family f)
{
	return (unsigned)f < XS_ARRAY_SIZE(family_names) ? family_names[f] : "unknown";
}

/*
 * The behaviour matrix. Facts stated in ../shared/reference/cisco-xml-service.md
 * have assumed=false; everything else is marked assumed.
 */
#define DOC(v) { .value = (v), .assumed = false }
#define ASSUMED(v) { .value = (v), .assumed = true }

/* The documents give the Execute limits (1-3 ExecuteItems, Priority 0-2), not
 * what the phone answers to a body over them. */
#define EXECUTE_REFUSED \
	"200 OK, then not executed: no item is fetched, not even a valid one (assumed)"
/* The KB: "the URL must be the last byte of the body ... or it fails"; not how. */
#define NEWLINE_FAILS \
	"no fetch at all: neither the URL nor the URL with its CR/LF is requested (assumed)"

static const struct fw_profile profiles[] = {
	{
		.name = "spa504g-7.4.3",
		.description = "SPA500 series before 7.4.4: inline CiscoIPPhoneExecute accepted",
		.family = FW_FAMILY_SPA,
		.model = "SPA504G",
		.model_prefix = "SPA5",
		.version = "7.4.3",
		.min_version = NULL,
		.max_version = "7.4.4",
		.server = "Cisco/SPA504G-7.4.3",
		/* the KB says only that 7.4.4 made URL bodies the only form */
		.url_body = ASSUMED(false),
		.inline_xml = DOC(true),
		.trailing_newline_ok = ASSUMED(false),
		.challenge_resync = DOC(true),
		.inline_xml_on_url_only = NULL,
		.execute_refused = EXECUTE_REFUSED,
		.trailing_newline_fails = NEWLINE_FAILS,
	},
	{
		.name = "spa504g-7.6.2",
		.description = "SPA500 series 7.4.4 and later: URL body only, no trailing newline",
		.family = FW_FAMILY_SPA,
		.model = "SPA504G",
		.model_prefix = "SPA5",
		.version = "7.6.2c",
		.min_version = "7.4.4",
		.max_version = NULL,
		.server = "Cisco/SPA504G-7.6.2c",
		.url_body = DOC(true),
		.inline_xml = DOC(false),
		/* that it fails is documented; how (NEWLINE_FAILS) is not */
		.trailing_newline_ok = DOC(false),
		.challenge_resync = DOC(true),
		.inline_xml_on_url_only = "200-ignore (assumed)",
		.execute_refused = NULL, /* not acted on at all: inline_xml_on_url_only */
		.trailing_newline_fails = NEWLINE_FAILS,
	},
	{
		.name = "mpp-8851-11.3.7",
		.description = "8800 MPP (3PCC) 11.x: CiscoIPPhoneExecute accepted",
		.family = FW_FAMILY_MPP,
		.model = "CP-8851",
		.model_prefix = "CP-88",
		.version = "11.3.7",
		.min_version = "11",
		.max_version = "12",
		.server = "Cisco-CP-8851-3PCC/11.3.7",
		.url_body = ASSUMED(true),
		.inline_xml = DOC(true),
		.trailing_newline_ok = ASSUMED(false),
		.challenge_resync = DOC(true), /* "Auth Resync-Reboot" covers xml-service */
		.inline_xml_on_url_only = NULL,
		.execute_refused = EXECUTE_REFUSED,
		.trailing_newline_fails = NEWLINE_FAILS,
	},
};

const struct fw_profile *fw_profiles(size_t *n)
{
	if (n)
		*n = XS_ARRAY_SIZE(profiles);
	return profiles;
}

const struct fw_profile *fw_profile_find(const char *name)
{
	for (size_t i = 0; name && i < XS_ARRAY_SIZE(profiles); i++)
		if (!strcasecmp(profiles[i].name, name))
			return &profiles[i];
	return NULL;
}

static const struct fw_profile *profile_for(const struct fw_ident *id)
{
	for (size_t i = 0; i < XS_ARRAY_SIZE(profiles); i++) {
		const struct fw_profile *p = &profiles[i];
		if (p->family != id->family ||
		    strncasecmp(id->model, p->model_prefix, strlen(p->model_prefix)) != 0)
			continue;
		if (p->min_version && fw_version_cmp(id->version, p->min_version) < 0)
			continue;
		if (p->max_version && fw_version_cmp(id->version, p->max_version) >= 0)
			continue;
		return p;
	}
	return NULL;
}

const struct fw_profile *fw_profile_for(const struct fw_ident *id)
{
	if (!id || id->family == FW_FAMILY_UNKNOWN || !id->version[0])
		return NULL;
	/* the answer depends on family, model and version only; a phone asks again
	 * and again (every exchange, twice), so the last answer is kept per thread */
	static _Thread_local struct {
		bool valid;
		enum fw_family family;
		char model[sizeof id->model], version[sizeof id->version];
		const struct fw_profile *p;
	} last;
	if (last.valid && last.family == id->family && !strcmp(last.model, id->model) &&
	    !strcmp(last.version, id->version))
		return last.p;
	last.p = profile_for(id);
	last.family = id->family;
	memcpy(last.model, id->model, sizeof last.model);
	memcpy(last.version, id->version, sizeof last.version);
	last.valid = true;
	return last.p;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(uint8_t c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Copy s into a fixed field; -ENOENT when empty or too long. */
static int put(char *dst, size_t size, struct xs_span s)
{
	if (!s.len || s.len >= size)
		return -ENOENT;
	memcpy(dst, s.p, s.len);
	dst[s.len] = '\0';
	return 0;
}

/* A firmware version: starts with a digit, then [0-9A-Za-z.()_-]. */
static bool is_version(struct xs_span v)
{
	if (!v.len || !is_digit(v.p[0]))
		return false;
	for (size_t i = 0; i < v.len; i++)
		if (!is_alnum(v.p[i]) && !strchr(".()_-", v.p[i]))
			return false;
	return true;
}

static bool starts_with_ci(struct xs_span s, const char *pfx)
{
	size_t n = strlen(pfx);
	return s.len >= n && xs_span_caseeq_str(xs_span(s.p, n), pfx);
}

/* "SPA504G-7.6.2c": model up to the first '-' followed by a digit. */
static int parse_spa(struct xs_span rest, struct fw_ident *out)
{
	for (size_t i = 0; i + 1 < rest.len; i++) {
		if (rest.p[i] != '-' || !is_digit(rest.p[i + 1]))
			continue;
		struct xs_span model = xs_span(rest.p, i);
		struct xs_span ver = xs_span(rest.p + i + 1, rest.len - i - 1);
		for (size_t k = 0; k < model.len; k++)
			if (!is_alnum(model.p[k]))
				return -ENOENT;
		if (!is_version(ver) || put(out->model, sizeof out->model, model) < 0 ||
		    put(out->version, sizeof out->version, ver) < 0)
			return -ENOENT;
		out->family = FW_FAMILY_SPA;
		return 0;
	}
	return -ENOENT;
}

/*
 * "CP-8851-3PCC/11.3.7" (MPP) or "CP8851/12.1.1" (enterprise); the model is
 * normalised to "CP-8851".
 */
static int parse_cp(struct xs_span rest, struct fw_ident *out)
{
	size_t slash = 0;
	while (slash < rest.len && rest.p[slash] != '/')
		slash++;
	if (slash >= rest.len)
		return -ENOENT;
	struct xs_span m = xs_span(rest.p + 2, slash - 2); /* after "CP" */
	struct xs_span ver = xs_span(rest.p + slash + 1, rest.len - slash - 1);
	bool hyphen = m.len && m.p[0] == '-';
	if (hyphen)
		m = xs_span(m.p + 1, m.len - 1);
	bool pcc = m.len > 5 && xs_span_caseeq_str(xs_span(m.p + m.len - 5, 5), "-3PCC");
	if (pcc)
		m.len -= 5;
	if (!m.len || !is_version(ver))
		return -ENOENT;
	for (size_t k = 0; k < m.len; k++)
		if (!is_alnum(m.p[k]))
			return -ENOENT;
	char model[sizeof out->model];
	if (m.len + 3 >= sizeof model)
		return -ENOENT;
	memcpy(model, "CP-", 3);
	memcpy(model + 3, m.p, m.len);
	model[m.len + 3] = '\0';
	if (put(out->version, sizeof out->version, ver) < 0)
		return -ENOENT;
	memcpy(out->model, model, sizeof model);
	out->mpp_3pcc = pcc;
	/* the 3PCC marker (or the hyphen after CP) is MPP firmware */
	out->family = (pcc || hyphen) ? FW_FAMILY_MPP : FW_FAMILY_ENTERPRISE;
	return 0;
}

int fw_ident_parse(const uint8_t *buf, size_t len, struct fw_ident *out)
{
	if (!out || (!buf && len))
		return -EINVAL;
	struct fw_ident id = { 0 };
	struct xs_span s = xs_span_trim(xs_span(buf, len));
	/* the product token is the first word; comments such as "(MAC)" follow */
	size_t end = 0;
	while (end < s.len && s.p[end] != ' ' && s.p[end] != '\t')
		end++;
	s.len = end;

	static const char *const vendors[] = { "Cisco", "Linksys", "Sipura" };
	size_t vl = 0;
	for (size_t i = 0; i < XS_ARRAY_SIZE(vendors) && !vl; i++)
		if (starts_with_ci(s, vendors[i])) {
			vl = strlen(vendors[i]);
			memcpy(id.vendor, vendors[i], vl + 1);
		}
	if (!vl || s.len <= vl + 1)
		return -ENOENT;
	struct xs_span rest = xs_span(s.p + vl + 1, s.len - vl - 1);
	int r;
	if (s.p[vl] == '/' && starts_with_ci(rest, "SPA"))
		r = parse_spa(rest, &id);
	else if ((s.p[vl] == '-' || s.p[vl] == '/') && starts_with_ci(rest, "CP"))
		r = parse_cp(rest, &id);
	else
		r = -ENOENT;
	if (r < 0)
		return r;
	*out = id;
	return 0;
}

/* One version component: number and letter suffix ("9a" → 9, "a"). */
struct vpart {
	unsigned long num;
	struct xs_span suffix;
};

/* Read the next component of v at *i; false at the end or at '('. */
static bool next_part(struct xs_span v, size_t *i, struct vpart *p)
{
	while (*i < v.len && (v.p[*i] == '.' || v.p[*i] == '-'))
		(*i)++;
	if (*i >= v.len || v.p[*i] == '(')
		return false;
	p->num = 0;
	while (*i < v.len && is_digit(v.p[*i])) {
		if (p->num < 100000000ul)
			p->num = p->num * 10 + (unsigned long)(v.p[*i] - '0');
		(*i)++;
	}
	size_t s = *i;
	while (*i < v.len && v.p[*i] != '.' && v.p[*i] != '-' && v.p[*i] != '(')
		(*i)++;
	p->suffix = xs_span(v.p + s, *i - s);
	return true;
}

static int span_cmp(struct xs_span a, struct xs_span b)
{
	int c = memcmp(a.p ? a.p : (const uint8_t *)"", b.p ? b.p : (const uint8_t *)"",
		       XS_MIN(a.len, b.len));
	if (c)
		return c;
	return a.len < b.len ? -1 : a.len > b.len;
}

int fw_version_cmp(const char *a, const char *b)
{
	struct xs_span va = xs_span_str(a ? a : ""), vb = xs_span_str(b ? b : "");
	size_t ia = 0, ib = 0;
	for (;;) {
		struct vpart pa = { 0, XS_SPAN_NULL }, pb = { 0, XS_SPAN_NULL };
		bool ha = next_part(va, &ia, &pa), hb = next_part(vb, &ib, &pb);
		if (!ha && !hb)
			break;
		/* a missing component counts as 0 with no suffix: 11 == 11.0 */
		if (pa.num != pb.num)
			return pa.num < pb.num ? -1 : 1;
		int c = span_cmp(pa.suffix, pb.suffix);
		if (c)
			return c < 0 ? -1 : 1;
	}
	/* then whatever is in parentheses: none sorts first */
	int c = span_cmp(xs_span(va.p + ia, va.len - ia), xs_span(vb.p + ib, vb.len - ib));
	return c < 0 ? -1 : c > 0;
}

int fw_ident_format(const struct fw_ident *id, char *out, size_t size)
{
	if (!id || !out || !size)
		return -EINVAL;
	int n = snprintf(out, size, "%s %s %s%s (%s)", id->vendor, id->model, id->version,
			 id->mpp_3pcc ? " 3PCC" : "", fw_family_name(id->family));
	return n < 0 || (size_t)n >= size ? -E2BIG : 0;
}
