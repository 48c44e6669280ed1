/*
 * probe.h - rdp-probe, the headless RDP test client (libfreerdp-client2
 * with in-memory GDI, no X11).  Shared between its files:
 *   probe_main.c      options, connection, the step loop, JSON report
 *   probe_fb.c        framebuffer conditions and PPM/PNG dumps
 *   probe_input.c     key and pointer sequences
 *   probe_pointer.c   records pointer shape updates
 *   probe_urbdrc.c    MS-RDPEUSB client with synthetic USB devices
 *   probe_channels.c  dynamic channel receivers (the graphics pipeline);
 *                     further receivers register in its table
 */
#ifndef VIREO_RDP_PROBE_H
#define VIREO_RDP_PROBE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <freerdp/freerdp.h>
#include <freerdp/client.h>
#include <freerdp/gdi/gdi.h>

struct probe;

/* One receiver of a dynamic or static channel.  The probe calls connected
 * and disconnected from FreeRDP's channel events, and report() when it
 * writes its JSON so that the receiver can add its own members. */
struct probe_channel {
	const char *name; /* channel name as FreeRDP announces it */
	void (*connected)(struct probe *p, void *iface);
	void (*disconnected)(struct probe *p, void *iface);
	void (*report)(struct probe *p, FILE *json); /* writes ,"k":v... */
};

extern const struct probe_channel *const probe_channels[];

struct probe_ctx {
	rdpContext ctx; /* first: FreeRDP allocates ContextSize */
	struct probe *p;
};

struct probe {
	freerdp *instance;
	rdpContext *ctx;
	int timeout_ms; /* per waiting step */
	bool connected;
	bool disconnected;
	uint64_t frames; /* EndPaint calls */
	/* The graphics pipeline resizes the GDI on FreeRDP's channel thread
	 * (ResetGraphics) and frees the old buffer; readers of the buffer on
	 * the main thread hold this lock. */
	pthread_mutex_t fb_lock;
	pBeginPaint gdi_begin_paint;
	pEndPaint gdi_end_paint;
	char fingerprint[160];
	bool tls_seen;		  /* the server presented its certificate */
	int64_t logon_error_data; /* Logon Errors info from the server, -1 */
	int64_t t0_ms;
	bool json_first;
	FILE *json;
};

int64_t probe_now_ms(void);
/** Process events for up to @ms.  @return false once disconnected. */
bool probe_pump(struct probe *p, int ms);

/* probe_fb.c */
/** Pixel at @x,@y as 0xRRGGBB; -1 outside the framebuffer. */
int64_t probe_pixel(struct probe *p, int x, int y);
/** Wait until pixel @x,@y is @rgb, each channel within @tol.
 * @return ms waited, or -1. */
int probe_wait_pixel(struct probe *p, int x, int y, uint32_t rgb, unsigned tol);
/** Wait until the framebuffer has not changed for @ms.  @return ms waited
 * or -1. */
int probe_wait_stable(struct probe *p, int ms);
/** Write the framebuffer as PPM (.ppm) or PNG (.png).  @return 0/-errno. */
int probe_dump(struct probe *p, const char *path);

/* probe_pointer.c: records the pointer updates the server sends */
void probe_pointer_register(rdpContext *ctx);
void probe_pointer_report(FILE *json);

/* probe_input.c */
/** "1e,e0:48,down:2a,up:2a" (hex set-1 scancodes).  @return 0 or -EINVAL.
 */
int probe_keys(struct probe *p, const char *spec);
int probe_unicode(struct probe *p, const char *utf8);
/** "X,Y[,BUTTONS]" buttons: l r m x1 x2 joined with '+'.  Moves, presses
 * and releases. */
int probe_click(struct probe *p, const char *spec);
int probe_move(struct probe *p, const char *spec);
int probe_wheel(struct probe *p, int notches, bool horizontal);
int probe_sync(struct probe *p, unsigned locks);

/* probe_tsmf.c: the MS-RDPEV receiver (enabled by --freerdp /dvc:tsmf) */
void probe_tsmf_pre_connect(struct probe *p);
uint64_t probe_tsmf_frames(void);
extern const struct probe_channel probe_tsmf_channel;
/** Our "tsmf" or FreeRDP's built-in addins (the urbdrc provider falls
 * back to it). */
PVIRTUALCHANNELENTRY probe_tsmf_provider(LPCSTR name, LPCSTR subsystem,
					 LPCSTR type, DWORD flags);

/* probe_urbdrc.c: MS-RDPEUSB client with synthetic devices (enabled by
 * --freerdp /dvc:urbdrc,OPTIONS) */
void probe_urbdrc_pre_connect(struct probe *p);
/** A counter of its report; -1 for an unknown name. */
int64_t probe_urbdrc_counter(const char *key);
extern const struct probe_channel probe_urbdrc_channel;

#endif /* VIREO_RDP_PROBE_H */
