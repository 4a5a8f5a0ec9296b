/* SPDX-License-Identifier: MIT */
/* cmd-run.c — `xscert run`: scenarios against a phone, a fleet, or the built-in emulator. */
#include "cli.h"

#include "harness/common/xs.h"
#include "harness/firmware/firmware.h"
#include "harness/phone/phone.h"
#include "harness/scenario/observer.h"
#include "harness/scenario/runner.h"
#include "harness/scenario/scenario.h"
#include "harness/scenario/sipc.h"
#include "report/report.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CMD "run"
#define RUN_MAX_TARGETS 256u
#define RUN_MAX_QUIRKS  16u
#define EMU_START_MS    10000 /* how long the emulator may take to say where it listens */

static const char usage_text[] =
	"Usage: xscert run [OPTION]... [SCENARIO|DIR]...\n"
	"Run certification scenarios against a phone. Without --target (or --targets),\n"
	"start the built-in emulator on loopback (one per profile, or the --profile one)\n"
	"with a random password and run the whole suite against it.\n\n"
	"  -t, --target HOST[:PORT]   the phone (IPv6: [ADDR]:PORT); default port 5060\n"
	"      --transport udp|tcp    default udp (a scenario may ask for tcp)\n"
	"  -u, --user USER            the line's user (Request-URI and digest); default 159\n"
	"      --password-file FILE   the line's SIP password (first line); or XSCERT_PASSWORD,\n"
	"      --password PASS        or this (discouraged: shows in ps)\n"
	"  -p, --profile NAME         the phone's profile (default: from Server/User-Agent)\n"
	"  -o, --report-dir DIR       where reports and capture.pcap go (./xscert-report)\n"
	"  -f, --format LIST          json,junit,html,md (default: all)\n"
	"      --timeout S            give up on an unanswered request after S seconds\n"
	"                             (default 64*T1 = 32 s); also bounds the liveness probe\n"
	"      --t1 MS                RFC 3261 T1 (default 500)\n"
	"      --nonce-wait S         stale-nonce scenarios wait this long (default 65;\n"
	"                             3 against the emulator, whose nonces live S-1 s)\n"
	"      --targets FILE         CSV: host,port,transport,user,password_file,profile\n"
	"  -j, --jobs N               phones run concurrently with --targets (default 4)\n"
	"      --http-listen ADDR:PORT  the HTTP observer (default: the address that\n"
	"                             reaches the phone, a free port)\n"
	"      --http-url BASE        the URL base the phone is told to fetch (behind NAT)\n"
	"      --quirk Q              make the built-in emulator faulty (repeatable)\n"
	"      --repeat N             run the scenarios N times (load)\n"
	"  -q, --quiet                no live verdict lines\n"
	"  -h, --help                 this text\n\n"
	"The suite: $XSCERT_SCENARIOS, else <prefix>/share/xscert/scenarios, else the\n"
	"source tree's scenarios/. Exit: 0 all passed, 1 a check failed, 2 usage or\n"
	"input error, 3 target or environment failure.\n";

struct job {
	char label[96];
	char host[64];
	uint16_t port, tcp_port;
	enum xs_transport tp;
	char user[64];
	char *password;            /* wiped and freed at the end */
	char profile[48];          /* "" none forced */
	bool emulated;
	pid_t emu_pid;
	pthread_t drain;
	bool drain_started;
	int emu_err;               /* the emulator's stderr pipe */
	FILE *emu_log;
	/* results */
	int rc;                    /* sc_run return */
	struct sc_run_status st;
	struct xs_result *res;
	json_t *json;
};

struct opts {
	const char *target, *transport, *user, *password_file, *password, *profile;
	const char *report_dir, *format, *targets, *http_listen, *http_url;
	const char *quirks[RUN_MAX_QUIRKS];
	size_t n_quirks;
	double timeout_s, nonce_wait_s, t1_ms;
	unsigned jobs, repeat;
	bool quiet;
	unsigned fmt_mask;
	struct scenario **list;
	size_t n_list;
};

/* ---- the emulator children: killed on every path ---- */

static pid_t children[RUN_MAX_TARGETS];
static size_t n_children;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void kill_children(void)
{
	for (size_t i = 0; i < n_children; i++)
		if (children[i] > 0)
			kill(children[i], SIGTERM);
}

static void on_signal(int sig)
{
	kill_children();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void *drain_thread(void *arg)
{
	struct job *j = arg;
	char buf[4096];
	ssize_t n;
	while ((n = read(j->emu_err, buf, sizeof buf)) > 0)
		if (j->emu_log)
			fwrite(buf, 1, (size_t)n, j->emu_log);
	return NULL;
}

/* Read the emulator's first stderr line: "listening udp:ADDR:PORT tcp:ADDR:PORT profile NAME". */
static int read_listen_line(struct job *j, char *line, size_t size)
{
	size_t used = 0;
	int64_t deadline = sc_now_mono_us() + (int64_t)EMU_START_MS * 1000;
	while (used + 1 < size) {
		int64_t left = deadline - sc_now_mono_us();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = j->emu_err, .events = POLLIN };
		int n = poll(&p, 1, (int)(left / 1000) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			continue;
		ssize_t r = read(j->emu_err, line + used, 1); /* byte by byte: the rest is the log's */
		if (r <= 0)
			return -ECHILD;
		if (line[used] == '\n')
			break;
		used++;
	}
	line[used] = '\0';
	return 0;
}

static int parse_listen_line(struct job *j, const char *line)
{
	const char *u = strstr(line, "udp:"), *t = strstr(line, "tcp:");
	if (strncmp(line, "listening", 9) || !u)
		return -EPROTO;
	const char *colon = strrchr(u, ':');
	const char *end = strchr(u, ' ');
	if (t && end && colon > end) /* last colon of the udp word */
		for (colon = end; colon > u && *colon != ':'; colon--)
			;
	j->port = (uint16_t)atoi(colon + 1);
	if (t) {
		const char *te = strchr(t, ' ');
		const char *tc = te ? te : t + strlen(t);
		while (tc > t && *tc != ':')
			tc--;
		j->tcp_port = (uint16_t)atoi(tc + 1);
	}
	snprintf(j->host, sizeof j->host, "127.0.0.1");
	return j->port ? 0 : -EPROTO;
}

/* Start `xscert emulate` (this same binary) for the job; the password goes through a private file. */
static int start_emulator(struct job *j, const struct opts *o, const char *report_dir)
{
	char dir[] = "/tmp/xscert-run-XXXXXX";
	if (!mkdtemp(dir))
		return -errno;
	char pwfile[64];
	snprintf(pwfile, sizeof pwfile, "%s/password", dir);
	int fd = open(pwfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		rmdir(dir);
		return -e;
	}
	size_t pl = strlen(j->password);
	bool ok = write(fd, j->password, pl) == (ssize_t)pl && write(fd, "\n", 1) == 1;
	close(fd);
	if (!ok) {
		unlink(pwfile);
		rmdir(dir);
		return -EIO;
	}
	char events[4200], logpath[4200];
	snprintf(events, sizeof events, "%s/emulator-%s.events.jsonl", report_dir, j->label);
	snprintf(logpath, sizeof logpath, "%s/emulator-%s.log", report_dir, j->label);
	const char *argv[16 + 2 * RUN_MAX_QUIRKS];
	size_t a = 0;
	argv[a++] = "xscert";
	argv[a++] = "emulate";
	argv[a++] = "--listen";
	argv[a++] = "127.0.0.1:0";
	argv[a++] = "--password-file";
	argv[a++] = pwfile;
	argv[a++] = "--user";
	argv[a++] = j->user;
	/* nonces live one second less than the stale scenarios wait (--nonce-wait,
	 * default 3 s): short runs, and a lossy emulator (drop:N) can be given the
	 * time its retransmitted retries need */
	char ttl[24];
	snprintf(ttl, sizeof ttl, "%.0f", o->nonce_wait_s >= 2 ? o->nonce_wait_s - 1 : 2);
	argv[a++] = "--nonce-ttl";
	argv[a++] = ttl;
	argv[a++] = "--events";
	argv[a++] = events;
	if (j->profile[0]) {
		argv[a++] = "--profile";
		argv[a++] = j->profile;
	}
	for (size_t i = 0; i < o->n_quirks; i++) {
		argv[a++] = "--quirk";
		argv[a++] = o->quirks[i];
	}
	argv[a] = NULL;
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		int e = errno;
		unlink(pwfile);
		rmdir(dir);
		return -e;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		dup2(pfd[1], STDERR_FILENO);
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
		}
		execv("/proc/self/exe", (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		int e = errno;
		close(pfd[0]);
		unlink(pwfile);
		rmdir(dir);
		return -e;
	}
	pthread_mutex_lock(&out_lock);
	if (n_children < RUN_MAX_TARGETS)
		children[n_children++] = pid;
	pthread_mutex_unlock(&out_lock);
	j->emu_pid = pid;
	j->emu_err = pfd[0];
	char line[256];
	int e = read_listen_line(j, line, sizeof line);
	/* the emulator has read the password by the time it listens */
	unlink(pwfile);
	rmdir(dir);
	if (e == 0)
		e = parse_listen_line(j, line);
	if (e == -EPROTO)
		snprintf(j->st.what, sizeof j->st.what, "the built-in emulator said: %.200s", line);
	if (e < 0)
		return e;
	j->emu_log = fopen(logpath, "we");
	if (pthread_create(&j->drain, NULL, drain_thread, j) == 0)
		j->drain_started = true;
	return 0;
}

static void stop_emulator(struct job *j)
{
	if (j->emu_pid > 0) {
		kill(j->emu_pid, SIGTERM);
		int status;
		int64_t deadline = sc_now_mono_us() + 3000000;
		while (waitpid(j->emu_pid, &status, WNOHANG) == 0) {
			if (sc_now_mono_us() > deadline) {
				kill(j->emu_pid, SIGKILL);
				waitpid(j->emu_pid, &status, 0);
				break;
			}
			usleep(10000);
		}
		pthread_mutex_lock(&out_lock);
		for (size_t i = 0; i < n_children; i++)
			if (children[i] == j->emu_pid)
				children[i] = 0;
		pthread_mutex_unlock(&out_lock);
		j->emu_pid = 0;
	}
	if (j->drain_started)
		pthread_join(j->drain, NULL);
	j->drain_started = false;
	if (j->emu_err > 0)
		close(j->emu_err);
	j->emu_err = -1;
	if (j->emu_log)
		fclose(j->emu_log);
	j->emu_log = NULL;
}

/* ---- running ---- */

struct shared {
	const struct opts *o;
	struct job *jobs;
	size_t n_jobs, next;
	pthread_mutex_t lock;
	bool prefix; /* several phones: prefix live lines with the label */
	const char *report_dir;
};

static void progress(void *ctx, const struct scenario *s, const struct xs_exchange *ex)
{
	struct job *j = ctx;
	(void)s;
	size_t c[XS_VERDICT_COUNT] = { 0 };
	for (size_t i = 0; i < ex->n_findings; i++)
		c[ex->findings[i].verdict]++;
	const char *v = c[XS_ERROR] ? "ERROR" : c[XS_FAIL] ? "FAIL" : c[XS_WARN] ? "warn" : "pass";
	pthread_mutex_lock(&out_lock);
	printf("%s%s%-5s %-28s %s", j->label[0] ? j->label : "", j->label[0] ? "  " : "", v,
	       ex->id, ex->title ? ex->title : "");
	for (size_t i = 0; i < ex->n_findings; i++)
		if (ex->findings[i].verdict == XS_FAIL || ex->findings[i].verdict == XS_ERROR)
			printf("\n        %s %s: %s", xs_verdict_name(ex->findings[i].verdict),
			       ex->findings[i].rule, ex->findings[i].detail ? ex->findings[i].detail : "");
	printf("\n");
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void run_job(struct shared *sh, struct job *j)
{
	const struct opts *o = sh->o;
	char capture[4400];
	char dir[4200];
	if (sh->n_jobs > 1)
		snprintf(dir, sizeof dir, "%s/%s", sh->report_dir, j->label);
	else
		snprintf(dir, sizeof dir, "%s", sh->report_dir);
	mkdir(dir, 0755);
	snprintf(capture, sizeof capture, "%s/capture.pcap", dir);
	if (j->emulated) {
		int e = start_emulator(j, o, sh->report_dir);
		if (e < 0) {
			j->rc = e;
			if (!j->st.what[0])
				snprintf(j->st.what, sizeof j->st.what,
					 "the built-in emulator did not start: %s", xs_strerror(e));
			stop_emulator(j);
			return;
		}
	}
	struct sc_run_config cfg = {
		.host = j->host,
		.port = j->port,
		.tcp_port = j->tcp_port,
		.tp = j->tp,
		.user = j->user,
		.password = j->password,
		.profile = j->profile[0] ? j->profile : NULL,
		.http_listen = o->http_listen,
		.http_url = o->http_url,
		.capture_path = capture,
		.t1_us = (int64_t)(o->t1_ms * 1000),
		.timeout_s = o->timeout_s,
		.nonce_wait_s = o->nonce_wait_s > 0 ? o->nonce_wait_s : (j->emulated ? 3 : 65),
		.emulated = j->emulated,
		.repeat = o->repeat,
		.progress = o->quiet ? NULL : progress,
		.progress_ctx = j,
	};
	j->rc = sc_run(&cfg, o->list, o->n_list, &j->res, &j->st);
	stop_emulator(j);
	if (j->rc < 0)
		return;
	j->json = report_from_result(j->res, NULL);
	if (!j->json) {
		j->rc = -ENOMEM;
		snprintf(j->st.what, sizeof j->st.what, "building the report: out of memory");
		return;
	}
	if (sh->n_jobs > 1) {
		char err[200] = "";
		int e = report_write_dir(j->json, dir, o->fmt_mask, err, sizeof err);
		if (e < 0) {
			j->rc = e;
			snprintf(j->st.what, sizeof j->st.what, "writing reports: %s", err);
		}
	}
}

static void *worker(void *arg)
{
	struct shared *sh = arg;
	for (;;) {
		pthread_mutex_lock(&sh->lock);
		size_t i = sh->next++;
		pthread_mutex_unlock(&sh->lock);
		if (i >= sh->n_jobs)
			return NULL;
		run_job(sh, &sh->jobs[i]);
	}
}

/* ---- options and targets ---- */

static int parse_transport(const char *s, enum xs_transport *tp)
{
	if (!s || !*s || !strcmp(s, "udp"))
		*tp = XS_TP_UDP;
	else if (!strcmp(s, "tcp"))
		*tp = XS_TP_TCP;
	else
		return -EINVAL;
	return 0;
}

static int parse_positive(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (!*s || *end || errno || d < lo || d > hi)
		return -EINVAL;
	*out = d;
	return 0;
}

static void random_password(char *out, size_t size)
{
	sc_random_hex(out, size, 24);
}

/* The CSV of --targets: host,port,transport,user,password_file,profile (# comments, header optional). */
static int load_targets(const struct opts *o, struct job *jobs, size_t *n)
{
	unsigned char *buf;
	size_t len;
	int e = cli_read_file(o->targets, &buf, &len);
	if (e < 0) {
		cli_err(CMD, "%s: %s", o->targets, strerror(-e));
		return XS_EXIT_USAGE;
	}
	unsigned lineno = 0;
	int rc = 0;
	*n = 0;
	char *next = (char *)buf;
	for (char *line = next; line && !rc; line = next) {
		char *nl = strchr(line, '\n');
		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		line[strcspn(line, "\r")] = '\0';
		if (!*line || *line == '#' || !strncmp(line, "host,", 5))
			continue;
		char *f[6] = { 0 };
		size_t nf = 0;
		for (char *p = line; nf < 6; nf++) {
			f[nf] = p;
			char *c = strchr(p, ',');
			if (!c) {
				nf++;
				break;
			}
			*c = '\0';
			p = c + 1;
		}
		if (nf < 1 || !*f[0]) {
			cli_err(CMD, "%s:%u: expected host,port,transport,user,password_file,profile",
				o->targets, lineno);
			rc = XS_EXIT_USAGE;
			break;
		}
		if (*n >= RUN_MAX_TARGETS) {
			cli_err(CMD, "%s:%u: more than %u phones", o->targets, lineno,
				RUN_MAX_TARGETS);
			rc = XS_EXIT_USAGE;
			break;
		}
		struct job *j = &jobs[*n];
		memset(j, 0, sizeof *j);
		j->emu_err = -1;
		snprintf(j->host, sizeof j->host, "%s", f[0]);
		double port = 5060;
		if (f[1] && *f[1] && parse_positive(f[1], 1, 65535, &port) < 0) {
			cli_err(CMD, "%s:%u: bad port '%s'", o->targets, lineno, f[1]);
			rc = XS_EXIT_USAGE;
			break;
		}
		j->port = (uint16_t)port;
		if (parse_transport(f[2], &j->tp) < 0) {
			cli_err(CMD, "%s:%u: transport '%s': expected udp or tcp", o->targets, lineno,
				f[2]);
			rc = XS_EXIT_USAGE;
			break;
		}
		snprintf(j->user, sizeof j->user, "%s", f[3] && *f[3] ? f[3] : o->user);
		int err;
		j->password = cli_secret(CMD, f[4] && *f[4] ? f[4] : o->password_file, o->password,
					 true, &err);
		if (!j->password) {
			rc = err ? err : XS_EXIT_USAGE;
			break;
		}
		snprintf(j->profile, sizeof j->profile, "%s", f[5] && *f[5] ? f[5] : "");
		snprintf(j->label, sizeof j->label, "%s_%u", j->host, (unsigned)j->port);
		for (char *p = j->label; *p; p++)
			if (*p == ':' || *p == '/')
				*p = '_';
		(*n)++;
	}
	free(buf);
	if (!rc && *n == 0) {
		cli_err(CMD, "%s: no phones listed", o->targets);
		rc = XS_EXIT_USAGE;
	}
	return rc;
}

static int load_scenarios(struct opts *o, int argc, char **argv)
{
	struct sc_error err;
	char msg[600];
	const char *deflt[] = { scenario_default_dir() };
	char **paths = argc ? argv : (char **)deflt;
	size_t np = argc ? (size_t)argc : 1;
	for (size_t i = 0; i < np; i++) {
		struct stat sb;
		if (stat(paths[i], &sb) < 0) {
			cli_err(CMD, "%s: %s", paths[i], strerror(errno));
			return XS_EXIT_USAGE;
		}
		struct scenario **got = NULL;
		size_t ng = 0;
		int e;
		if (S_ISDIR(sb.st_mode)) {
			e = scenario_load_dir(paths[i], &got, &ng, &err);
		} else {
			got = calloc(1, sizeof *got);
			e = got ? scenario_load(&got[0], paths[i], &err) : -ENOMEM;
			ng = e == 0 ? 1 : 0;
		}
		if (e < 0) {
			free(got);
			sc_error_format(&err, msg, sizeof msg);
			cli_err(CMD, "%s", msg);
			return XS_EXIT_USAGE;
		}
		struct scenario **nl = realloc(o->list, (o->n_list + ng + 1) * sizeof *nl);
		if (!nl) {
			scenario_list_free(got, ng);
			return XS_EXIT_ENV;
		}
		o->list = nl;
		memcpy(o->list + o->n_list, got, ng * sizeof *got);
		o->n_list += ng;
		free(got);
	}
	if (!o->n_list) {
		cli_err(CMD, "no scenarios found (in %s)", np == 1 ? paths[0] : "the arguments");
		return XS_EXIT_USAGE;
	}
	return 0;
}

static int parse_opts(struct opts *o, int argc, char **argv, int *first)
{
	enum { O_TRANSPORT = 256, O_PWFILE, O_PASSWORD, O_TIMEOUT, O_TARGETS, O_HTTP_LISTEN,
	       O_HTTP_URL, O_QUIRK, O_REPEAT, O_T1, O_NONCE_WAIT };
	static const struct option lo[] = {
		{ "target", required_argument, NULL, 't' },
		{ "transport", required_argument, NULL, O_TRANSPORT },
		{ "user", required_argument, NULL, 'u' },
		{ "password-file", required_argument, NULL, O_PWFILE },
		{ "password", required_argument, NULL, O_PASSWORD },
		{ "profile", required_argument, NULL, 'p' },
		{ "report-dir", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "t1", required_argument, NULL, O_T1 },
		{ "nonce-wait", required_argument, NULL, O_NONCE_WAIT },
		{ "targets", required_argument, NULL, O_TARGETS },
		{ "jobs", required_argument, NULL, 'j' },
		{ "http-listen", required_argument, NULL, O_HTTP_LISTEN },
		{ "http-url", required_argument, NULL, O_HTTP_URL },
		{ "quirk", required_argument, NULL, O_QUIRK },
		{ "repeat", required_argument, NULL, O_REPEAT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	o->user = "159";
	o->report_dir = "./xscert-report";
	o->format = "json,junit,html,md";
	o->jobs = 4;
	o->t1_ms = 500;
	optind = 1;
	int c;
	double d;
	while ((c = getopt_long(argc, argv, "t:u:p:o:f:j:qh", lo, NULL)) != -1) {
		switch (c) {
		case 't': o->target = optarg; break;
		case O_TRANSPORT: o->transport = optarg; break;
		case 'u': o->user = optarg; break;
		case O_PWFILE: o->password_file = optarg; break;
		case O_PASSWORD: o->password = optarg; break;
		case 'p': o->profile = optarg; break;
		case 'o': o->report_dir = optarg; break;
		case 'f': o->format = optarg; break;
		case O_TARGETS: o->targets = optarg; break;
		case O_HTTP_LISTEN: o->http_listen = optarg; break;
		case O_HTTP_URL: o->http_url = optarg; break;
		case 'q': o->quiet = true; break;
		case O_QUIRK: {
			struct phone_quirks pq = { 0 };
			if (phone_quirk_parse(optarg, &pq) < 0)
				return cli_usage_error(CMD, "--quirk '%s': unknown (see 'xscert emulate --help')",
						       optarg);
			if (o->n_quirks >= RUN_MAX_QUIRKS)
				return cli_usage_error(CMD, "more than %u --quirk", RUN_MAX_QUIRKS);
			o->quirks[o->n_quirks++] = optarg;
			break;
		}
		case O_TIMEOUT:
			if (parse_positive(optarg, 0.05, 3600, &o->timeout_s) < 0)
				return cli_usage_error(CMD, "--timeout '%s': expected seconds", optarg);
			break;
		case O_T1:
			if (parse_positive(optarg, 1, 60000, &o->t1_ms) < 0)
				return cli_usage_error(CMD, "--t1 '%s': expected milliseconds", optarg);
			break;
		case O_NONCE_WAIT:
			if (parse_positive(optarg, 0, 3600, &o->nonce_wait_s) < 0)
				return cli_usage_error(CMD, "--nonce-wait '%s': expected seconds", optarg);
			break;
		case 'j':
			if (parse_positive(optarg, 1, 64, &d) < 0)
				return cli_usage_error(CMD, "--jobs '%s': expected 1 to 64", optarg);
			o->jobs = (unsigned)d;
			break;
		case O_REPEAT:
			if (parse_positive(optarg, 1, 1000000, &d) < 0)
				return cli_usage_error(CMD, "--repeat '%s': expected a count", optarg);
			o->repeat = (unsigned)d;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default: {
			char shown[72];
			return cli_usage_error(CMD, "unknown option or missing value: '%s'",
					       cli_opt_shown(argv[optind - 1], shown, sizeof shown));
		}
		}
	}
	*first = optind;
	enum xs_transport tp;
	if (parse_transport(o->transport, &tp) < 0)
		return cli_usage_error(CMD, "--transport '%s': expected udp or tcp", o->transport);
	if (o->target && o->targets)
		return cli_usage_error(CMD, "--target and --targets exclude each other");
	if (o->n_quirks && (o->target || o->targets))
		return cli_usage_error(CMD, "--quirk applies to the built-in emulator only");
	if (o->profile && !fw_profile_find(o->profile))
		return cli_usage_error(CMD, "--profile '%s': unknown (see 'xscert list profiles')",
				       o->profile);
	if (report_formats_parse(o->format, &o->fmt_mask) < 0)
		return cli_usage_error(CMD, "--format '%s': expected json,junit,html,md", o->format);
	if (o->http_listen) {
		char h[64];
		uint16_t p;
		unsigned char a[16];
		if (sc_parse_hostport(o->http_listen, h, sizeof h, &p, 0) < 0 ||
		    (inet_pton(AF_INET, h, a) != 1 && inet_pton(AF_INET6, h, a) != 1))
			return cli_usage_error(CMD, "--http-listen '%s': expected a numeric "
						    "ADDR:PORT (0.0.0.0:8080, [::]:8080)",
					       o->http_listen);
	}
	return 0;
}

/* Jobs for the built-in emulator: one per profile, or the one asked for. */
static int emulator_jobs(const struct opts *o, struct job *jobs, size_t *n)
{
	size_t np;
	const struct fw_profile *ps = fw_profiles(&np);
	*n = 0;
	for (size_t i = 0; i < np && *n < RUN_MAX_TARGETS; i++) {
		if (o->profile && strcmp(o->profile, ps[i].name))
			continue;
		struct job *j = &jobs[(*n)++];
		memset(j, 0, sizeof *j);
		j->emu_err = -1;
		j->emulated = true;
		j->tp = XS_TP_UDP;
		parse_transport(o->transport, &j->tp);
		snprintf(j->user, sizeof j->user, "%s", o->user);
		snprintf(j->profile, sizeof j->profile, "%s", ps[i].name);
		snprintf(j->label, sizeof j->label, "%s", ps[i].name);
		char pw[32];
		random_password(pw, sizeof pw);
		j->password = strdup(pw);
		explicit_bzero(pw, sizeof pw);
		if (!j->password)
			return XS_EXIT_ENV;
	}
	return 0;
}

static int target_job(const struct opts *o, struct job *j)
{
	memset(j, 0, sizeof *j);
	j->emu_err = -1;
	if (sc_parse_hostport(o->target, j->host, sizeof j->host, &j->port, 5060) < 0 ||
	    !j->port)
		return cli_usage_error(CMD, "--target '%s': expected HOST[:PORT]", o->target);
	parse_transport(o->transport, &j->tp);
	snprintf(j->user, sizeof j->user, "%s", o->user);
	snprintf(j->profile, sizeof j->profile, "%s", o->profile ? o->profile : "");
	int err;
	j->password = cli_secret(CMD, o->password_file, o->password, true, &err);
	if (!j->password)
		return err ? err : XS_EXIT_USAGE;
	return 0;
}

/*
 * A phone of a fleet that could not be certified at all (it did not answer,
 * the emulator did not start): a result of its own, so that the merged report
 * shows the phone and why, instead of leaving it out. 0 or -ENOMEM.
 */
static int failed_job_result(struct job *j)
{
	char addr[96], tgt[112];
	bool v6 = strchr(j->host, ':') != NULL;
	snprintf(addr, sizeof addr, v6 ? "[%s]:%u" : "%s:%u", j->host, (unsigned)j->port);
	snprintf(tgt, sizeof tgt, "%s:%s", xs_transport_name(j->tp), addr);
	struct xs_device dev = { .id = "d1", .address = addr,
				 .profile = j->profile[0] ? j->profile : NULL };
	int e = xs_result_new(&j->res, XS_SOURCE_LIVE);
	if (e == 0 && !(j->res->target = strdup(tgt)))
		e = -ENOMEM;
	if (e == 0)
		e = xs_result_add_device(j->res, &dev);
	if (e >= 0)
		e = xs_result_add_verdict(j->res, "00-probe/1", "the phone answers OPTIONS",
					  j->res->devices[0].id, "XS-SCN-01", XS_ERROR,
					  "not certified: %s", j->st.what);
	if (e < 0)
		return e;
	j->json = report_from_result(j->res, NULL);
	return j->json ? 0 : -ENOMEM;
}

/* Print the summary, write the (merged) reports; the exit status of the run. */
static int finish(struct shared *sh)
{
	const struct opts *o = sh->o;
	int rc = XS_EXIT_OK;
	json_t *results[RUN_MAX_TARGETS];
	size_t nr = 0;
	for (size_t i = 0; i < sh->n_jobs; i++) {
		struct job *j = &sh->jobs[i];
		if (j->rc < 0) {
			cli_err(CMD, "%s%s%s", sh->n_jobs > 1 ? j->label : "",
				sh->n_jobs > 1 ? ": " : "", j->st.what);
			rc = XS_EXIT_ENV;
			if (sh->n_jobs > 1 && !j->json && failed_job_result(j) == 0)
				results[nr++] = j->json;
			continue;
		}
		if (j->json)
			results[nr++] = j->json;
		if (o->repeat)
			printf("%s%sload: %zu exchanges, %zu authenticated 2xx, in %.3f s: %.1f "
			       "authenticated exchanges/s\n",
			       j->label, j->label[0] ? ": " : "", j->st.exchanges, j->st.auth_ok,
			       j->st.seconds, j->st.seconds > 0 ? (double)j->st.auth_ok / j->st.seconds : 0);
		size_t c[XS_VERDICT_COUNT];
		xs_result_count(j->res, c);
		if ((c[XS_FAIL] || c[XS_ERROR]) && rc == XS_EXIT_OK)
			rc = XS_EXIT_FAIL;
	}
	if (!nr)
		return rc;
	json_t *all = nr == 1 && sh->n_jobs == 1 ? json_incref(results[0])
						  : report_merge(results, nr);
	if (!all) {
		cli_err(CMD, "merging the results: out of memory");
		return XS_EXIT_ENV;
	}
	char err[256] = "";
	if (report_write_dir(all, sh->report_dir, o->fmt_mask, err, sizeof err) < 0) {
		cli_err(CMD, "writing reports: %s", err);
		rc = XS_EXIT_ENV;
	}
	struct xs_buf sum = { 0 };
	if (report_summary_text(all, &sum) == 0 && sum.len) {
		fputs("\n", stdout);
		fwrite(sum.p, 1, sum.len, stdout);
	}
	xs_buf_reset(&sum);
	printf("reports: %s (capture.pcap%s)\n", sh->report_dir,
	       sh->n_jobs > 1 ? " per phone in its directory" : "");
	json_decref(all);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	struct opts o = { 0 };
	int first = 1;
	int rc = parse_opts(&o, argc, argv, &first);
	if (rc < 0)
		return XS_EXIT_OK; /* --help */
	if (rc)
		return rc;
	rc = load_scenarios(&o, argc - first, argv + first);
	struct job *jobs = calloc(RUN_MAX_TARGETS, sizeof *jobs);
	size_t n_jobs = 0;
	if (!jobs)
		rc = XS_EXIT_ENV;
	if (!rc) {
		if (o.targets)
			rc = load_targets(&o, jobs, &n_jobs);
		else if (o.target)
			rc = target_job(&o, jobs) ? XS_EXIT_USAGE : (n_jobs = 1, 0);
		else
			rc = emulator_jobs(&o, jobs, &n_jobs);
	}
	int de;
	if (!rc && (de = report_make_dirs(o.report_dir)) < 0) {
		cli_err(CMD, "%s: cannot create the report directory: %s", o.report_dir,
			strerror(-de));
		rc = XS_EXIT_ENV;
	}
	if (!rc) {
		struct sigaction sa = { .sa_handler = on_signal };
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		atexit(kill_children);
		cli_log_init(0);
		struct shared sh = { .o = &o, .jobs = jobs, .n_jobs = n_jobs,
				     .report_dir = o.report_dir };
		pthread_mutex_init(&sh.lock, NULL);
		size_t nt = XS_MIN((size_t)o.jobs, n_jobs);
		if (!o.targets)
			nt = n_jobs; /* emulators: all at once, they are local */
		pthread_t th[64];
		size_t started = 0;
		for (size_t i = 1; i < nt && started < 63; i++)
			if (pthread_create(&th[started], NULL, worker, &sh) == 0)
				started++;
		worker(&sh);
		for (size_t i = 0; i < started; i++)
			pthread_join(th[i], NULL);
		rc = finish(&sh);
		pthread_mutex_destroy(&sh.lock);
	}
	for (size_t i = 0; jobs && i < n_jobs; i++) {
		if (jobs[i].password) {
			explicit_bzero(jobs[i].password, strlen(jobs[i].password));
			free(jobs[i].password);
		}
		xs_result_free(jobs[i].res);
		json_decref(jobs[i].json);
	}
	free(jobs);
	scenario_list_free(o.list, o.n_list);
	return rc;
}
