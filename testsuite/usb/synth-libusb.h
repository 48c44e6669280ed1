/*
 * synth-libusb.h - the test-only libusb's device descriptions
 * (synth-config.c) and its descriptor parser, shared with its unit test.
 */
#ifndef SYNTH_LIBUSB_H
#define SYNTH_LIBUSB_H

#include <stddef.h>
#include <stdint.h>

#include <libusb.h>

#define SYNTH_MAX_DEVICES 8
#define SYNTH_MAX_REPORTS 64

enum { SYNTH_KIND_HUB, SYNTH_KIND_TABLET, SYNTH_KIND_VENDOR };

/* One device as SYNTH_LIBUSB_DEVICES / SYNTH_LIBUSB_CONFIG describe it. */
struct synth_spec {
	int kind;
	char name[32];
	unsigned vid, pid, bcd_device;
	unsigned bus, addr, port;
	char manufacturer[64], product[64], serial[64];
	unsigned arrive_ms; /* 0: there from libusb_init on */
	/* vendor */
	uint64_t bytes; /* echo: the pattern's length */
	int loopback;	/* OUT's bytes come back on IN */
	uint32_t seed;
	unsigned mps; /* bulk wMaxPacketSize */
	/* tablet */
	uint8_t reports[SYNTH_MAX_REPORTS][6];
	size_t nreports;
	int repeat;
	unsigned interval_ms;
	char report_file[256];
	char result[256];
};

/* Read the device descriptions from the environment (defaults: one
 * tablet, one vendor device). @return how many, or -1 with ERR set. */
int synth_config_load(struct synth_spec *specs, int max, char *err,
		      size_t errlen);
/* Parse one description line ("vendor bytes=1M mode=echo ..."). */
int synth_config_parse_spec(const char *line, struct synth_spec *spec,
			    char *err, size_t errlen);

/* Build libusb's parsed form of a raw configuration descriptor. */
int synth_parse_config(const uint8_t *raw, size_t len,
		       struct libusb_config_descriptor **out);
void synth_free_config(struct libusb_config_descriptor *config);

/* The echo pattern's byte at OFF, and a tablet report "X,Y[,B[,W]]". */
uint8_t synth_pattern(uint64_t off, uint32_t seed);
int synth_parse_report(const char *s, uint8_t out[6]);

#endif
