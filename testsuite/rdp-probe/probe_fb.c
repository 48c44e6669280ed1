/*
 * probe_fb.c - the probe's view of its in-memory GDI framebuffer: read a
 * pixel, wait for a pixel value or for the picture to stop changing, and
 * write PPM or PNG files for humans and other tools.
 */
#include "config.h"

#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "probe.h"

int64_t
probe_pixel(struct probe *p, int x, int y)
{
	rdpGdi *gdi = p->ctx->gdi;
	const uint8_t *px;
	int64_t rgb = -1;

	pthread_mutex_lock(&p->fb_lock);
	if (gdi && gdi->primary_buffer && x >= 0 && y >= 0 && x < gdi->width &&
	    y < gdi->height) {
		px = gdi->primary_buffer + (size_t)y * gdi->stride +
		     (size_t)x * 4;
		rgb = (int64_t)((uint32_t)px[2] << 16 | (uint32_t)px[1] << 8 |
				px[0]);
	}
	pthread_mutex_unlock(&p->fb_lock);
	return rgb;
}

static bool
probe_pixel_near(int64_t px, uint32_t rgb, unsigned tol)
{
	if (px < 0)
		return false;
	for (int sh = 0; sh < 24; sh += 8) {
		int a = (int)((px >> sh) & 0xff), b = (int)((rgb >> sh) & 0xff);
		if ((unsigned)abs(a - b) > tol)
			return false;
	}
	return true;
}

int
probe_wait_pixel(struct probe *p, int x, int y, uint32_t rgb, unsigned tol)
{
	int64_t t0 = probe_now_ms();

	for (;;) {
		if (probe_pixel_near(probe_pixel(p, x, y), rgb, tol))
			return (int)(probe_now_ms() - t0);
		if (probe_now_ms() - t0 > p->timeout_ms)
			return -1;
		if (!probe_pump(p, 10))
			return -1;
	}
}

static uint32_t
probe_fb_hash(struct probe *p)
{
	rdpGdi *gdi = p->ctx->gdi;
	uint32_t h = 0;

	pthread_mutex_lock(&p->fb_lock);
	if (gdi && gdi->primary_buffer)
		h = (uint32_t)crc32(0, gdi->primary_buffer,
				    (uInt)(gdi->stride * gdi->height));
	pthread_mutex_unlock(&p->fb_lock);
	return h;
}

int
probe_wait_stable(struct probe *p, int ms)
{
	int64_t t0 = probe_now_ms(), since = t0;
	uint32_t h = probe_fb_hash(p), n;

	for (;;) {
		if (!probe_pump(p, 10))
			return -1;
		n = probe_fb_hash(p);
		if (n != h) {
			h = n;
			since = probe_now_ms();
		} else if (probe_now_ms() - since >= ms && p->frames > 0) {
			return (int)(probe_now_ms() - t0);
		}
		if (probe_now_ms() - t0 > p->timeout_ms)
			return -1;
	}
}

static int
probe_dump_ppm(rdpGdi *gdi, FILE *f)
{
	fprintf(f, "P6\n%u %u\n255\n", gdi->width, gdi->height);
	for (INT32 y = 0; y < gdi->height; y++)
		for (INT32 x = 0; x < gdi->width; x++) {
			const uint8_t *px =
			    gdi->primary_buffer + y * gdi->stride + x * 4;
			uint8_t rgb[3] = {px[2], px[1], px[0]};
			fwrite(rgb, 1, 3, f);
		}
	return ferror(f) ? -EIO : 0;
}

static int
probe_dump_png(rdpGdi *gdi, FILE *f)
{
	png_structp png;
	png_infop info;
	uint8_t *row;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	row = malloc((size_t)gdi->width * 3);
	if (!png || !info || !row || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(row);
		return -EIO;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, gdi->width, gdi->height, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (INT32 y = 0; y < gdi->height; y++) {
		for (INT32 x = 0; x < gdi->width; x++) {
			const uint8_t *px =
			    gdi->primary_buffer + y * gdi->stride + x * 4;
			row[x * 3] = px[2];
			row[x * 3 + 1] = px[1];
			row[x * 3 + 2] = px[0];
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(row);
	return 0;
}

int
probe_dump(struct probe *p, const char *path)
{
	rdpGdi *gdi = p->ctx->gdi;
	size_t n = strlen(path);
	FILE *f;
	int rc;

	probe_pump(p, 0);
	pthread_mutex_lock(&p->fb_lock);
	if (!gdi || !gdi->primary_buffer) {
		rc = -ENODATA;
	} else if (!(f = fopen(path, "wb"))) {
		rc = -errno;
	} else {
		if (n > 4 && !strcmp(path + n - 4, ".png"))
			rc = probe_dump_png(gdi, f);
		else
			rc = probe_dump_ppm(gdi, f);
		if (fclose(f) != 0 && rc == 0)
			rc = -EIO;
	}
	pthread_mutex_unlock(&p->fb_lock);
	return rc;
}
