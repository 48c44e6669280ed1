/*
 * state.h - vireo's saved-state format (vireo-state(5)): a file header
 * and a sequence of checksummed records, each a device's, a vCPU's or a
 * piece of guest memory's versioned state.  The same stream is a saved
 * state file and what a teleport sends.
 *
 * This part knows only the container: writing records, reading them back
 * with every byte bounds checked, and refusing a file that is not one, is
 * of a different or newer format, truncated or corrupted.  What the
 * records mean is snapshot.c's and each device's business.  Pure: no VM,
 * no I/O of its own (the caller supplies read and write), so the fuzz
 * target runs it alone.
 *
 * Layout (little-endian, x86-64 only):
 *   header, 32 bytes: magic "\177VIREOST", u32 format version, u32 header
 *     size, u64 seconds since the epoch at save, u32 flags (0), u32 CRC-32
 *     of the 28 bytes before it
 *   record header, 24 bytes: tag (4 ASCII bytes), u16 record version, u16
 *     instance (vCPU, head), u64 payload length, u32 CRC-32 of the
 *     payload, u32 CRC-32 of the 20 bytes before it; then the payload
 *   the last record, "END ": u32 records before it, u64 bytes before it
 */
#ifndef VIREO_VMM_STATE_H
#define VIREO_VMM_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_STATE_MAGIC	     "\177VIREOST"
#define VMM_STATE_VERSION    1
#define VMM_STATE_HDR_SIZE   32
#define VMM_STATE_REC_SIZE   24
/* the largest record payload a reader accepts (a memory chunk, a vCPU) */
#define VMM_STATE_MAX_RECORD (4u << 20)

/* Where a state stream goes to or comes from.  write: all of @len, 0 or
 * -errno.  read: exactly @len, 0, -errno, or -ENODATA when the stream
 * ended before the first byte of @len (a clean end). */
struct vmm_state_io {
	int (*write)(void *ctx, const void *buf, size_t len);
	int (*read)(void *ctx, void *buf, size_t len);
	void *ctx;
};

/* ---- writing ----------------------------------------------------------- */

/* A record is built in memory (vmm_sw_rec .. vmm_sw_u32 ..) and written
 * whole by vmm_sw_end_rec(); errors stick in @err until vmm_sw_finish(). */
struct vmm_sw {
	const struct vmm_state_io *io;
	uint8_t *buf;
	size_t len, cap;
	char tag[4];
	uint16_t ver, inst;
	bool open;
	uint32_t records;
	uint64_t bytes; /* written so far */
	int err;
};

/** Start a stream: write the file header (@time: seconds, informational). */
int vmm_sw_begin(struct vmm_sw *w, const struct vmm_state_io *io,
		 uint64_t time);
void vmm_sw_rec(struct vmm_sw *w, const char *tag, uint16_t ver, uint16_t inst);
void vmm_sw_u8(struct vmm_sw *w, uint8_t v);
void vmm_sw_u16(struct vmm_sw *w, uint16_t v);
void vmm_sw_u32(struct vmm_sw *w, uint32_t v);
void vmm_sw_u64(struct vmm_sw *w, uint64_t v);
void vmm_sw_bytes(struct vmm_sw *w, const void *p, size_t n);
int vmm_sw_end_rec(struct vmm_sw *w);
/** A record of @pre (small) followed by @data, written without copying
 * @data (guest memory). */
int vmm_sw_rec_raw(struct vmm_sw *w, const char *tag, uint16_t ver,
		   uint16_t inst, const void *pre, size_t prelen,
		   const void *data, size_t len);
/** Write the END record; @return the first error of the stream, or 0. */
int vmm_sw_finish(struct vmm_sw *w);
void vmm_sw_free(struct vmm_sw *w);

/* ---- reading ----------------------------------------------------------- */

/* One record's payload, read field by field.  Reading past its end
 * yields zeros and sets err (-EPROTO); check vmm_sr_done() at the end. */
struct vmm_sr {
	const uint8_t *p;
	size_t len, off;
	int err;
	char tag[5]; /* NUL-terminated, for messages */
	uint16_t ver, inst;
	uint64_t at; /* offset of the record header in the stream */
};

uint8_t vmm_sr_u8(struct vmm_sr *r);
uint16_t vmm_sr_u16(struct vmm_sr *r);
uint32_t vmm_sr_u32(struct vmm_sr *r);
uint64_t vmm_sr_u64(struct vmm_sr *r);
/** Copy @n bytes out; @return 0 or -EPROTO (then @p is zeroed). */
int vmm_sr_bytes(struct vmm_sr *r, void *p, size_t n);
/** Pointer to the next @n bytes (NULL and err set if there are fewer). */
const uint8_t *vmm_sr_take(struct vmm_sr *r, size_t n);
size_t vmm_sr_left(const struct vmm_sr *r);
/** All of the payload was read and nothing overran. */
bool vmm_sr_done(const struct vmm_sr *r);

struct vmm_state_reader {
	const struct vmm_state_io *io;
	uint8_t *buf;
	size_t cap;
	uint64_t off; /* bytes consumed so far */
	uint32_t records;
	uint32_t version;
	uint64_t time; /* from the header */
	bool ended;
};

/** Read and check the file header.  @return 0, or -EPROTO (not a state
 * file, bad header checksum), -EPROTONOSUPPORT (another format version),
 * -errno; @err says which in one line. */
int vmm_state_begin(struct vmm_state_reader *rd, const struct vmm_state_io *io,
		    char *err, size_t errlen);
/** The next record into @rec (valid until the next call).  @return 1 a
 * record, 0 the END record was read and agrees with what came before,
 * <0 an error with @err naming the offset and the record: -EPROTO
 * (truncated, corrupted, oversized, no END), -errno from reading. */
int vmm_state_next(struct vmm_state_reader *rd, struct vmm_sr *rec, char *err,
		   size_t errlen);
void vmm_state_reader_free(struct vmm_state_reader *rd);

/** Read a whole stream, checking every checksum, the END record, and that
 * nothing follows it.  @return 0 or as vmm_state_next(). */
int vmm_state_verify(const struct vmm_state_io *io, char *err, size_t errlen);

/* ---- state files (vireo-headless and vireo-manage) -------------------- */

/* vmm_state_io callbacks on a file descriptor: @ctx points to the int. */
int vmm_state_fd_write(void *ctx, const void *buf, size_t len);
int vmm_state_fd_read(void *ctx, void *buf, size_t len);
/** Open state file @path for reading.  @return 0 or -errno (@err says
 * why). */
int vmm_state_open(const char *path, int *fd, char *err, size_t errlen);
/** vmm_state_verify() of the file @path. */
int vmm_state_check_file(const char *path, char *err, size_t errlen);

/** CRC-32 (IEEE 802.3, as zlib and xz compute it). */
uint32_t vmm_state_crc32(const void *p, size_t n, uint32_t crc);

#endif /* VIREO_VMM_STATE_H */
