/*
 * dev_isa_rtc.c - the CMOS RTC (MC146818) at 0x70/0x71: the host's wall
 * clock in the time registers, the memory size in the CMOS bytes
 * firmware and old kernels read, no alarm and no interrupt.
 *
 * Time is computed on every read, so "update in progress" never shows;
 * register D reports a valid battery.  Bit 7 of the index is the NMI
 * mask and is ignored.
 */
#define LOG_TAG "rtc"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "vmm_internal.h"

struct rtc_softc {
	struct vmm *vm;
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t cmos[128];
};

static uint8_t
rtc_bcd(struct rtc_softc *sc, int v)
{
	if (sc->cmos[0x0b] & 0x04) /* binary mode */
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t
rtc_time_reg(struct rtc_softc *sc, uint8_t reg)
{
	time_t now = time(NULL);
	struct tm tm;
	int h;

	gmtime_r(&now, &tm);
	switch (reg) {
	case 0x00:
		return rtc_bcd(sc, tm.tm_sec);
	case 0x02:
		return rtc_bcd(sc, tm.tm_min);
	case 0x04:
		h = tm.tm_hour;
		if (sc->cmos[0x0b] & 0x02) /* 24-hour mode */
			return rtc_bcd(sc, h);
		return rtc_bcd(sc, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0);
	case 0x06:
		return rtc_bcd(sc, tm.tm_wday + 1);
	case 0x07:
		return rtc_bcd(sc, tm.tm_mday);
	case 0x08:
		return rtc_bcd(sc, tm.tm_mon + 1);
	case 0x09:
		return rtc_bcd(sc, tm.tm_year % 100);
	case 0x32:
		return rtc_bcd(sc, 19 + tm.tm_year / 100);
	}
	return sc->cmos[reg];
}

static void
rtc_read(void *dev, uint64_t addr, uint8_t *data, uint32_t len)
{
	struct rtc_softc *sc = dev;
	uint8_t v;

	pthread_mutex_lock(&sc->lock);
	if (addr == 0)
		v = sc->index;
	else
		v = rtc_time_reg(sc, sc->index);
	pthread_mutex_unlock(&sc->lock);
	memset(data, v, len);
}

static void
rtc_write(void *dev, uint64_t addr, const uint8_t *data, uint32_t len)
{
	struct rtc_softc *sc = dev;

	pthread_mutex_lock(&sc->lock);
	/* a write to the clock itself is dropped (it follows the host);
	 * registers A, B and the RAM stick */
	if (addr == 0)
		sc->index = data[0] & 0x7f;
	else if (sc->index >= 0x0a && sc->index != 0x0c && sc->index != 0x0d)
		sc->cmos[sc->index] = data[0];
	pthread_mutex_unlock(&sc->lock);
}

static const struct vmm_io_ops rtc_io = {
    .read = rtc_read,
    .write = rtc_write,
};

static void
rtc_reset(void *state)
{
	struct rtc_softc *sc = state;
	struct vmm *vm = sc->vm;
	uint64_t ext, above16, high;

	pthread_mutex_lock(&sc->lock);
	memset(sc->cmos, 0, sizeof(sc->cmos));
	sc->cmos[0x0a] = 0x26; /* 32.768 kHz, 1024 Hz */
	sc->cmos[0x0b] = 0x02; /* 24-hour, BCD */
	sc->cmos[0x0d] = 0x80; /* valid RAM and time */
	/* memory sizes: 0x17/0x30 KiB above 1 MiB (max 63 MiB), 0x34 in
	 * 64 KiB units above 16 MiB, 0x5b-0x5d in 64 KiB above 4 GiB */
	ext = vm->ram_low > (1u << 20) ? (vm->ram_low - (1u << 20)) >> 10 : 0;
	if (ext > 0xfc00)
		ext = 0xfc00;
	sc->cmos[0x17] = sc->cmos[0x30] = ext & 0xff;
	sc->cmos[0x18] = sc->cmos[0x31] = ext >> 8;
	above16 =
	    vm->ram_low > (16u << 20) ? (vm->ram_low - (16u << 20)) >> 16 : 0;
	if (above16 > 0xffff)
		above16 = 0xffff;
	sc->cmos[0x34] = above16 & 0xff;
	sc->cmos[0x35] = above16 >> 8;
	high = vm->ram_high >> 16;
	sc->cmos[0x5b] = high & 0xff;
	sc->cmos[0x5c] = (high >> 8) & 0xff;
	sc->cmos[0x5d] = (high >> 16) & 0xff;
	pthread_mutex_unlock(&sc->lock);
}

static int
rtc_init(struct vmm *vm, void **state)
{
	struct rtc_softc *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return -ENOMEM;
	sc->vm = vm;
	pthread_mutex_init(&sc->lock, NULL);
	rtc_reset(sc);
	*state = sc;
	return vmm_bus_add(&vm->pio, VIREO_PORT_RTC_INDEX, 2, &rtc_io, sc);
}

static void
rtc_destroy(void *state)
{
	free(state);
}

/* Saved state, version 1: the index and the 128 CMOS bytes.  The time
 * registers are not state: they follow the host's clock, also after a
 * restore. */
#define RTC_STATE_VERSION 1

static void
rtc_save(void *state, struct vmm_sw *w)
{
	struct rtc_softc *sc = state;

	pthread_mutex_lock(&sc->lock);
	vmm_sw_u8(w, sc->index);
	vmm_sw_bytes(w, sc->cmos, sizeof(sc->cmos));
	pthread_mutex_unlock(&sc->lock);
}

static int
rtc_load(void *state, struct vmm_sr *r, char *err, size_t errlen)
{
	struct rtc_softc *sc = state;
	uint8_t index = vmm_sr_u8(r);

	if (index > 0x7f) {
		snprintf(err, errlen, "CMOS index 0x%02x out of range", index);
		return -EPROTO;
	}
	pthread_mutex_lock(&sc->lock);
	sc->index = index;
	vmm_sr_bytes(r, sc->cmos, sizeof(sc->cmos));
	pthread_mutex_unlock(&sc->lock);
	return r->err;
}

const struct vmm_device_ops rtc_dev = {
    .name = "cmos-rtc",
    .phase = VMM_PHASE_DEV,
    .init = rtc_init,
    .reset = rtc_reset,
    .destroy = rtc_destroy,
    .tag = "RTC ",
    .version = RTC_STATE_VERSION,
    .save = rtc_save,
    .load = rtc_load,
};
