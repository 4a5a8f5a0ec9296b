/* SPDX-License-Identifier: MIT */
/* merge.c — many results (a fleet: phones, captures) as one with a combined summary. */
#include "report-int.h"
#include "harness/rules/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Identity of a device across results: every descriptive field but its local id. */
static char *device_key(const json_t *d)
{
	json_t *k = json_pack("[s?, s?, s?, s?, s?]", rj_str(d, "address"), rj_str(d, "server"),
			      rj_str(d, "model"), rj_str(d, "firmware"), rj_str(d, "profile"));
	char *s = k ? json_dumps(k, JSON_COMPACT) : NULL;
	json_decref(k);
	return s;
}

struct merge {
	json_t *out, *devices, *rules, *exchanges, *notes, *files, *parts;
	json_t *dev_by_key; /* device key -> new id */
	json_t *rule_seen;  /* rule id -> true */
	json_t *file_seen;
	bool emulated;
};

/* Add input p's devices; fill idmap (old id -> new id). */
static int merge_devices(struct merge *m, const json_t *in, json_t *idmap)
{
	size_t i;
	json_t *d;
	json_array_foreach(rj_arr(in, "devices"), i, d) {
		const char *old = rj_str(d, "id");
		if (!old)
			continue;
		char *key = device_key(d);
		if (!key)
			return -ENOMEM;
		json_t *id = json_object_get(m->dev_by_key, key);
		if (!id) {
			char nid[32];
			snprintf(nid, sizeof nid, "d%zu", json_array_size(m->devices) + 1);
			json_t *copy = json_deep_copy(d);
			if (!copy || json_object_set_new(copy, "id", json_string(nid)) < 0 ||
			    json_array_append_new(m->devices, copy) < 0 ||
			    json_object_set_new(m->dev_by_key, key, json_string(nid)) < 0)
				return free(key), -ENOMEM;
			id = json_object_get(m->dev_by_key, key);
		}
		free(key);
		if (json_object_set(idmap, old, id) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int merge_part(struct merge *m, const json_t *in, size_t part)
{
	size_t i;
	json_t *v;
	json_t *idmap = json_object();
	int r = idmap ? merge_devices(m, in, idmap) : -ENOMEM;
	const json_t *src = rj_obj(in, "source");
	if (r < 0)
		goto out;
	r = -ENOMEM;
	if (json_array_append_new(m->parts, src ? json_deep_copy(src) : json_object()) < 0)
		goto out;
	if (!json_is_true(json_object_get(src, "emulated")))
		m->emulated = false;
	json_array_foreach(rj_arr(src, "files"), i, v)
		if (json_is_string(v) && !json_object_get(m->file_seen, json_string_value(v)))
			if (json_object_set(m->file_seen, json_string_value(v), json_true()) < 0 ||
			    json_array_append(m->files, v) < 0)
				goto out;
	json_array_foreach(rj_arr(in, "rules"), i, v) {
		const char *id = rj_str(v, "id");
		if (id && !json_object_get(m->rule_seen, id))
			if (json_object_set(m->rule_seen, id, json_true()) < 0 ||
			    json_array_append_new(m->rules, json_deep_copy(v)) < 0)
				goto out;
	}
	json_array_foreach(rj_arr(in, "exchanges"), i, v) {
		char id[256];
		json_t *ex = json_deep_copy(v);
		json_t *dev = json_object_get(idmap, rj_s(v, "device"));
		snprintf(id, sizeof id, "%zu:%s", part + 1, rj_s(v, "id"));
		if (!ex || json_object_set_new(ex, "id", json_string(id)) < 0 ||
		    json_object_set(ex, "device", dev ? dev : json_null()) < 0 ||
		    json_object_set_new(ex, "part", json_integer((json_int_t)part)) < 0 ||
		    json_array_append_new(m->exchanges, ex) < 0) {
			json_decref(ex);
			goto out;
		}
	}
	json_array_foreach(rj_arr(in, "notes"), i, v) {
		json_t *n = json_deep_copy(v);
		if (!n || json_object_set_new(n, "part", json_integer((json_int_t)part)) < 0 ||
		    json_array_append_new(m->notes, n) < 0) {
			json_decref(n);
			goto out;
		}
	}
	r = 0;
out:
	json_decref(idmap);
	return r;
}

/* Where rule id stands in the catalogue, then the runner-only rules; unknown ids last. */
static size_t rule_rank(const char *id)
{
	size_t n, nx;
	const struct rule_info *cat = rules_catalogue(&n), *extra = rules_extra(&nx);
	for (size_t i = 0; id && i < n; i++)
		if (!strcmp(cat[i].id, id))
			return i;
	for (size_t i = 0; id && i < nx; i++)
		if (!strcmp(extra[i].id, id))
			return n + i;
	return n + nx;
}

static int rule_cmp(const void *x, const void *y)
{
	const char *a = rj_str(*(json_t *const *)x, "id"), *b = rj_str(*(json_t *const *)y, "id");
	size_t ra = rule_rank(a), rb = rule_rank(b);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	return strcmp(a ? a : "", b ? b : "");
}

/* The merged rules in catalogue order, whatever order the parts named them in. */
static int sort_rules(json_t **rules)
{
	size_t n = json_array_size(*rules), i;
	json_t *v, *sorted = json_array();
	json_t **tmp = calloc(n ? n : 1, sizeof *tmp);
	if (!sorted || !tmp) {
		free(tmp);
		json_decref(sorted);
		return -ENOMEM;
	}
	json_array_foreach(*rules, i, v)
		tmp[i] = v;
	qsort(tmp, n, sizeof *tmp, rule_cmp);
	for (i = 0; i < n; i++)
		if (json_array_append(sorted, tmp[i]) < 0) {
			free(tmp);
			json_decref(sorted);
			return -ENOMEM;
		}
	free(tmp);
	json_decref(*rules);
	*rules = sorted;
	return 0;
}

json_t *report_merge(json_t *const *results, size_t n)
{
	char now[32];
	struct merge m = { .emulated = n > 0 };
	report_now_iso(now, sizeof now);
	m.devices = json_array(), m.rules = json_array(), m.exchanges = json_array();
	m.notes = json_array(), m.files = json_array(), m.parts = json_array();
	m.dev_by_key = json_object(), m.rule_seen = json_object(), m.file_seen = json_object();
	json_t *j = NULL;
	if (!m.devices || !m.rules || !m.exchanges || !m.notes || !m.files || !m.parts ||
	    !m.dev_by_key || !m.rule_seen || !m.file_seen)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (merge_part(&m, results[i], i) < 0)
			goto out;
	if (sort_rules(&m.rules) < 0)
		goto out;
	j = json_pack("{s:s, s:{s:s, s:s}, s:s, s:{s:s, s:n, s:b, s:O, s:O}, s:O, s:O, s:O, s:O}",
		      "schema", REPORT_SCHEMA, "tool", "name", "xscert", "version",
		      XSCERT_VERSION, "generated", now, "source", "kind", "merged", "target",
		      "emulated", m.emulated, "files", m.files, "parts", m.parts, "devices",
		      m.devices, "rules", m.rules, "exchanges", m.exchanges, "notes", m.notes);
	if (j) {
		report_scrub_secrets(j);
		json_t *sum = report_summary_compute(j);
		if (!sum || json_object_set_new(j, "summary", sum) < 0)
			j = (json_decref(j), NULL);
	}
out:
	json_decref(m.devices), json_decref(m.rules), json_decref(m.exchanges);
	json_decref(m.notes), json_decref(m.files), json_decref(m.parts);
	json_decref(m.dev_by_key), json_decref(m.rule_seen), json_decref(m.file_seen);
	return j;
}
