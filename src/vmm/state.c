/*
 * state.c - the saved-state container (state.h): file header, records
 * with their checksums, and the bounds-checked reading of a payload.
 *
 * Every length comes from the file, so every one is checked against the
 * limit before anything is allocated or read: a record larger than
 * VMM_STATE_MAX_RECORD is refused as corrupt rather than trusted.  A
 * stream that ends anywhere but right after a valid END record is
 * truncated.  Fuzz builds (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
 * skip the checksums so that the fuzzer reaches what lies behind them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define STATE_CRC_OK(a, b) ((void)(a), (void)(b), true)
#else
#define STATE_CRC_OK(a, b) ((a) == (b))
#endif

/*
 * The checksum is zlib's and liblzma's CRC-32 (the reflected polynomial
 * 0xedb88320).  liblzma computes it at about 1 GB/s here, and a restore
 * checks 5 MB of guest memory: 5 ms, the largest part of a KVM restore
 * (perf).  Where the CPU multiplies carry-less (PCLMULQDQ), long buffers
 * are folded 64 bytes at a time instead: four 128-bit lanes, each
 * multiplied by x^(512+64) and x^512 mod P and added to the data 64
 * bytes on; the lanes then fold into one (x^(128+64), x^128), whose 16
 * bytes, being congruent to everything folded so far, finish in
 * liblzma's table code together with the tail.  The result is the same
 * number, so files stay compatible; test-state compares the two.
 */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define STATE_CRC_FOLD 64 /* bytes folded per step, at least */

__attribute__((target("pclmul,sse2"))) static __m128i
state_crc_fold(__m128i x, __m128i k)
{
	return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00),
			     _mm_clmulepi64_si128(x, k, 0x11));
}

__attribute__((target("pclmul,sse2"))) static uint32_t
state_crc32_clmul(const uint8_t *p, size_t n, uint32_t crc)
{
	/* x^(4*128+64) and x^(4*128) mod P, bit-reflected; then for one
	 * lane: x^(128+64) and x^128 */
	const __m128i k4 = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);
	const __m128i k1 = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
	__m128i x[4];
	uint8_t last[16];

	for (int i = 0; i < 4; i++)
		x[i] = _mm_loadu_si128(
		    (const __m128i *)(const void *)(p + 16 * i));
	/* the running value enters as the first 32 bits of the message */
	x[0] = _mm_xor_si128(x[0], _mm_cvtsi32_si128((int)~crc));
	p += 64;
	n -= 64;
	for (; n >= 64; p += 64, n -= 64)
		for (int i = 0; i < 4; i++)
			x[i] = _mm_xor_si128(
			    state_crc_fold(x[i], k4),
			    _mm_loadu_si128(
				(const __m128i *)(const void *)(p + 16 * i)));
	for (int i = 1; i < 4; i++)
		x[0] = _mm_xor_si128(state_crc_fold(x[0], k1), x[i]);
	for (; n >= 16; p += 16, n -= 16)
		x[0] = _mm_xor_si128(
		    state_crc_fold(x[0], k1),
		    _mm_loadu_si128((const __m128i *)(const void *)p));
	/* the folded lane is a message whose CRC, started from 0 with no
	 * inversion, is the running value: lzma_crc32() inverts before and
	 * after, so start it from ~0 and invert its result */
	_mm_storeu_si128((__m128i *)(void *)last, x[0]);
	crc = ~lzma_crc32(last, sizeof(last), 0xffffffffu);
	return lzma_crc32(p, n, ~crc);
}

static bool
state_crc_has_clmul(void)
{
	static int has = -1;

	if (has < 0)
		has = __builtin_cpu_supports("pclmul");
	return has;
}
#endif

uint32_t
vmm_state_crc32(const void *p, size_t n, uint32_t crc)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (n >= STATE_CRC_FOLD && state_crc_has_clmul())
		return state_crc32_clmul(p, n, crc);
#endif
	return lzma_crc32(p, n, crc);
}

static void
state_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
state_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
state_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t
state_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
state_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t
state_get64(const uint8_t *p)
{
	return (uint64_t)state_get32(p) | (uint64_t)state_get32(p + 4) << 32;
}

/* ---- writing ----------------------------------------------------------- */

static int
sw_write(struct vmm_sw *w, const void *p, size_t n)
{
	int r;

	if (w->err)
		return w->err;
	r = w->io->write(w->io->ctx, p, n);
	if (r)
		w->err = r;
	else
		w->bytes += n;
	return r;
}

int
vmm_sw_begin(struct vmm_sw *w, const struct vmm_state_io *io, uint64_t time)
{
	uint8_t h[VMM_STATE_HDR_SIZE];

	memset(w, 0, sizeof(*w));
	w->io = io;
	memset(h, 0, sizeof(h));
	memcpy(h, VMM_STATE_MAGIC, 8);
	state_put32(h + 8, VMM_STATE_VERSION);
	state_put32(h + 12, VMM_STATE_HDR_SIZE);
	state_put64(h + 16, time);
	state_put32(h + 24, 0);
	state_put32(h + 28, vmm_state_crc32(h, 28, 0));
	return sw_write(w, h, sizeof(h));
}

static void
sw_grow(struct vmm_sw *w, size_t n)
{
	size_t cap = w->cap ? w->cap : 4096;
	uint8_t *b;

	if (w->err || w->len + n <= w->cap)
		return;
	while (cap < w->len + n)
		cap *= 2;
	b = realloc(w->buf, cap);
	if (!b) {
		w->err = -ENOMEM;
		return;
	}
	w->buf = b;
	w->cap = cap;
}

void
vmm_sw_rec(struct vmm_sw *w, const char *tag, uint16_t ver, uint16_t inst)
{
	memcpy(w->tag, tag, 4);
	w->ver = ver;
	w->inst = inst;
	w->len = 0;
	w->open = true;
}

void
vmm_sw_bytes(struct vmm_sw *w, const void *p, size_t n)
{
	sw_grow(w, n);
	if (w->err)
		return;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void
vmm_sw_u8(struct vmm_sw *w, uint8_t v)
{
	vmm_sw_bytes(w, &v, 1);
}

void
vmm_sw_u16(struct vmm_sw *w, uint16_t v)
{
	uint8_t b[2];

	state_put16(b, v);
	vmm_sw_bytes(w, b, 2);
}

void
vmm_sw_u32(struct vmm_sw *w, uint32_t v)
{
	uint8_t b[4];

	state_put32(b, v);
	vmm_sw_bytes(w, b, 4);
}

void
vmm_sw_u64(struct vmm_sw *w, uint64_t v)
{
	uint8_t b[8];

	state_put64(b, v);
	vmm_sw_bytes(w, b, 8);
}

static void
sw_rec_header(uint8_t *h, const char *tag, uint16_t ver, uint16_t inst,
	      uint64_t len, uint32_t crc)
{
	memcpy(h, tag, 4);
	state_put16(h + 4, ver);
	state_put16(h + 6, inst);
	state_put64(h + 8, len);
	state_put32(h + 16, crc);
	state_put32(h + 20, vmm_state_crc32(h, 20, 0));
}

int
vmm_sw_rec_raw(struct vmm_sw *w, const char *tag, uint16_t ver, uint16_t inst,
	       const void *pre, size_t prelen, const void *data, size_t len)
{
	uint8_t h[VMM_STATE_REC_SIZE];
	uint32_t crc = vmm_state_crc32(pre, prelen, 0);

	if (prelen + len > VMM_STATE_MAX_RECORD && !w->err)
		w->err = -EFBIG;
	crc = vmm_state_crc32(data, len, crc);
	sw_rec_header(h, tag, ver, inst, prelen + len, crc);
	sw_write(w, h, sizeof(h));
	if (prelen)
		sw_write(w, pre, prelen);
	if (len)
		sw_write(w, data, len);
	if (!w->err)
		w->records++;
	return w->err;
}

int
vmm_sw_end_rec(struct vmm_sw *w)
{
	if (!w->open)
		return w->err ? w->err : -EINVAL;
	w->open = false;
	return vmm_sw_rec_raw(w, w->tag, w->ver, w->inst, NULL, 0, w->buf,
			      w->len);
}

int
vmm_sw_finish(struct vmm_sw *w)
{
	uint8_t end[12];

	state_put32(end, w->records);
	state_put64(end + 4, w->bytes);
	vmm_sw_rec_raw(w, "END ", 1, 0, end, sizeof(end), NULL, 0);
	return w->err;
}

void
vmm_sw_free(struct vmm_sw *w)
{
	free(w->buf);
	w->buf = NULL;
	w->cap = w->len = 0;
}

/* ---- one payload --------------------------------------------------------- */

const uint8_t *
vmm_sr_take(struct vmm_sr *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > r->len - r->off) {
		r->err = -EPROTO;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

int
vmm_sr_bytes(struct vmm_sr *r, void *p, size_t n)
{
	const uint8_t *s = vmm_sr_take(r, n);

	if (!s) {
		memset(p, 0, n);
		return -EPROTO;
	}
	memcpy(p, s, n);
	return 0;
}

uint8_t
vmm_sr_u8(struct vmm_sr *r)
{
	const uint8_t *p = vmm_sr_take(r, 1);

	return p ? p[0] : 0;
}

uint16_t
vmm_sr_u16(struct vmm_sr *r)
{
	const uint8_t *p = vmm_sr_take(r, 2);

	return p ? state_get16(p) : 0;
}

uint32_t
vmm_sr_u32(struct vmm_sr *r)
{
	const uint8_t *p = vmm_sr_take(r, 4);

	return p ? state_get32(p) : 0;
}

uint64_t
vmm_sr_u64(struct vmm_sr *r)
{
	const uint8_t *p = vmm_sr_take(r, 8);

	return p ? state_get64(p) : 0;
}

size_t
vmm_sr_left(const struct vmm_sr *r)
{
	return r->err ? 0 : r->len - r->off;
}

bool
vmm_sr_done(const struct vmm_sr *r)
{
	return !r->err && r->off == r->len;
}

/* ---- reading the stream ------------------------------------------------ */

/* Read @n bytes at the reader's offset; a short stream is -EPROTO with
 * the message saying where and inside what. */
static int
rd_read(struct vmm_state_reader *rd, void *p, size_t n, const char *what,
	char *err, size_t errlen)
{
	int r = n ? rd->io->read(rd->io->ctx, p, n) : 0;

	if (r == -ENODATA && !strcmp(what, "a record header")) {
		snprintf(err, errlen,
			 "truncated: the stream ends at offset %llu with no "
			 "END record",
			 (unsigned long long)rd->off);
		return -EPROTO;
	}
	if (r == -ENODATA || r == -EPROTO) {
		snprintf(err, errlen,
			 "truncated: the stream ends at offset %llu inside %s",
			 (unsigned long long)rd->off, what);
		return -EPROTO;
	}
	if (r) {
		snprintf(err, errlen, "read error at offset %llu: %s",
			 (unsigned long long)rd->off, strerror(-r));
		return r;
	}
	rd->off += n;
	return 0;
}

int
vmm_state_begin(struct vmm_state_reader *rd, const struct vmm_state_io *io,
		char *err, size_t errlen)
{
	uint8_t h[VMM_STATE_HDR_SIZE];
	int r;

	memset(rd, 0, sizeof(*rd));
	rd->io = io;
	/* the magic alone first: a short file of another kind is "not a
	 * saved state", not "truncated" */
	r = rd->io->read(rd->io->ctx, h, 8);
	if (r && r != -EPROTO && r != -ENODATA) {
		snprintf(err, errlen, "read error: %s", strerror(-r));
		return r;
	}
	if (r || memcmp(h, VMM_STATE_MAGIC, 8)) {
		snprintf(err, errlen,
			 "not a vireo saved state (no "
			 "\"\\177VIREOST\" magic)");
		return -EPROTO;
	}
	rd->off = 8;
	r = rd_read(rd, h + 8, sizeof(h) - 8, "the file header", err, errlen);
	if (r)
		return r;
	rd->version = state_get32(h + 8);
	if (!STATE_CRC_OK(state_get32(h + 28), vmm_state_crc32(h, 28, 0))) {
		snprintf(err, errlen,
			 "corrupted: file header checksum "
			 "mismatch");
		return -EPROTO;
	}
	if (rd->version != VMM_STATE_VERSION ||
	    state_get32(h + 12) != VMM_STATE_HDR_SIZE ||
	    state_get32(h + 24) != 0) {
		snprintf(err, errlen,
			 "saved-state format version %u%s is not the one this "
			 "vireo reads (%u)",
			 rd->version,
			 rd->version > VMM_STATE_VERSION ? " (newer)" : "",
			 VMM_STATE_VERSION);
		return -EPROTONOSUPPORT;
	}
	rd->time = state_get64(h + 16);
	return 0;
}

static int
rd_fail(char *err, size_t errlen, const struct vmm_sr *rec, const char *why)
{
	snprintf(err, errlen, "corrupted: record \"%s\" at offset %llu: %s",
		 rec->tag, (unsigned long long)rec->at, why);
	return -EPROTO;
}

/* The END record: counts must agree with what was read. */
static int
rd_end(struct vmm_state_reader *rd, struct vmm_sr *rec, char *err,
       size_t errlen)
{
	uint32_t n = vmm_sr_u32(rec);
	uint64_t bytes = vmm_sr_u64(rec);

	if (!vmm_sr_done(rec))
		return rd_fail(err, errlen, rec,
			       "END record of the wrong size");
	if (n != rd->records || bytes != rec->at)
		return rd_fail(err, errlen, rec,
			       "END record does not match the records before "
			       "it");
	rd->ended = true;
	return 0;
}

int
vmm_state_next(struct vmm_state_reader *rd, struct vmm_sr *rec, char *err,
	       size_t errlen)
{
	uint8_t h[VMM_STATE_REC_SIZE];
	uint64_t len;
	int r;

	memset(rec, 0, sizeof(*rec));
	if (rd->ended) {
		snprintf(err, errlen, "read past the END record");
		return -EPROTO;
	}
	rec->at = rd->off;
	r = rd_read(rd, h, sizeof(h), "a record header", err, errlen);
	if (r)
		return r;
	for (int i = 0; i < 4; i++)
		rec->tag[i] = h[i] >= 0x20 && h[i] < 0x7f ? (char)h[i] : '?';
	if (!STATE_CRC_OK(state_get32(h + 20), vmm_state_crc32(h, 20, 0)))
		return rd_fail(err, errlen, rec, "header checksum mismatch");
	rec->ver = state_get16(h + 4);
	rec->inst = state_get16(h + 6);
	len = state_get64(h + 8);
	if (len > VMM_STATE_MAX_RECORD)
		return rd_fail(err, errlen, rec,
			       "longer than the 4 MiB a record may be");
	if (len > rd->cap || !rd->buf) {
		/* never NULL, also for an empty payload */
		uint8_t *b = realloc(rd->buf, len > 64 ? len : 64);

		if (!b) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		rd->buf = b;
		rd->cap = len > 64 ? len : 64;
	}
	r = rd_read(rd, rd->buf, len, "a record's payload", err, errlen);
	if (r)
		return r;
	if (!STATE_CRC_OK(state_get32(h + 16),
			  vmm_state_crc32(rd->buf, len, 0)))
		return rd_fail(err, errlen, rec, "payload checksum mismatch");
	rec->p = rd->buf;
	rec->len = len;
	if (!memcmp(h, "END ", 4))
		return rd_end(rd, rec, err, errlen);
	rd->records++;
	return 1;
}

void
vmm_state_reader_free(struct vmm_state_reader *rd)
{
	free(rd->buf);
	rd->buf = NULL;
	rd->cap = 0;
}

int
vmm_state_verify(const struct vmm_state_io *io, char *err, size_t errlen)
{
	struct vmm_state_reader rd;
	struct vmm_sr rec;
	uint8_t b;
	int r = vmm_state_begin(&rd, io, err, errlen);

	while (!r && (r = vmm_state_next(&rd, &rec, err, errlen)) == 1)
		r = 0;
	/* a file with more after END is not what was written */
	if (!r && io->read(io->ctx, &b, 1) != -ENODATA) {
		snprintf(err, errlen, "corrupted: data after the END record");
		r = -EPROTO;
	}
	vmm_state_reader_free(&rd);
	return r;
}

/* ---- state files ------------------------------------------------------- */

int
vmm_state_fd_write(void *ctx, const void *buf, size_t len)
{
	int fd = *(int *)ctx;
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
vmm_state_fd_read(void *ctx, void *buf, size_t len)
{
	int fd = *(int *)ctx;
	uint8_t *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return got ? -EPROTO : -ENODATA;
		got += (size_t)n;
	}
	return 0;
}

int
vmm_state_open(const char *path, int *fd, char *err, size_t errlen)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		int r = -errno;

		snprintf(err, errlen, "%s", strerror(-r));
		return r;
	}
	return 0;
}

int
vmm_state_check_file(const char *path, char *err, size_t errlen)
{
	int fd;
	struct vmm_state_io io = {vmm_state_fd_write, vmm_state_fd_read, &fd};
	int r = vmm_state_open(path, &fd, err, errlen);

	if (r)
		return r;
	r = vmm_state_verify(&io, err, errlen);
	close(fd);
	return r;
}
