/*
 * rdp_rle.h - interleaved RLE (MS-RDPBCGR 2.2.9.1.1.3.1.2.4) for the
 * legacy BitmapUpdate path at 15, 16 and 24 bpp.
 */
#ifndef VIREO_VRDE_RDP_RLE_H
#define VIREO_VRDE_RDP_RLE_H

#include <stddef.h>
#include <stdint.h>

/**
 * Encode @w x @h pixels of @px (32-bit 0x00RRGGBB words, @stride bytes per
 * row, top row first) at @bpp (15, 16 or 24) into @out (@cap bytes).
 * @return the number of bytes written, -EINVAL for a bad depth or size,
 * -ENOSPC when @cap is too small.
 */
long rdp_rle_encode(const uint8_t *px, uint32_t stride, uint32_t w, uint32_t h,
		    uint32_t bpp, uint8_t *out, size_t cap);

#endif
