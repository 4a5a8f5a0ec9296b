/* SPDX-License-Identifier: MIT */
/* firmware.h — model and firmware from Server/User-Agent, version order, profiles and behaviour matrix. */
#ifndef XS_FIRMWARE_H
#define XS_FIRMWARE_H

#include "../common/xs.h"

enum fw_family { FW_FAMILY_UNKNOWN = 0, FW_FAMILY_SPA, FW_FAMILY_MPP, FW_FAMILY_ENTERPRISE };
const char *fw_family_name(enum fw_family f); /* "spa", "mpp", "enterprise", "unknown" */

/* What a Server / User-Agent string says. */
struct fw_ident {
	enum fw_family family;
	char vendor[16];   /* "Cisco" */
	char model[32];    /* "SPA504G", "SPA525G2", "CP-8851" */
	char version[32];  /* "7.6.2c", "7.6.1(ES_RC01)", "11.3.7" */
	bool mpp_3pcc;     /* "-3PCC" */
};
/*
 * Parse "Cisco/SPA504G-7.6.2c", "Cisco/SPA525G2-7.6.1(ES_RC01)",
 * "Cisco-CP-8851-3PCC/11.3.7" (MPP), "Cisco-CP8851/12.1.1" (enterprise), ...
 * (also Linksys/ and Sipura/ SPA strings). Only the first word counts: a
 * comment after white space is ignored. CP models are normalised to "CP-8851".
 * Returns 0 with *out filled, -ENOENT when the string is not a recognised
 * phone (*out untouched), -EINVAL on misuse.
 */
int fw_ident_parse(const uint8_t *buf, size_t len, struct fw_ident *out);
/* "Cisco SPA504G 7.6.2c (spa)" into out; 0 or -E2BIG when truncated. */
int fw_ident_format(const struct fw_ident *id, char *out, size_t size);

/*
 * Compare two firmware versions by their numeric parts, then letter suffix,
 * then anything in parentheses: 7.4.4 < 7.4.9a < 7.4.10 < 7.6.2 < 7.6.2c.
 * Returns <0, 0, >0.
 */
int fw_version_cmp(const char *a, const char *b);

/* One behaviour and whether a vendor document states it. */
struct fw_behaviour {
	bool value;
	bool assumed;   /* true: no vendor document states it (reference/cisco-xml-service.md) */
};

/* A phone profile: data, used by the emulator, the runner and the analyzer. */
struct fw_profile {
	const char *name;        /* "spa504g-7.6.2" */
	const char *description;
	enum fw_family family;
	const char *model;       /* "SPA504G" */
	const char *model_prefix; /* identities it covers: model starts with this ("SPA5") */
	const char *version;     /* firmware the emulator claims */
	const char *min_version; /* range it covers, inclusive; NULL: open */
	const char *max_version; /* exclusive; NULL: open */
	const char *server;      /* Server / User-Agent header it sends */
	struct fw_behaviour url_body;          /* a URL body is accepted and fetched */
	struct fw_behaviour inline_xml;        /* CiscoIPPhoneExecute body executed */
	struct fw_behaviour trailing_newline_ok; /* URL + CR/LF still fetched */
	struct fw_behaviour challenge_resync;  /* resync/reboot_now/restart_now challenged */
	const char *inline_xml_on_url_only;    /* what a URL-only phone answers to XML: "200-ignore" (assumed) */
	/* How the refusals the documents state, but do not describe, come out;
	 * NULL where the profile never refuses that way. Text ending "(assumed)". */
	const char *execute_refused;   /* an Execute body over the limits (> 3 items, Priority not 0-2) */
	const char *trailing_newline_fails; /* a URL body followed by CR/LF, when not tolerated */
};

const struct fw_profile *fw_profiles(size_t *n);
const struct fw_profile *fw_profile_find(const char *name);       /* NULL when unknown */
/* The profile matching an identification (family, model prefix, version range); NULL if none. */
const struct fw_profile *fw_profile_for(const struct fw_ident *id);

#endif
