/*
 * shot.c - a screenshot of one head as an 8-bit RGB PNG (controlvm
 * screenshotpng).  The head stays locked only while its pixels are
 * converted into a private copy; the file is written afterwards, to a
 * temporary name renamed into place so a reader never sees half a file.
 */
#define LOG_TAG "shot"
#include "config.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "headless.h"
#include "log.h"

/* Copy @head into a malloc'd RGB buffer.  @return 0 or -errno. */
static int
shot_grab(struct headless *hl, uint32_t head, uint8_t **rgb, uint32_t *w,
	  uint32_t *h)
{
	struct vmm_head_info info;
	int rc;

	vmm_head_lock(hl->vm, head);
	rc = vmm_head_query(hl->vm, head, &info);
	if (rc == 0 &&
	    (!info.enabled || !info.width || !info.height || !info.pixels))
		rc = -ENODATA;
	if (rc == 0) {
		*rgb = malloc((size_t)info.width * info.height * 3);
		if (!*rgb)
			rc = -ENOMEM;
	}
	if (rc == 0) {
		for (uint32_t y = 0; y < info.height; y++) {
			const uint8_t *src =
			    info.pixels + (size_t)y * info.stride;
			uint8_t *dst = *rgb + (size_t)y * info.width * 3;

			for (uint32_t x = 0; x < info.width; x++) {
				dst[3 * x] = src[4 * x + 2];
				dst[3 * x + 1] = src[4 * x + 1];
				dst[3 * x + 2] = src[4 * x];
			}
		}
		*w = info.width;
		*h = info.height;
	}
	vmm_head_unlock(hl->vm, head);
	return rc;
}

static int
shot_write(FILE *f, const uint8_t *rgb, uint32_t w, uint32_t h)
{
	png_structp png;
	png_infop info;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (!png)
		return -ENOMEM;
	info = png_create_info_struct(png);
	if (!info || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -EIO;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (uint32_t y = 0; y < h; y++)
		png_write_row(png, (png_const_bytep)(rgb + (size_t)y * w * 3));
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

int
shot_png(struct headless *hl, uint32_t head, const char *path)
{
	char tmp[4200];
	uint8_t *rgb = NULL;
	uint32_t w = 0, h = 0;
	FILE *f;
	int rc;

	if (head >= hl->heads)
		return -ENOENT;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	rc = shot_grab(hl, head, &rgb, &w, &h);
	if (rc < 0)
		return rc;
	f = fopen(tmp, "wbx");
	if (!f) {
		rc = -errno;
		free(rgb);
		return rc;
	}
	rc = shot_write(f, rgb, w, h);
	free(rgb);
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	else
		log_info("screenshot of screen %u (%ux%u) saved to %s", head, w,
			 h, path);
	return rc;
}
