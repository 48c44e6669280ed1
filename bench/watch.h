/*
 * watch.h - what the benchmark clients (rdp-watch, vnc-probe) measure on
 * the framebuffer they receive, independent of the protocol.
 *
 * - frames: the testcard's frame counter (src/guest/testcard.h) is read
 *   on every screen update; the number of distinct values per second is
 *   the delivered frame rate, gaps are frames the server dropped.
 * - latency: the client types a key, the testcard (or its copies) draws a
 *   character in the text line within its next frame, the time until the
 *   text line changes on the client is the input-to-display latency.  It
 *   is measured this way because a guest's clock cannot be compared with
 *   the host's, while the client's own clock sees both ends.
 * - quality: about once a second the client takes the frame number it
 *   sees, draws that frame itself with the test card's own code
 *   (src/guest/draw.c, scene.c: every pixel is a function of the frame)
 *   and compares it with the last picture it shows for that number, just
 *   before the next one arrives: PSNR over R, G and B (the text line,
 *   which typed keys change, left out).  Lossless paths show it exactly
 *   (reported as 99 dB and counted in "exact").
 * - bytes: what the client's TCP sockets received (TCP_INFO).
 * - cycle bytes (--cycle N): the bytes between showing frame k*N and
 *   frame (k+1)*N, and the frames and gaps between: one whole cycle of
 *   the picture, so paths and runs compare exactly when no frame merged.
 * - server CPU and memory: from /proc/<pid>, optionally without the
 *   threads that run the guest (QEMU's "CPU n/KVM").
 */
#ifndef VIREO_BENCH_WATCH_H
#define VIREO_BENCH_WATCH_H

#include <stdint.h>
#include <stdio.h>

#define WATCH_MAX_LAT 1024
#define WATCH_MAX_Q   256

struct watch {
	/* options */
	const char *server, *scenario; /* labels copied to the JSON */
	int server_pid;		       /* 0 = no server CPU figures */
	const char *exclude_threads;   /* comm substring, or NULL */
	double cpu_baseline;	       /* server CPU s/s without clients */
	double seconds;		       /* measurement window */
	double key_interval;	       /* seconds between typed keys */
	/* state */
	double t_process;     /* process start (CLOCK_MONOTONIC) */
	double t_first_frame; /* first counter value seen */
	double t_window;      /* measurement window start, 0 = not yet */
	uint32_t counter, window_first;
	unsigned long distinct, gaps;
	uint64_t text_sum; /* checksum of the text line */
	int key_pending;   /* 1 = waiting for the text line to change */
	unsigned keys_sent, keys_lost;
	double key_time;
	uint64_t key_base;
	double lat[WATCH_MAX_LAT];
	unsigned nlat;
	/* quality: the frame being compared, its expected picture, the
	 * squared error of the latest picture shown for it (-1: none yet) */
	uint32_t q_frame;
	uint32_t *q_ref;
	unsigned q_w, q_h;
	double q_t, q_sse;
	double psnr[WATCH_MAX_Q];
	unsigned npsnr, nexact;
	long cpu_ticks0;
	uint64_t bytes0;
	const char *dump; /* write the last frame here (PPM), or NULL */
	/* --cycle N: bytes over frames [k*N, (k+1)*N) of the picture, from
	 * the first multiple of N seen to the next (0: not measured); with
	 * every frame delivered the same for every run and path */
	uint32_t cycle, cycle_from;
	uint64_t cycle_bytes0, cycle_bytes;
	unsigned long cycle_distinct0, cycle_frames, cycle_gaps0, cycle_gaps;
};

double watch_now(void);

/* Parses the common options; returns 1 if argv[*i] was one of them. */
int watch_option(struct watch *w, int argc, char **argv, int *i);

void watch_init(struct watch *w);

/*
 * Feed one received frame (32-bit pixels, byte order B,G,R,X).  Returns
 * 1 when a new counter value was seen.
 */
int watch_frame(struct watch *w, const uint8_t *px, unsigned width,
		unsigned height, unsigned stride);

/*
 * Called from the client's loop: returns 1 when a key should be typed now
 * (the caller sends a press and release of `*backspace ? Backspace : A`).
 */
int watch_want_key(struct watch *w, int *backspace);

/* Writes the frame as a PPM to w->dump, if set (for checking by eye). */
void watch_dump(const struct watch *w, const uint8_t *px, unsigned width,
		unsigned height, unsigned stride);

/* 1 once the window is over. */
int watch_done(const struct watch *w);

/* Prints the JSON result line; returns 0, or -1 if nothing was seen. */
int watch_report(struct watch *w, FILE *out);

#endif
