/* SPDX-License-Identifier: MIT */
/* readfile.c — read a capture file: classic pcap read in large chunks and framed in place (fast path), anything else through libpcap. */
#include "capture-int.h"

#include <fcntl.h>
#include "pcaprt.h"
#include <stdint.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCAP_MAX_RECORD (256u * 1024u) /* libpcap's own cap on a record (MAXIMUM_SNAPLEN) */

/*
 * Bytes read at once; records are framed in place. A chunk the size of a
 * core's L2 cache (1 MiB on the machines measured): the kernel's copy leaves
 * it there for the framing. Mapping the file instead (no copy, but page
 * tables made and dropped, and TLB flushes across CPUs) measured slower on
 * the same machine (docs/performance.md).
 */
#define READ_CHUNK (1u << 20)

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

/*
 * Frame the records in buf[0, len): decode each whole one; returns the bytes
 * used (a partial record stays for the next read), or -1 after a note when a
 * record is over PCAP_MAX_RECORD (the file cannot be followed further).
 */
static long frame_records(struct cap_decoder *d, const struct pcap_hdr *h, const uint8_t *buf,
			  size_t len, uint64_t *frame)
{
	struct xs_cur c = xs_cur_init(buf, len);
	struct xs_span rh; /* a record header: seconds, fraction, caplen, wirelen */
	while (xs_cur_take(&c, 16, &rh) == 0) {
		const uint8_t *rec0 = rh.p;
		uint32_t r[4];
		for (int i = 0; i < 4; i++)
			r[i] = h->le ? xs_le32_at(rh.p + 4 * i) : xs_be32_at(rh.p + 4 * i);
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
		++*frame;
		int64_t ts = (int64_t)r[0] * 1000000 + (h->nano ? r[1] / 1000 : r[1]);
		cap_decoder_frame(d, h->dlt, *frame, ts, data.p, data.len, r[3]);
	}
	return (long)(c.p - buf);
}

/* The fast path over a classic pcap file: big reads into a buffer the size of L2, records framed in place. */
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
		long used = frame_records(d, h, buf, have, &frame);
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
			const char *name = pcaprt()->datalink_val_to_name(h.dlt);
			snprintf(err, errlen, "link type %d (%s) is not supported", h.dlt,
				 name ? name : "unknown");
			r = -ENOTSUP;
		} else if (lseek(fd, 24, SEEK_SET) != 24) {
			r = -errno;
			snprintf(err, errlen, "%s", strerror(-r));
		} else {
			posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
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
