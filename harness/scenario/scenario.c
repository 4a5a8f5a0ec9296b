/* SPDX-License-Identifier: MIT */
/* scenario.c — YAML scenario loader (libyaml document API) with exact error positions. */
#include "scenario.h"
#include "harness/firmware/firmware.h"
#include "harness/rules/rules.h"
#include "harness/sip/sipmsg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

static const char *const auth_names[SC_AUTH_COUNT] = {
	[SC_AUTH_NONE] = "none",
	[SC_AUTH_DIGEST] = "digest",
	[SC_AUTH_WRONG_PASSWORD] = "wrong-password",
	[SC_AUTH_WRONG_USER] = "wrong-user",
	[SC_AUTH_WRONG_REALM] = "wrong-realm",
	[SC_AUTH_WRONG_URI] = "wrong-uri",
	[SC_AUTH_REPLAY] = "replay",
	[SC_AUTH_STALE] = "stale",
};

const char *sc_auth_name(enum sc_auth a)
{
	return (unsigned)a < SC_AUTH_COUNT ? auth_names[a] : "?";
}

const char *const sc_var_names[] = { "http", "token", "target", "user", "host", "scenario",
				     "step", NULL };

void sc_error_format(const struct sc_error *e, char *out, size_t size)
{
	if (e->line)
		snprintf(out, size, "%s:%u:%u: %s", e->file, e->line, e->column, e->what);
	else
		snprintf(out, size, "%s: %s", e->file, e->what);
}

/* The loader's state: the document and where errors go. */
struct ld {
	yaml_document_t *doc;
	struct sc_error *err;
};

static int fail_at(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail_at(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	if (n) {
		l->err->line = (unsigned)n->start_mark.line + 1;
		l->err->column = (unsigned)n->start_mark.column + 1;
	}
	va_start(ap, fmt);
	vsnprintf(l->err->what, sizeof l->err->what, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static const char *kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static yaml_node_t *node(struct ld *l, int id)
{
	return yaml_document_get_node(l->doc, id);
}

static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	return !strcmp(v, "") || !strcmp(v, "~") || !strcmp(v, "null");
}

static int want_scalar(struct ld *l, const yaml_node_t *n, const char *key)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail_at(l, n, "expected a scalar for '%s', found %s", key, kind_name(n));
	return 0;
}

static int get_string(struct ld *l, const yaml_node_t *n, const char *key, char **out,
		      size_t *len)
{
	int r = want_scalar(l, n, key);
	if (r < 0)
		return r;
	if (*out)
		return fail_at(l, n, "'%s' given twice", key);
	*out = xs_span_dup(xs_span(n->data.scalar.value, n->data.scalar.length));
	if (!*out)
		return -ENOMEM;
	if (len)
		*len = n->data.scalar.length;
	return 0;
}

static int get_number(struct ld *l, const yaml_node_t *n, const char *key, double lo, double hi,
		      double *out)
{
	int r = want_scalar(l, n, key);
	if (r < 0)
		return r;
	const char *v = (const char *)n->data.scalar.value;
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (!*v || *end || errno || !isfinite(d) || d < lo || d > hi)
		return fail_at(l, n, "expected a number from %g to %g for '%s', found '%s'", lo, hi,
			       key, v);
	*out = d;
	return 0;
}

/* One of a table of words; returns its index. */
static int get_word(struct ld *l, const yaml_node_t *n, const char *key,
		    const char *const *words, size_t nwords, int *out)
{
	int r = want_scalar(l, n, key);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nwords; i++)
		if (words[i] && !strcmp((const char *)n->data.scalar.value, words[i])) {
			*out = (int)i;
			return 0;
		}
	char list[160] = "";
	for (size_t i = 0; i < nwords; i++)
		if (words[i]) {
			size_t used = strlen(list);
			snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", words[i]);
		}
	return fail_at(l, n, "expected one of %s for '%s', found '%s'", list, key,
		       (const char *)n->data.scalar.value);
}

static int get_bool(struct ld *l, const yaml_node_t *n, const char *key, bool *out)
{
	static const char *const words[] = { "false", "true", "no", "yes", "off", "on" };
	int i = 0;
	int r = get_word(l, n, key, words, XS_ARRAY_SIZE(words), &i);
	if (r < 0)
		return r;
	*out = i & 1;
	return 0;
}

/* A list of scalars (or one scalar) into a NULL-free owned array. */
static int get_list(struct ld *l, const yaml_node_t *n, const char *key, char ***out,
		    size_t *count)
{
	if (*out)
		return fail_at(l, n, "'%s' given twice", key);
	size_t cap = n->type == YAML_SEQUENCE_NODE
			     ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
			     : 1;
	if (n->type != YAML_SEQUENCE_NODE && n->type != YAML_SCALAR_NODE)
		return fail_at(l, n, "expected a list of names for '%s', found %s", key,
			       kind_name(n));
	if (cap > SC_MAX_LIST)
		return fail_at(l, n, "'%s' lists more than %u names", key, SC_MAX_LIST);
	*out = calloc(cap ? cap : 1, sizeof **out);
	if (!*out)
		return -ENOMEM;
	*count = 0;
	for (size_t i = 0; i < cap; i++) {
		const yaml_node_t *it =
			n->type == YAML_SEQUENCE_NODE ? node(l, n->data.sequence.items.start[i]) : n;
		if (it->type != YAML_SCALAR_NODE || !it->data.scalar.length)
			return fail_at(l, it, "expected a name in '%s', found %s", key,
				       kind_name(it));
		(*out)[i] = strdup((const char *)it->data.scalar.value);
		if (!(*out)[i])
			return -ENOMEM;
		(*count)++;
	}
	return 0;
}

/* Check that every ${name} in a template is known. */
static int check_template(struct ld *l, const yaml_node_t *n, const char *key)
{
	const char *v = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	for (size_t i = 0; i < len; i++) {
		if (v[i] != '$')
			continue;
		if (i + 1 < len && v[i + 1] == '$') {
			i++;
			continue;
		}
		if (i + 1 >= len || v[i + 1] != '{')
			continue; /* a lone '$' is literal */
		const char *close = memchr(v + i, '}', len - i);
		if (!close)
			return fail_at(l, n, "unterminated '${' in '%s'", key);
		size_t nl = (size_t)(close - (v + i + 2));
		bool known = false;
		for (const char *const *p = sc_var_names; *p; p++)
			if (strlen(*p) == nl && !memcmp(*p, v + i + 2, nl))
				known = true;
		if (!known)
			return fail_at(l, n,
				       "unknown variable '${%.*s}' in '%s'; expected one of http, "
				       "token, target, user, host, scenario, step",
				       (int)XS_MIN(nl, 40), v + i + 2, key);
		i = (size_t)(close - v);
	}
	return 0;
}

/* Iterate a mapping: calls fn(key, value) for each pair; keys must be unique scalars. */
typedef int (*pair_fn)(struct ld *l, const char *key, const yaml_node_t *k,
		       const yaml_node_t *v, void *ctx);

static int each_pair(struct ld *l, const yaml_node_t *map, const char *what, pair_fn fn,
		     void *ctx)
{
	if (map->type != YAML_MAPPING_NODE)
		return fail_at(l, map, "expected a mapping for %s, found %s", what, kind_name(map));
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = node(l, p->key), *v = node(l, p->value);
		if (!k || !v)
			return fail_at(l, map, "broken mapping in %s", what);
		if (k->type != YAML_SCALAR_NODE)
			return fail_at(l, k, "expected a key name in %s, found %s", what,
				       kind_name(k));
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			const yaml_node_t *k2 = node(l, q->key);
			if (k2 && k2->type == YAML_SCALAR_NODE &&
			    !strcmp((const char *)k2->data.scalar.value,
				    (const char *)k->data.scalar.value))
				return fail_at(l, k, "duplicate key '%s' in %s",
					       (const char *)k->data.scalar.value, what);
		}
		int r = fn(l, (const char *)k->data.scalar.value, k, v, ctx);
		if (r < 0)
			return r;
	}
	return 0;
}

static int body_set(struct ld *l, struct sc_step *st, const yaml_node_t *k, const yaml_node_t *v,
		    const char *key, enum sc_body_kind kind)
{
	if (st->body_kind != SC_BODY_NONE)
		return fail_at(l, k, "a NOTIFY has one body: '%s' after another of url, xml, raw",
			       key);
	int r = want_scalar(l, v, key);
	if (r < 0)
		return r;
	r = check_template(l, v, key);
	if (r < 0)
		return r;
	st->body_kind = kind;
	/* raw keeps NULs: copy by length */
	st->body = malloc(v->data.scalar.length + 1);
	if (!st->body)
		return -ENOMEM;
	memcpy(st->body, v->data.scalar.value, v->data.scalar.length);
	st->body[v->data.scalar.length] = '\0';
	st->body_len = v->data.scalar.length;
	return 0;
}

static int notify_pair(struct ld *l, const char *key, const yaml_node_t *k, const yaml_node_t *v,
		       void *ctx)
{
	struct sc_step *st = ctx;
	if (!strcmp(key, "event")) {
		int r = get_string(l, v, key, &st->event, NULL);
		return r < 0 ? r : check_template(l, v, key);
	}
	if (!strcmp(key, "url"))
		return body_set(l, st, k, v, key, SC_BODY_URL);
	if (!strcmp(key, "xml"))
		return body_set(l, st, k, v, key, SC_BODY_XML);
	if (!strcmp(key, "raw"))
		return body_set(l, st, k, v, key, SC_BODY_RAW);
	if (!strcmp(key, "newline")) {
		static const char *const w[] = { "none", "lf", "crlf" };
		int i = 0;
		int r = get_word(l, v, key, w, XS_ARRAY_SIZE(w), &i);
		st->newline = (enum sc_newline)i;
		return r;
	}
	if (!strcmp(key, "auth")) {
		int i = 0;
		int r = get_word(l, v, key, auth_names, SC_AUTH_COUNT, &i);
		st->auth = (enum sc_auth)i;
		return r;
	}
	if (!strcmp(key, "content-length")) {
		double d;
		int r = get_number(l, v, key, 0, SIP_MAX_BODY, &d);
		if (r == 0 && d != (double)(long)d)
			return fail_at(l, v, "expected a whole number for '%s'", key);
		st->content_length = (long)d;
		return r;
	}
	if (!strcmp(key, "content-type"))
		return get_string(l, v, key, &st->content_type, NULL);
	if (!strcmp(key, "retransmit"))
		return get_bool(l, v, key, &st->retransmit);
	if (!strcmp(key, "stale-wait"))
		return get_number(l, v, key, 0, 3600, &st->wait_s);
	return fail_at(l, k,
		       "unknown key '%s' in notify; expected one of event, url, xml, raw, "
		       "newline, auth, content-length, content-type, retransmit, stale-wait",
		       key);
}

static int parse_expect(struct ld *l, const yaml_node_t *v, struct sc_step *st)
{
	int r = want_scalar(l, v, "expect");
	if (r < 0)
		return r;
	const char *s = (const char *)v->data.scalar.value;
	if (!strcmp(s, "any")) {
		st->expect = SC_EXPECT_ANY;
		return 0;
	}
	if (!strcmp(s, "none")) {
		st->expect = SC_EXPECT_NOTHING;
		return 0;
	}
	if (strlen(s) == 3 && s[0] >= '1' && s[0] <= '6' && s[1] == 'x' && s[2] == 'x') {
		st->expect = SC_EXPECT_CLASS;
		st->expect_value = s[0] - '0';
		return 0;
	}
	if (strlen(s) == 3 && s[0] >= '1' && s[0] <= '6' && s[1] >= '0' && s[1] <= '9' &&
	    s[2] >= '0' && s[2] <= '9') {
		st->expect = SC_EXPECT_STATUS;
		st->expect_value = atoi(s);
		return 0;
	}
	return fail_at(l, v,
		       "expected a status code (401), a class (2xx), 'none' or 'any' for "
		       "'expect', found '%s'",
		       s);
}

static int step_pair(struct ld *l, const char *key, const yaml_node_t *k, const yaml_node_t *v,
		     void *ctx)
{
	struct sc_step *st = ctx;
	if (!strcmp(key, "notify") || !strcmp(key, "options") || !strcmp(key, "wait")) {
		if (st->action_line)
			return fail_at(l, k, "a step does one thing: '%s' after another action "
					     "(notify, options, wait)",
				       key);
		st->action_line = (unsigned)k->start_mark.line + 1;
		if (!strcmp(key, "wait")) {
			st->kind = SC_STEP_WAIT;
			return get_number(l, v, key, 0, 3600, &st->wait_s);
		}
		if (!strcmp(key, "options")) {
			st->kind = SC_STEP_OPTIONS;
			if (is_null(v) || (v->type == YAML_MAPPING_NODE &&
					   v->data.mapping.pairs.top == v->data.mapping.pairs.start))
				return 0;
			return fail_at(l, v, "'options' takes no settings (write 'options: {}')");
		}
		st->kind = SC_STEP_NOTIFY;
		if (is_null(v))
			return 0;
		return each_pair(l, v, "'notify'", notify_pair, st);
	}
	if (!strcmp(key, "title"))
		return get_string(l, v, key, &st->title, NULL);
	if (!strcmp(key, "expect"))
		return parse_expect(l, v, st);
	if (!strcmp(key, "fetch")) {
		static const char *const w[] = { "any", "expected", "forbidden" };
		int i = 0;
		int r = get_word(l, v, key, w, XS_ARRAY_SIZE(w), &i);
		st->fetch = (enum sc_fetch)i;
		return r;
	}
	if (!strcmp(key, "within"))
		return get_number(l, v, key, 0, 600, &st->fetch_within_s);
	if (!strcmp(key, "rules")) {
		int r = get_list(l, v, key, &st->rules, &st->n_rules);
		if (r < 0)
			return r;
		/* a typo must not silently leave a step without checks */
		for (size_t i = 0; i < st->n_rules; i++)
			if (!rules_find(st->rules[i]))
				return fail_at(l, v, "unknown rule '%s' in 'rules' (xscert list rules "
						     "prints the catalogue)",
					       st->rules[i]);
		return 0;
	}
	return fail_at(l, k,
		       "unknown key '%s' in a step; expected one of notify, options, wait, "
		       "title, expect, fetch, within, rules",
		       key);
}

struct top {
	struct scenario *s;
	const yaml_node_t *steps;
	bool has_transport;
};

static int top_pair(struct ld *l, const char *key, const yaml_node_t *k, const yaml_node_t *v,
		    void *ctx)
{
	struct top *t = ctx;
	struct scenario *s = t->s;
	if (!strcmp(key, "name"))
		return get_string(l, v, key, &s->name, NULL);
	if (!strcmp(key, "proves"))
		return get_string(l, v, key, &s->proves, NULL);
	if (!strcmp(key, "profiles")) {
		int r = get_list(l, v, key, &s->profiles, &s->n_profiles);
		if (r == 0 && s->n_profiles == 1 && !strcmp(s->profiles[0], "all")) {
			free(s->profiles[0]);
			s->n_profiles = 0;
		}
		/* a misspelt profile would make the scenario never run, silently */
		for (size_t i = 0; r == 0 && i < s->n_profiles; i++)
			if (!fw_profile_find(s->profiles[i]))
				return fail_at(l, v, "unknown profile '%s' in 'profiles' (all, or "
						     "names that xscert list profiles prints)",
					       s->profiles[i]);
		return r;
	}
	if (!strcmp(key, "transport")) {
		static const char *const w[] = { "udp", "tcp" };
		int i = 0;
		int r = get_word(l, v, key, w, XS_ARRAY_SIZE(w), &i);
		s->transport = i;
		return r;
	}
	if (!strcmp(key, "steps")) {
		t->steps = v;
		return 0;
	}
	return fail_at(l, k,
		       "unknown key '%s' at the top; expected one of name, proves, profiles, "
		       "transport, steps",
		       key);
}

static void step_defaults(struct sc_step *st)
{
	memset(st, 0, sizeof *st);
	st->content_length = -1;
	st->fetch_within_s = -1;
}

static int load_steps(struct ld *l, struct scenario *s, const yaml_node_t *seq)
{
	if (seq->type != YAML_SEQUENCE_NODE)
		return fail_at(l, seq, "expected a list of steps for 'steps', found %s",
			       kind_name(seq));
	size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	if (n == 0)
		return fail_at(l, seq, "expected at least one step in 'steps'");
	if (n > SC_MAX_STEPS)
		return fail_at(l, seq, "more than %u steps", SC_MAX_STEPS);
	s->steps = calloc(n, sizeof *s->steps);
	if (!s->steps)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *it = node(l, seq->data.sequence.items.start[i]);
		struct sc_step *st = &s->steps[i];
		step_defaults(st);
		st->line = (unsigned)it->start_mark.line + 1;
		s->n_steps++;
		int r = each_pair(l, it, "a step", step_pair, st);
		if (r < 0)
			return r;
		if (!st->action_line)
			return fail_at(l, it, "a step needs one of notify, options, wait");
		if (st->kind == SC_STEP_NOTIFY) {
			if (st->newline != SC_NL_NONE && st->body_kind != SC_BODY_URL)
				return fail_at(l, it, "'newline' applies to a url body only");
			if (!st->event && !(st->event = strdup("XML-Service")))
				return -ENOMEM;
		}
		if (st->fetch_within_s < 0)
			st->fetch_within_s = st->fetch == SC_FETCH_FORBIDDEN ? 2 : 5;
	}
	return 0;
}

static int load_doc(struct ld *l, struct scenario *s)
{
	yaml_node_t *root = yaml_document_get_root_node(l->doc);
	if (!root)
		return fail_at(l, NULL, "empty file: expected a mapping with name, proves, steps");
	struct top t = { .s = s };
	int r = each_pair(l, root, "the scenario", top_pair, &t);
	if (r < 0)
		return r;
	if (!s->name)
		return fail_at(l, root, "missing 'name' (expected name, proves, steps)");
	if (!s->proves)
		return fail_at(l, root, "missing 'proves' (one paragraph: what passing shows)");
	if (!t.steps)
		return fail_at(l, root, "missing 'steps'");
	return load_steps(l, s, t.steps);
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

struct scenario *scenario_free(struct scenario *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_steps; i++) {
		struct sc_step *st = &s->steps[i];
		free(st->title);
		free(st->event);
		free(st->body);
		free(st->content_type);
		free_list(st->rules, st->n_rules);
	}
	free(s->steps);
	free_list(s->profiles, s->n_profiles);
	free(s->file);
	free(s->name);
	free(s->proves);
	free(s);
	return NULL;
}

int scenario_parse(struct scenario **ret, const uint8_t *buf, size_t len, const char *name,
		   struct sc_error *err)
{
	memset(err, 0, sizeof *err);
	snprintf(err->file, sizeof err->file, "%s", name ? name : "<scenario>");
	if (len > SC_MAX_FILE) {
		snprintf(err->what, sizeof err->what, "larger than %u bytes", SC_MAX_FILE);
		return -E2BIG;
	}
	struct scenario *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->transport = -1;
	s->file = strdup(err->file);
	if (!s->file) {
		free(s);
		return -ENOMEM;
	}

	yaml_parser_t p;
	yaml_document_t doc;
	int r;
	if (!yaml_parser_initialize(&p)) {
		scenario_free(s);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, buf, len);
	if (!yaml_parser_load(&p, &doc)) {
		const yaml_mark_t *m = p.problem_mark.line || p.problem_mark.column
					       ? &p.problem_mark
					       : &p.context_mark;
		err->line = (unsigned)m->line + 1;
		err->column = (unsigned)m->column + 1;
		snprintf(err->what, sizeof err->what, "YAML syntax: %s%s%s",
			 p.problem ? p.problem : "error", p.context ? " " : "",
			 p.context ? p.context : "");
		r = p.error == YAML_MEMORY_ERROR ? -ENOMEM : -EBADMSG;
		yaml_parser_delete(&p);
		scenario_free(s);
		return r;
	}
	struct ld l = { .doc = &doc, .err = err };
	r = load_doc(&l, s);
	if (r == 0) {
		/* one scenario per file: a second document is a mistake */
		yaml_document_t extra;
		if (yaml_parser_load(&p, &extra)) {
			yaml_node_t *x = yaml_document_get_root_node(&extra);
			if (x)
				r = fail_at(&l, x, "a second YAML document: one scenario per file");
			yaml_document_delete(&extra);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	if (r < 0) {
		scenario_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int scenario_load(struct scenario **ret, const char *path, struct sc_error *err)
{
	memset(err, 0, sizeof *err);
	snprintf(err->file, sizeof err->file, "%s", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err->what, sizeof err->what, "cannot open: %s", strerror(e));
		return -e;
	}
	struct xs_buf b = { 0 };
	uint8_t tmp[8192];
	ssize_t n;
	while ((n = read(fd, tmp, sizeof tmp)) > 0) {
		if (b.len + (size_t)n > SC_MAX_FILE) {
			close(fd);
			xs_buf_reset(&b);
			snprintf(err->what, sizeof err->what, "larger than %u bytes", SC_MAX_FILE);
			return -E2BIG;
		}
		if (xs_buf_append(&b, tmp, (size_t)n) < 0)
			break;
	}
	int e = n < 0 ? errno : 0;
	close(fd);
	if (e || b.oom) {
		xs_buf_reset(&b);
		snprintf(err->what, sizeof err->what, "cannot read: %s",
			 strerror(e ? e : ENOMEM));
		return e ? -e : -ENOMEM;
	}
	int r = scenario_parse(ret, b.p ? b.p : (const uint8_t *)"", b.len, path, err);
	xs_buf_reset(&b);
	return r;
}

bool scenario_applies(const struct scenario *s, const char *profile)
{
	if (s->n_profiles == 0)
		return true;
	if (!profile)
		return false;
	for (size_t i = 0; i < s->n_profiles; i++)
		if (!strcmp(s->profiles[i], profile))
			return true;
	return false;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool yaml_name(const char *n)
{
	size_t l = strlen(n);
	return n[0] != '.' && ((l > 5 && !strcmp(n + l - 5, ".yaml")) ||
			       (l > 4 && !strcmp(n + l - 4, ".yml")));
}

void scenario_list_free(struct scenario **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		scenario_free(list[i]);
	free(list);
}

int scenario_load_dir(const char *dir, struct scenario ***ret, size_t *n, struct sc_error *err)
{
	memset(err, 0, sizeof *err);
	snprintf(err->file, sizeof err->file, "%s", dir);
	DIR *d = opendir(dir);
	if (!d) {
		int e = errno;
		snprintf(err->what, sizeof err->what, "cannot open directory: %s", strerror(e));
		return -e;
	}
	char **names = NULL;
	size_t nn = 0, cap = 0;
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!yaml_name(de->d_name))
			continue;
		if (nn == cap) {
			cap = cap ? cap * 2 : 16;
			char **nv = realloc(names, cap * sizeof *nv);
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			names = nv;
		}
		if (!(names[nn] = strdup(de->d_name))) {
			r = -ENOMEM;
			break;
		}
		nn++;
	}
	closedir(d);
	struct scenario **list = NULL;
	size_t got = 0;
	if (r == 0 && nn)
		qsort(names, nn, sizeof *names, name_cmp);
	if (r == 0 && !(list = calloc(nn ? nn : 1, sizeof *list)))
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < nn; i++) {
		struct xs_buf path = { 0 };
		xs_buf_printf(&path, "%s/%s", dir, names[i]);
		const char *p = xs_buf_cstr(&path);
		r = p ? scenario_load(&list[got], p, err) : -ENOMEM;
		if (r == 0)
			got++;
		xs_buf_reset(&path);
	}
	free_list(names, nn);
	if (r < 0) {
		scenario_list_free(list, got);
		return r;
	}
	*ret = list;
	*n = got;
	return 0;
}

static const char *var_value(const struct sc_vars *v, const char *name, size_t len)
{
	const char *vals[] = { v->http, v->token, v->target, v->user, v->host, v->scenario,
			       v->step };
	for (size_t i = 0; sc_var_names[i]; i++)
		if (strlen(sc_var_names[i]) == len && !memcmp(sc_var_names[i], name, len))
			return vals[i] ? vals[i] : "";
	return NULL;
}

int scenario_expand(const char *tmpl, size_t len, const struct sc_vars *v, struct xs_buf *out)
{
	size_t i = 0, lit = 0;
	while (i < len) {
		if (tmpl[i] != '$' || i + 1 >= len || (tmpl[i + 1] != '{' && tmpl[i + 1] != '$')) {
			i++;
			continue;
		}
		xs_buf_append(out, tmpl + lit, i - lit);
		if (tmpl[i + 1] == '$') {
			xs_buf_append(out, "$", 1);
			i += 2;
			lit = i;
			continue;
		}
		const char *close = memchr(tmpl + i, '}', len - i);
		if (!close)
			return -EINVAL;
		const char *val = var_value(v, tmpl + i + 2, (size_t)(close - tmpl - i - 2));
		if (!val)
			return -EINVAL;
		xs_buf_puts(out, val);
		i = (size_t)(close - tmpl) + 1;
		lit = i;
	}
	xs_buf_append(out, tmpl + lit, len - lit);
	return out->oom ? -ENOMEM : 0;
}

const char *scenario_default_dir(void)
{
	const char *env = getenv("XSCERT_SCENARIOS");
	if (env && *env)
		return env;
	static __thread char installed[4096];
	char exe[4000];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			struct stat sb;
			snprintf(installed, sizeof installed, "%s/../share/xscert/scenarios", exe);
			if (stat(installed, &sb) == 0 && S_ISDIR(sb.st_mode))
				return installed;
		}
	}
	return XSCERT_SOURCE_SCENARIOS;
}
