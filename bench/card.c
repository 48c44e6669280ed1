/*
 * card.c - the testcard picture from src/guest/testcard.h (see card.h).
 *
 * Every value comes from testcard.h, so a probe that reads the guest's
 * frame counter or colour bars reads these the same way.
 */
#include "card.h"
#include "guest/testcard.h"

static void
card_fill(const struct card_fb *fb, unsigned x0, unsigned y0, unsigned w,
	  unsigned h, uint32_t rgb)
{
	unsigned x1 = x0 + w > fb->w ? fb->w : x0 + w;
	unsigned y1 = y0 + h > fb->h ? fb->h : y0 + h;

	for (unsigned y = y0; y < y1; y++) {
		uint32_t *row = fb->px + (unsigned long)y * fb->pitch;
		for (unsigned x = x0; x < x1; x++) {
			row[x] = rgb;
		}
	}
}

/* The 5x7 glyph of "0", one byte per row, bit 4 = leftmost dot. */
static const uint8_t card_zero[7] = {0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e};

void
card_draw_static(const struct card_fb *fb)
{
	static const uint32_t bars[TESTCARD_BAR_COUNT] = TESTCARD_BAR_RGB;

	for (unsigned y = 0; y < fb->h; y++) {
		uint32_t *row = fb->px + (unsigned long)y * fb->pitch;
		for (unsigned x = 0; x < fb->w; x++) {
			int grid = x % TESTCARD_GRID_STEP == 0 ||
				   y % TESTCARD_GRID_STEP == 0;
			row[x] =
			    grid ? TESTCARD_GRID_RGB : TESTCARD_BACKGROUND_RGB;
		}
	}
	for (unsigned i = 0; i < TESTCARD_BAR_COUNT; i++) {
		card_fill(fb, TESTCARD_BARS_X + i * TESTCARD_BAR_WIDTH,
			  TESTCARD_BARS_Y, TESTCARD_BAR_WIDTH,
			  TESTCARD_BAR_HEIGHT, bars[i]);
	}
	for (unsigned r = 0; r < 7; r++) {
		for (unsigned c = 0; c < 5; c++) {
			if (card_zero[r] & (0x10 >> c)) {
				card_fill(fb,
					  TESTCARD_DIGITS_X +
					      c * TESTCARD_DIGIT_SCALE,
					  TESTCARD_DIGITS_Y +
					      r * TESTCARD_DIGIT_SCALE,
					  TESTCARD_DIGIT_SCALE,
					  TESTCARD_DIGIT_SCALE,
					  TESTCARD_DIGIT_RGB);
			}
		}
	}
	/* Head 0: all four head-id blocks are 0 (black). */
	card_fill(fb, TESTCARD_HEADID_X, TESTCARD_HEADID_Y,
		  TESTCARD_HEADID_BLOCKS * TESTCARD_BLOCK_SIZE,
		  TESTCARD_BLOCK_SIZE, TESTCARD_BIT0_RGB);
	card_draw_text(fb, 0);
}

void
card_draw_frame(const struct card_fb *fb, uint32_t frame)
{
	for (unsigned y = 0; y < TESTCARD_VIDEO_HEIGHT; y++) {
		unsigned py = TESTCARD_VIDEO_Y + y;
		if (py >= fb->h) {
			break;
		}
		uint32_t *row = fb->px + (unsigned long)py * fb->pitch;
		for (unsigned x = 0; x < TESTCARD_VIDEO_WIDTH; x++) {
			unsigned px = TESTCARD_VIDEO_X + x;
			if (px < fb->w) {
				row[px] = TESTCARD_VIDEO_PIXEL(x, y, frame);
			}
		}
	}
	for (unsigned i = 0; i < TESTCARD_COUNTER_BLOCKS; i++) {
		uint32_t bit = frame >> (TESTCARD_COUNTER_BLOCKS - 1 - i) & 1;
		card_fill(fb, TESTCARD_COUNTER_X + i * TESTCARD_BLOCK_SIZE,
			  TESTCARD_COUNTER_Y, TESTCARD_BLOCK_SIZE,
			  TESTCARD_BLOCK_SIZE,
			  bit ? TESTCARD_BIT1_RGB : TESTCARD_BIT0_RGB);
	}
}

void
card_draw_text(const struct card_fb *fb, unsigned chars)
{
	card_fill(fb, TESTCARD_TEXT_X, TESTCARD_TEXT_Y, TESTCARD_TEXT_WIDTH,
		  TESTCARD_TEXT_HEIGHT, TESTCARD_TEXT_BG_RGB);
	for (unsigned i = 0; i < chars && i < TESTCARD_TEXT_MAX; i++) {
		card_fill(fb,
			  TESTCARD_TEXT_X + i * TESTCARD_TEXT_CELL_WIDTH + 1,
			  TESTCARD_TEXT_Y + 1, 10, 14, TESTCARD_TEXT_RGB);
	}
}
