/* SPDX-License-Identifier: MIT */
/* readfile.c — read a capture file: classic pcap mapped (or read in large chunks) and framed in place (fast path), anything else through libpcap. */
#include "capture-int.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCAP_MAX_RECORD (256u * 1024u) /* libpcap's own cap on a record (MAXIMUM_SNAPLEN) */

#define PREFETCH_AHEAD 4096 /* bytes: the next page starts loading (and its TLB entry) */
#define READ_CHUNK (4u << 20) /* bytes read at once; records are framed in place */

struct pcap_hdr {
	bool le, nano;
	int dlt;
};

/* The 24-byte file header; -EAGAIN when it is not classic pcap (libpcap decides). */
static int parse_file_header(const uint8_t *p, size_t len, struct pcap_hdr *h)
{
	struct xs_cur c = xs_cur_init(p, len);
	uint32_t magic;
	if (xs_cur_le32(&c, &magic) < 0)
		return -EAGAIN;
	switch (magic) {
	case 0xa1b2c3d4u: h->le = true, h->nano = false; break;
	case 0xa1b23c4du: h->le = true, h->nano = true; break;
	case 0xd4c3b2a1u: h->le = false, h->nano = false; break;
	case 0x4d3cb2a1u: h->le = false, h->nano = true; break;
	default: return -EAGAIN; /* pcapng, or not a capture */
	}
	uint32_t v[5];
	for (int i = 0; i < 5; i++)
		if ((h->le ? xs_cur_le32(&c, &v[i]) : xs_cur_be32(&c, &v[i])) < 0)
			return -EAGAIN;
	/* version (2 x 16 bits), thiszone, sigfigs, snaplen, linktype (+ FCS bits) */
	if ((h->le ? v[0] & 0xffff : v[0] >> 16) != 2)
		return -EAGAIN;
	/* LINKTYPE_ values equal DLT_ ones for every type we read (raw IP: 101, handled) */
	h->dlt = (int)(v[4] & 0x03ffffff);
	return 0;
}

#define MAP_WINDOW (4u << 20)

bool cap_read_map = true;
static atomic_flag map_busy = ATOMIC_FLAG_INIT;
static uint8_t *map_base;
static size_t map_len;
static volatile sig_atomic_t map_shrank;
static size_t map_page; /* the page size, for the handler */
static struct sigaction map_old_bus;

/*
 * Frame the records in buf[0, len): decode each whole one; returns the bytes
 * used (a partial record stays for the next read), or -1 after a note when a
 * record is over PCAP_MAX_RECORD (the file cannot be followed further).
 * Stops early once *stop is set (the mapped file shrank).
 */
static long frame_records(struct cap_decoder *d, const struct pcap_hdr *h, const uint8_t *buf,
			  size_t len, uint64_t *frame, const volatile sig_atomic_t *stop)
{
	struct xs_cur c = xs_cur_init(buf, len);
	while (xs_cur_left(&c) >= 16 && !*stop) {
		const uint8_t *rec0 = c.p;
		uint32_t r[4] = { 0 }; /* seconds, fraction, caplen, wirelen */
		for (int i = 0; i < 4; i++)
			(void)(h->le ? xs_cur_le32(&c, &r[i]) : xs_cur_be32(&c, &r[i]));
		if (r[2] > PCAP_MAX_RECORD) {
			cap_note(d, *frame + 1,
				 "capture ends early after frame %llu: a record of %u bytes is over "
				 "the 256 KiB limit", (unsigned long long)*frame, r[2]);
			return -1;
		}
		struct xs_span data;
		if (xs_cur_take(&c, r[2], &data) < 0) {
			c.p = rec0;
			break;
		}
		/* the next record's header and first bytes load while this one is decoded */
		if (xs_cur_left(&c) >= PREFETCH_AHEAD + 128) {
			__builtin_prefetch(c.p);
			__builtin_prefetch(c.p + 64);
			__builtin_prefetch(c.p + PREFETCH_AHEAD);
		}
		++*frame;
		int64_t ts = (int64_t)r[0] * 1000000 + (h->nano ? r[1] / 1000 : r[1]);
		cap_decoder_frame(d, h->dlt, *frame, ts, data.p, data.len, r[3]);
	}
	return (long)(c.p - buf);
}

/* The fast path over a classic pcap file: big reads, records framed in place, no copy. */
static int read_classic(struct cap_decoder *d, int fd, const struct pcap_hdr *h)
{
	uint8_t *buf = malloc(READ_CHUNK);
	if (!buf)
		return -ENOMEM;
	size_t have = 0;
	uint64_t frame = 0;
	int ret = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, READ_CHUNK - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (have) { /* a partial record at the end */
				cap_note(d, frame + 1,
					 "capture ends early after frame %llu: truncated dump file",
					 (unsigned long long)frame);
				ret = 1;
			}
			if (n < 0)
				ret = -errno;
			break;
		}
		have += (size_t)n;
		static const volatile sig_atomic_t never = 0;
		long used = frame_records(d, h, buf, have, &frame, &never);
		if (used < 0) {
			ret = 1;
			break;
		}
		memmove(buf, buf + used, have - (size_t)used);
		have -= (size_t)used;
	}
	free(buf);
	return ret;
}

/*
 * The mapped fast path: the file is mapped whole and framed window by window,
 * each window's pages released once framed (peak RSS stays that of one
 * window whatever the file size; the page cache keeps them). A file that
 * shrinks under us would raise SIGBUS on the pages past its new end: the
 * handler maps zeros there instead, and the read ends as a truncated file.
 * One mapped read at a time per process; others take the read(2) path.
 */
static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uint8_t *a = si->si_addr;
	if (map_base && a >= map_base && a < map_base + map_len) {
		uintptr_t page = (uintptr_t)a & ~((uintptr_t)map_page - 1);
		if (mmap((void *)page, map_page, PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
			map_shrank = 1;
			return;
		}
	}
	/* not ours: as before we were installed */
	sigaction(SIGBUS, &map_old_bus, NULL);
	(void)uc;
	raise(sig);
}

/*
 * The mapper: a thread that maps the pages of the windows ahead of the reader
 * (MADV_POPULATE_READ) and releases those it has framed (MADV_DONTNEED), so
 * that the reader neither stops on a page fault every 64 KiB nor unmaps.
 * Pure speed: without it (no thread) the reader releases them itself; an
 * old kernel without MADV_POPULATE_READ lets the reader fault them in.
 */
struct mapper {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t *m;
	size_t want, done;       /* populate up to want; done so far */
	size_t release, released; /* release up to release; released so far */
	bool stop, no_populate;
	pthread_t th;
};

static void *map_ahead(void *arg)
{
	struct mapper *mp = arg;
	pthread_mutex_lock(&mp->mu);
	for (;;) {
		while (!mp->stop && mp->released >= mp->release &&
		       (mp->no_populate || mp->done >= mp->want))
			pthread_cond_wait(&mp->cv, &mp->mu);
		if (mp->stop)
			break;
		size_t rf = mp->released, rt = mp->release;
		/* never what is released already: nothing would release it again */
		size_t pf = XS_MAX(mp->done, rt), pt = mp->no_populate ? pf : XS_MAX(mp->want, pf);
		pthread_mutex_unlock(&mp->mu);
		if (rt > rf)
			madvise(mp->m + rf, rt - rf, MADV_DONTNEED);
		/* not supported, or the file shrank: the reader faults for itself */
		bool ok = pt <= pf || madvise(mp->m + pf, pt - pf, MADV_POPULATE_READ) == 0;
		pthread_mutex_lock(&mp->mu);
		mp->released = rt;
		mp->done = pt;
		mp->no_populate |= !ok;
	}
	pthread_mutex_unlock(&mp->mu); /* what is left goes with the mapping */
	return NULL;
}

/* Ask for both; returns what the mapper has released so far. */
static size_t mapper_want(struct mapper *mp, size_t populate_to, size_t release_to)
{
	pthread_mutex_lock(&mp->mu);
	if (populate_to > mp->want || release_to > mp->release) {
		mp->want = XS_MAX(mp->want, populate_to);
		mp->release = XS_MAX(mp->release, release_to);
		pthread_cond_signal(&mp->cv);
	}
	size_t r = mp->released;
	pthread_mutex_unlock(&mp->mu);
	return r;
}

/* 1: read (0 or 1 as read_classic), 0: not mapped (take the read path). */
static int read_mapped(struct cap_decoder *d, int fd, const struct pcap_hdr *h, off_t size,
		       int *ret)
{
	if (!cap_read_map || size <= 24 || (uint64_t)size > SIZE_MAX / 2 ||
	    atomic_flag_test_and_set(&map_busy))
		return 0;
	uint8_t *m = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		atomic_flag_clear(&map_busy);
		return 0;
	}
	madvise(m, (size_t)size, MADV_SEQUENTIAL);
	map_page = (size_t)sysconf(_SC_PAGESIZE);
	map_base = m;
	map_len = (size_t)size;
	map_shrank = 0;
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &map_old_bus);

	size_t pos = 24, released = 0;
	uint64_t frame = 0;
	*ret = 0;
	struct mapper mp = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .m = m };
	bool mapping = pthread_create(&mp.th, NULL, map_ahead, &mp) == 0;
	while (pos < (size_t)size && !map_shrank) {
		/* what is framed is released: by the mapper, which also maps the next
		 * windows meanwhile; here when there is none, or when it falls behind
		 * (it gets no CPU), so that RSS stays bounded whatever the scheduling */
		size_t done = pos / map_page * map_page;
		if (mapping) {
			size_t ahead = XS_MIN((size_t)size, pos + 2 * MAP_WINDOW) / map_page * map_page;
			released = XS_MAX(released, mapper_want(&mp, ahead, done));
		}
		if (done > released + (mapping ? 2 * MAP_WINDOW : 0)) {
			madvise(m + released, done - released, MADV_DONTNEED);
			released = done;
		}
		size_t end = XS_MIN((size_t)size, pos + MAP_WINDOW);
		long used = frame_records(d, h, m + pos, end - pos, &frame, &map_shrank);
		if (!used && end < (size_t)size) /* a record past the window: frame it with the rest */
			used = frame_records(d, h, m + pos, (size_t)size - pos, &frame, &map_shrank);
		if (used < 0)
			*ret = 1; /* a record over the cap, noted */
		if (used <= 0)
			break; /* that, or a partial record at the end */
		pos += (size_t)used;
	}
	if (mapping) {
		pthread_mutex_lock(&mp.mu);
		mp.stop = true;
		pthread_cond_signal(&mp.cv);
		pthread_mutex_unlock(&mp.mu);
		pthread_join(mp.th, NULL);
	}
	if (!*ret && (map_shrank || pos < (size_t)size)) {
		cap_note(d, frame + 1, "capture ends early after frame %llu: %s",
			 (unsigned long long)frame,
			 map_shrank ? "the file shrank while it was read" : "truncated dump file");
		*ret = 1;
	}
	sigaction(SIGBUS, &map_old_bus, NULL);
	map_base = NULL;
	map_len = 0;
	map_shrank = 0;
	munmap(m, (size_t)size);
	atomic_flag_clear(&map_busy);
	return 1;
}

int cap_read_file(struct cap_decoder *d, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s", strerror(e));
		return -e;
	}
	struct stat st;
	uint8_t fh[24];
	struct pcap_hdr h;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && pread(fd, fh, 24, 0) == 24 &&
	    parse_file_header(fh, 24, &h) == 0) {
		int r;
		if (!cap_dlt_supported(h.dlt)) {
			const char *name = pcap_datalink_val_to_name(h.dlt);
			snprintf(err, errlen, "link type %d (%s) is not supported", h.dlt,
				 name ? name : "unknown");
			r = -ENOTSUP;
		} else if (lseek(fd, 24, SEEK_SET) != 24) {
			r = -errno;
			snprintf(err, errlen, "%s", strerror(-r));
		} else {
			posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
			if (!read_mapped(d, fd, &h, st.st_size, &r))
				r = read_classic(d, fd, &h);
			if (r < 0 && r != -ENOMEM)
				snprintf(err, errlen, "%s", strerror(-r));
		}
		close(fd);
		return r;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 && errno != ESPIPE) {
		int e = errno;
		close(fd);
		snprintf(err, errlen, "%s", strerror(e));
		return -e;
	}
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		int e = errno;
		close(fd);
		snprintf(err, errlen, "%s", strerror(e));
		return -e;
	}
	/* large stdio reads: libpcap reads each record with two fread calls */
	size_t bsz = 1u << 20;
	char *buf = malloc(bsz);
	if (buf)
		setvbuf(f, buf, _IOFBF, bsz);
	__fsetlocking(f, FSETLOCKING_BYCALLER); /* one thread reads it: no lock per fread */
	int r = cap_read_stream(d, f, err, errlen);
	free(buf); /* f was closed by the reader */
	return r;
}
