/* SPDX-License-Identifier: MIT */
/* test-firmware.c — Server/User-Agent forms, version order, the profile table. */
#include <criterion/criterion.h>

#include "harness/firmware/firmware.h"

#include <string.h>

Test(firmware, ident_every_documented_form)
{
	static const struct {
		const char *s;
		enum fw_family family;
		const char *model, *version;
		bool pcc;
	} cases[] = {
		{ "Cisco/SPA504G-7.6.2c", FW_FAMILY_SPA, "SPA504G", "7.6.2c", false },
		{ "Cisco/SPA525G-7.4.9a", FW_FAMILY_SPA, "SPA525G", "7.4.9a", false },
		{ "Cisco/SPA525G2-7.6.1(ES_RC01)", FW_FAMILY_SPA, "SPA525G2", "7.6.1(ES_RC01)", false },
		{ "Cisco/SPA303-7.4.8a", FW_FAMILY_SPA, "SPA303", "7.4.8a", false },
		{ "Cisco-CP-8851-3PCC/11.3.7", FW_FAMILY_MPP, "CP-8851", "11.3.7", true },
		{ "Cisco-CP8851/12.1.1", FW_FAMILY_ENTERPRISE, "CP-8851", "12.1.1", false },
		{ "  Cisco/SPA504G-7.6.2c (001122334455)\r\n", FW_FAMILY_SPA, "SPA504G", "7.6.2c", false },
		{ "Linksys/SPA942-5.1.8", FW_FAMILY_SPA, "SPA942", "5.1.8", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fw_ident id;
		int r = fw_ident_parse((const uint8_t *)cases[i].s, strlen(cases[i].s), &id);
		cr_assert_eq(r, 0, "%s: %d", cases[i].s, r);
		cr_assert_eq(id.family, cases[i].family, "%s", cases[i].s);
		cr_assert_str_eq(id.model, cases[i].model, "%s", cases[i].s);
		cr_assert_str_eq(id.version, cases[i].version, "%s", cases[i].s);
		cr_assert_eq(id.mpp_3pcc, cases[i].pcc, "%s", cases[i].s);
	}
}

Test(firmware, ident_rejects)
{
	static const char *const bad[] = {
		"", "Cisco", "Cisco/", "Cisco/SPA504G", "Cisco/SPA504G-", "Cisco/SPA504G-x1",
		"Asterisk PBX 18", "Polycom/5.9", "Cisco-CP-/1.2", "Cisco-CP-8851-3PCC/",
		"Cisco/SPA5$4G-7.6.2", "Cisco/CP-8851-3PCC/11.3.7x!",
		"Cisco-CP-88888888888888888888888888888888888/1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct fw_ident id;
		memset(&id, 0x5a, sizeof id);
		int r = fw_ident_parse((const uint8_t *)bad[i], strlen(bad[i]), &id);
		cr_assert_eq(r, -ENOENT, "'%s' gave %d", bad[i], r);
		cr_assert_eq(((unsigned char *)&id)[0], 0x5a, "out untouched on failure");
	}
	struct fw_ident id;
	cr_assert_eq(fw_ident_parse(NULL, 3, &id), -EINVAL);
}

Test(firmware, version_order)
{
	static const char *const ordered[] = {
		"7.4.3", "7.4.4", "7.4.8a", "7.4.9", "7.4.9a", "7.4.9b", "7.4.10",
		"7.6.1", "7.6.1(ES_RC01)", "7.6.2", "7.6.2c", "11", "11.3.7", "12.1.1",
	};
	size_t n = sizeof ordered / sizeof ordered[0];
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int c = fw_version_cmp(ordered[i], ordered[j]);
			int want = i < j ? -1 : i > j;
			cr_assert_eq(c < 0 ? -1 : c > 0, want, "%s vs %s: %d", ordered[i], ordered[j], c);
		}
	cr_assert_eq(fw_version_cmp("11", "11.0"), 0);
	cr_assert_eq(fw_version_cmp("11.3.7", "11-3-7"), 0);
	cr_assert_eq(fw_version_cmp(NULL, ""), 0);
}

Test(firmware, profiles_table)
{
	size_t n;
	const struct fw_profile *p = fw_profiles(&n);
	cr_assert_geq(n, 3);
	for (size_t i = 0; i < n; i++) {
		cr_assert_not_null(p[i].name);
		cr_assert_eq(fw_profile_find(p[i].name), &p[i]);
		struct fw_ident id;
		cr_assert_eq(fw_ident_parse((const uint8_t *)p[i].server, strlen(p[i].server), &id),
			     0, "%s: its own Server string parses", p[i].name);
		cr_assert_eq(fw_profile_for(&id), &p[i], "%s: its own Server string maps back",
			     p[i].name);
		cr_assert_str_eq(id.version, p[i].version);
	}
	const struct fw_profile *new_spa = fw_profile_find("spa504g-7.6.2");
	cr_assert_not_null(new_spa);
	cr_assert(new_spa->url_body.value && !new_spa->inline_xml.value);
	cr_assert(!new_spa->trailing_newline_ok.value && !new_spa->trailing_newline_ok.assumed);
	cr_assert_not_null(new_spa->inline_xml_on_url_only);
	const struct fw_profile *old_spa = fw_profile_find("spa504g-7.4.3");
	cr_assert(old_spa && old_spa->inline_xml.value && !old_spa->inline_xml.assumed);
	const struct fw_profile *mpp = fw_profile_find("mpp-8851-11.3.7");
	cr_assert(mpp && mpp->inline_xml.value && mpp->url_body.assumed);
	cr_assert_null(fw_profile_find("nope"));
	cr_assert_null(fw_profile_find(NULL));
}

Test(firmware, profile_for_ranges)
{
	static const struct {
		const char *server;
		const char *profile; /* NULL: none */
	} cases[] = {
		{ "Cisco/SPA504G-7.4.3", "spa504g-7.4.3" },
		{ "Cisco/SPA504G-7.1.3", "spa504g-7.4.3" },
		{ "Cisco/SPA504G-7.4.4", "spa504g-7.6.2" },
		{ "Cisco/SPA525G-7.4.9a", "spa504g-7.6.2" },
		{ "Cisco/SPA525G2-7.6.1(ES_RC01)", "spa504g-7.6.2" },
		{ "Cisco-CP-8851-3PCC/11.3.7", "mpp-8851-11.3.7" },
		{ "Cisco-CP-8845-3PCC/11.0.1", "mpp-8851-11.3.7" },
		{ "Cisco-CP-8851-3PCC/12.0.1", NULL },
		{ "Cisco-CP8851/12.1.1", NULL },
		{ "Cisco/SPA303-7.4.8a", NULL },
	};
	/* each case asked twice in a row, then again after another (the last answer is kept) */
	const size_t n = sizeof cases / sizeof cases[0];
	for (size_t k = 0; k < 3 * n; k++) {
		size_t i = k < 2 * n ? k / 2 : (k * 7) % n;
		struct fw_ident id;
		cr_assert_eq(fw_ident_parse((const uint8_t *)cases[i].server,
					    strlen(cases[i].server), &id), 0);
		const struct fw_profile *p = fw_profile_for(&id);
		if (!cases[i].profile)
			cr_assert_null(p, "%s", cases[i].server);
		else
			cr_assert(p && !strcmp(p->name, cases[i].profile), "%s -> %s",
				  cases[i].server, p ? p->name : "(none)");
	}
	cr_assert_null(fw_profile_for(NULL));
}

Test(firmware, names)
{
	cr_assert_str_eq(fw_family_name(FW_FAMILY_MPP), "mpp");
	cr_assert_str_eq(fw_family_name((enum fw_family)42), "unknown");
	struct fw_ident id;
	const char *s = "Cisco-CP-8851-3PCC/11.3.7";
	cr_assert_eq(fw_ident_parse((const uint8_t *)s, strlen(s), &id), 0);
	char out[64];
	cr_assert_eq(fw_ident_format(&id, out, sizeof out), 0);
	cr_assert_str_eq(out, "Cisco CP-8851 11.3.7 3PCC (mpp)");
	cr_assert_eq(fw_ident_format(&id, out, 5), -E2BIG);
}
