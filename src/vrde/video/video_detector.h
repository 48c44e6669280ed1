/*
 * video_detector.h - find video playing in a screen's damage stream.
 *
 * A guest that plays a video redraws the same rectangle over and over at a
 * steady pace; a window being dragged moves, typing damages small areas.
 * The detector watches the damage of one screen and tells its user when a
 * rectangle has become a video stream, which frames belong to it, and when
 * it ends, so the video can be sent lossy (JPEG, H.264) and everything else
 * stays lossless.  The rules follow VirtualBox's VRDP detector (see
 * vireo-video(7)): a rectangle of at least 64x64 with an aspect ratio
 * between 1:2 and 3:1, repeated with 15..300 ms between updates, is a
 * candidate after 10 such frames and a stream from the next one; the stream
 * ends 300 ms after its last update, or when damage that is not the video
 * cuts into it (the area changed shape).  Edges may jitter by a few pixels.
 *
 * The detector is a pure state machine: time is passed in by the caller,
 * nothing here reads a clock, locks or allocates after creation, so the
 * unit tests replay recorded damage with made-up timestamps.  One detector
 * per screen; not thread-safe (the caller serialises, as the host does).
 */
#ifndef VIREO_VIDEO_DETECTOR_H
#define VIREO_VIDEO_DETECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vrde/vrde.h"

/** Tunables; video_detector_params_default() gives VirtualBox's values. */
struct video_detector_params {
	bool enabled;	     /**< VideoChannel/Enabled; false: no streams */
	uint32_t frames;     /**< VideoDetectionFrames: frames to candidate */
	uint32_t min_ms;     /**< MinMS: shortest gap counted as a frame */
	uint32_t max_ms;     /**< MaxMS: longest gap counted as a frame */
	uint32_t history_ms; /**< HistoryDecayMS: forget idle candidates */
	uint32_t video_decay_ms; /**< VideoDecayMS: idle time ending a stream */
	uint32_t min_size;	 /**< MinSize: smallest width and height, px */
	uint32_t jitter; /**< Jitter: edge wobble still "same area", px */
};

/** A property reader with the shape of vrde_host_callbacks.get_property. */
typedef int (*video_get_property_fn)(void *ctx, const char *name, char *buf,
				     size_t size);

void video_detector_params_default(struct video_detector_params *p);

/**
 * Set one tunable by its property name, "VideoDetector/<Name>" (Names:
 * VideoDetectionFrames, MinMS, MaxMS, HistoryDecayMS, VideoDecayMS,
 * MinSize, Jitter) or "VideoChannel/Enabled".  A "Property/" prefix is
 * accepted.  @return 0, -ENOENT for an unknown name, -EINVAL (and @p
 * unchanged) for a value out of range.
 */
int video_detector_params_set(struct video_detector_params *p, const char *name,
			      const char *value);

/** Where video_detector_params_load() reports a rejected value: one
 * line, without a newline. */
typedef void (*video_warn_fn)(void *ctx, const char *msg);

/**
 * Read every tunable through @get (unset ones keep their value).  A bad
 * value is reported through @warn (may be NULL) and ignored.  @return 0,
 * or -EINVAL when at least one value was rejected.
 */
int video_detector_params_load(struct video_detector_params *p,
			       video_get_property_fn get, video_warn_fn warn,
			       void *ctx);

enum video_event_type {
	VIDEO_EVENT_START = 1, /**< a new stream; this refresh is frame 1 */
	VIDEO_EVENT_FRAME = 2, /**< the stream's area changed this refresh */
	VIDEO_EVENT_END = 3,   /**< stream gone; resend its area lossless */
};

enum video_end_reason {
	VIDEO_END_NONE = 0,
	VIDEO_END_TIMEOUT = 1,	/**< no update for VideoDecayMS */
	VIDEO_END_SHAPE = 2,	/**< other damage cut into the area */
	VIDEO_END_DISABLED = 3, /**< video_detector_reset() */
};

struct video_event {
	enum video_event_type type;
	uint32_t stream_id;    /**< never 0, unique per detector */
	struct vrde_rect rect; /**< the stream's area (fixed while it lives) */
	enum video_end_reason reason; /**< for VIDEO_EVENT_END */
};

struct video_detector;

/** Most streams per screen, and an event buffer that always suffices. */
#define VIDEO_DETECTOR_MAX_STREAMS 4
#define VIDEO_DETECTOR_MAX_EVENTS  (3 * VIDEO_DETECTOR_MAX_STREAMS)

/** @return a detector, or NULL when out of memory. */
struct video_detector *
video_detector_new(const struct video_detector_params *p);
void video_detector_free(struct video_detector *d);

/** Replace the tunables; active streams end at the next commit when the
 * detector got disabled. */
void video_detector_set_params(struct video_detector *d,
			       const struct video_detector_params *p);

/**
 * One damaged rectangle of the current refresh (host update()).  Rectangles
 * are collected until video_detector_commit(); a refresh with more than
 * the detector can hold is treated as full of small changes (no video).
 */
void video_detector_feed(struct video_detector *d, const struct vrde_rect *r);

/**
 * The refresh is complete (host update(NULL)) or, with nothing fed, just a
 * timer tick so idle streams end.  @now_ms is a monotonic time in ms.
 * Writes up to @max events to @ev.  @return the number of events.
 */
size_t video_detector_commit(struct video_detector *d, uint64_t now_ms,
			     struct video_event *ev, size_t max);

/**
 * The damage of the refresh just committed that no stream covers: every
 * fed rectangle minus the areas of the active streams.  Valid until the
 * next feed.  @return the number of rectangles at *@rects.
 */
size_t video_detector_residual(const struct video_detector *d,
			       const struct vrde_rect **rects);

/** Whether @r lies entirely inside an active stream. */
bool video_detector_covers(const struct video_detector *d,
			   const struct vrde_rect *r);

/** The active streams (at most @max) into @out.  @return their number. */
size_t video_detector_streams(const struct video_detector *d,
			      struct video_event *out, size_t max);

/** End every stream (END events with VIDEO_END_DISABLED) and forget all
 * candidates, e.g. after a resize.  @return the number of events. */
size_t video_detector_reset(struct video_detector *d, struct video_event *ev,
			    size_t max);

#endif /* VIREO_VIDEO_DETECTOR_H */
