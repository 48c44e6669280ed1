/*
 * testcard.h - what the testcard guest draws and prints: the public
 * contract other parts of vireo (RDP module tests, the video detector,
 * benchmarks, probes) assert on.
 *
 * Every value here is exact.  The testcard is deterministic: the same
 * frame number gives the same pixels on every run.  Pixels are XRGB8888
 * as stored in the framebuffer (a uint32_t 0x00RRGGBB; the X byte is 0).
 *
 * Geometry.  Every head starts enabled at its default mode.  All elements
 * sit at fixed positions (top-left origin) inside 640x480, so they are at
 * the same place at every mode >= 640x480; smaller modes clip them.
 *
 * Drawing order, later items on top: background, grid, colour bars,
 * head digits, head-id blocks, video rectangle, text line (head 0 only),
 * frame counter, crosshair (only on the head the pointer is on).
 */
#ifndef VIREO_TESTCARD_H
#define VIREO_TESTCARD_H

/* ---- modes ------------------------------------------------------------ */
#define TESTCARD_HEAD0_WIDTH  1024 /* default mode of head 0 */
#define TESTCARD_HEAD0_HEIGHT 768
#define TESTCARD_HEADN_WIDTH  800 /* default mode of heads 1.. */
#define TESTCARD_HEADN_HEIGHT 600
#define TESTCARD_MIN_WIDTH    64 /* smaller mode requests: rejected */
#define TESTCARD_MIN_HEIGHT   64
#define TESTCARD_MAX_WIDTH    8192 /* also limited by the head's VRAM */
#define TESTCARD_MAX_HEIGHT   8192

/* ---- background and grid --------------------------------------------- */
#define TESTCARD_BACKGROUND_RGB 0x00303030u
/* 1-pixel lines where x % 64 == 0 or y % 64 == 0, over the whole head */
#define TESTCARD_GRID_RGB	0x00808080u
#define TESTCARD_GRID_STEP	64

/* ---- colour bars: 8 bars, bar i at x = i * 64, y = 32, 64 x 96 -------- */
#define TESTCARD_BARS_X	    0
#define TESTCARD_BARS_Y	    32
#define TESTCARD_BAR_WIDTH  64
#define TESTCARD_BAR_HEIGHT 96
#define TESTCARD_BAR_COUNT  8
#define TESTCARD_BAR_RGB                                                       \
	{                                                                      \
		0x00ffffffu, 0x00ffff00u, 0x0000ffffu, 0x0000ff00u,            \
		    0x00ff00ffu, 0x00ff0000u, 0x000000ffu, 0x00000000u         \
	}
/* white, yellow, cyan, green, magenta, red, blue, black */

/* ---- head number in large digits -------------------------------------
 * The head number (0-based, decimal, no leading zero) drawn with a 5x7
 * dot font scaled 8x: each dot is an 8x8 square, a glyph is 40x56, the
 * advance is 48.  Lit dots TESTCARD_DIGIT_RGB, unlit dots are background
 * (grid lines stay visible between).  The first digit's top-left is
 * (TESTCARD_DIGITS_X, TESTCARD_DIGITS_Y). */
#define TESTCARD_DIGITS_X      528
#define TESTCARD_DIGITS_Y      40
#define TESTCARD_DIGIT_SCALE   8
#define TESTCARD_DIGIT_ADVANCE 48
#define TESTCARD_DIGIT_RGB     0x00ffffffu

/* ---- head-id blocks: the head number in 4 binary blocks --------------
 * 4 blocks of 16x16 at y = 0, block i at x = 544 + 16 * i, most
 * significant bit first; 1 = white 0x00ffffff, 0 = black 0x00000000.
 * Read the centre pixel (544 + 16 * i + 8, 8). */
#define TESTCARD_HEADID_X      544
#define TESTCARD_HEADID_Y      0
#define TESTCARD_HEADID_BLOCKS 4

/* ---- frame counter ------------------------------------------------------
 * 32 blocks of 16x16 at y = 0, block i at x = 16 * i, most significant
 * bit first; 1 = white 0x00ffffff, 0 = black 0x00000000.  Read the centre
 * pixel (16 * i + 8, 8).  The counter is the number of the frame shown:
 * it starts at 1 with the first frame and grows by exactly 1 per frame
 * drawn (no frame is skipped, also not after a pause), on every head
 * (all heads show the same number). */
#define TESTCARD_COUNTER_X	0
#define TESTCARD_COUNTER_Y	0
#define TESTCARD_COUNTER_BLOCKS 32
#define TESTCARD_BLOCK_SIZE	16
#define TESTCARD_BIT1_RGB	0x00ffffffu
#define TESTCARD_BIT0_RGB	0x00000000u
/* Frames per second, paced by the TSC; steady while the VM runs. */
#define TESTCARD_FPS		30

/* ---- the "video" rectangle ----------------------------------------------
 * A fixed 320x180 rectangle at (64, 160) on every head, redrawn every
 * frame: a scrolling colour gradient (a smoothly changing image).  Pixel
 * (x, y) relative to the rectangle's top-left, in frame f (the counter):
 */
#define TESTCARD_VIDEO_X      64
#define TESTCARD_VIDEO_Y      160
#define TESTCARD_VIDEO_WIDTH  320
#define TESTCARD_VIDEO_HEIGHT 180
#define TESTCARD_VIDEO_PIXEL(x, y, f)                                          \
	((((((unsigned)(x) + 4u * (unsigned)(f)) & 0xffu) << 16) |             \
	  ((((unsigned)(y) + 2u * (unsigned)(f)) & 0xffu) << 8) |              \
	  (((unsigned)(x) + (unsigned)(y) + 6u * (unsigned)(f)) & 0xffu)) &    \
	 0x00ffffffu)

/* ---- text line (head 0 only) ---------------------------------------------
 * Typed characters (US layout, set-1 make codes; letters shown as capitals)
 * are appended to a line at (16, 432): a black 0x00000000 box 608x16, each
 * character a 5x7 dot font scaled 2x (10x14) in a 12x16 cell, dots
 * TESTCARD_TEXT_RGB.  Enter and a full line (50 characters) clear it,
 * Backspace removes the last character.  Keys with no glyph are only
 * reported on COM1. */
#define TESTCARD_TEXT_X		 16
#define TESTCARD_TEXT_Y		 432
#define TESTCARD_TEXT_WIDTH	 608
#define TESTCARD_TEXT_HEIGHT	 16
#define TESTCARD_TEXT_CELL_WIDTH 12
#define TESTCARD_TEXT_MAX	 50
#define TESTCARD_TEXT_BG_RGB	 0x00000000u
#define TESTCARD_TEXT_RGB	 0x00ffff00u

/* ---- the desktop scene ------------------------------------------------
 * Scene "desktop" (guest option "desktop"; card-host and xanim --scene
 * desktop) replaces everything but the frame counter and the crosshair
 * with full-screen motion typical of a desktop, for measuring encoders on
 * whole-head changes.  It runs in phases of TESTCARD_DESKTOP_PHASE
 * frames, phase p = (f / TESTCARD_DESKTOP_PHASE) % 3 in frame f, and step
 * s = f % TESTCARD_DESKTOP_PHASE within it:
 *   0 scrolling text: the head is a terminal of 16-pixel rows; screen row
 *     r (y / 16) shows text line r + s, so the text moves up one row per
 *     frame.  Line n is TESTCARD_DESKTOP_LINE_CHARS or fewer characters
 *     (scene.c: desktop_line(), a function of n only) in 12x16 cells
 *     like the text line, dots TESTCARD_DESKTOP_FG_RGB on
 *     TESTCARD_DESKTOP_BG_RGB.
 *   1 a window dragged: over the background and grid, a 320x240 window
 *     with its top-left at (8 s mod (w - 320), 4 s mod (h - 240)): a
 *     1-pixel black border, a 20-pixel title bar TESTCARD_WINDOW_TITLE_RGB,
 *     a TESTCARD_WINDOW_BODY_RGB body showing text lines 0.. in black.
 *   2 animation: every pixel changes every frame,
 *     TESTCARD_VIDEO_PIXEL(x, y, f) over the whole head.
 * At the testcard's "fps60" option (card-host/xanim --fps 60) the frames
 * come 60 times a second instead of TESTCARD_FPS. */
#define TESTCARD_DESKTOP_PHASE	    90
#define TESTCARD_DESKTOP_ROW	    16
#define TESTCARD_DESKTOP_LINE_CHARS 80
#define TESTCARD_DESKTOP_BG_RGB	    0x00102030u
#define TESTCARD_DESKTOP_FG_RGB	    0x00c0c0c0u
#define TESTCARD_WINDOW_WIDTH	    320
#define TESTCARD_WINDOW_HEIGHT	    240
#define TESTCARD_WINDOW_TITLE	    20
#define TESTCARD_WINDOW_TITLE_RGB   0x003060a0u
#define TESTCARD_WINDOW_BODY_RGB    0x00e0e0e0u
#define TESTCARD_SCENE_CARD	    0
#define TESTCARD_SCENE_DESKTOP	    1

/* ---- pointer crosshair ----------------------------------------------------
 * On the head the pointer is on: a horizontal and a vertical 1-pixel line
 * through (x, y), each reaching 10 pixels either side (21 pixels long),
 * clipped to the head.  Moving the pointer restores what was below. */
#define TESTCARD_CROSSHAIR_ARM 10
#define TESTCARD_CROSSHAIR_RGB 0x00ff8000u

/* ---- COM1 lines (8250 at 0x3f8), each ended by "\n" ------------------------
 *   "testcard rtc YYYY-MM-DD HH:MM:SS"  the CMOS clock (UTC), just before
 *   "testcard ready heads=<N>"          once per boot, after the first
 *                                       frame is on every head
 *   "key <code> <down|up>"              for each key event: <code> is the
 *                                       set-1 make code in 2 lowercase hex
 *                                       digits ("1e"), or "e0" + 2 digits
 *                                       for extended keys ("e04b"); a
 *                                       release prints the make code + "up"
 *   "ptr <x> <y> <buttons>"             each pointer event on head 0
 *   "ptr <x> <y> <buttons> head=<n>"    each pointer event on head n > 0
 *                                       (decimal; buttons bit0 left,
 *                                       bit1 right, bit2 middle)
 *   "wheel <v> <h>"                     a wheel event (signed notches)
 *   "mode <head> <w>x<h>"               a mode request was applied (also
 *                                       when it only re-applied the size)
 *   "mode <head> off"                   a 0x0 request disabled the head
 *   "mode <head> rejected <w>x<h>"      a request that does not fit
 *   "testcard poweroff"                 before a guest power-off
 * The pointer events are exact: one line per event the host injected,
 * in order (the display device queues them). */
#define TESTCARD_READY_PREFIX "testcard ready heads="

/* ---- serial input and COM2 -------------------------------------------------
 * Every byte the testcard receives on COM1 is reported on COM1 as
 * "com1 rx <XX>" (2 lowercase hex digits), one line per byte, in order;
 * it polls the line status register's data-ready bit, so input is read
 * on the software CPU too (no interrupts).  When a UART answers at COM2
 * (0x2f8; its scratch register keeps what is written), the testcard
 * prints TESTCARD_COM2_READY on it at boot, just before "testcard
 * ready", and reports bytes received there as "com2 rx <XX>" on COM2. */
#define TESTCARD_COM2_READY "testcard com2 ready"

/* ---- options (vmm_config.cmdline when booting the testcard) ---------------
 *   "triplefault"    after "testcard ready", make the CPU triple fault
 *   "poweroff"       after "testcard ready", power off through the port
 *   "reset"          after the first "testcard ready", reset the VM
 *                    through the i8042 (0xfe to port 0x64), once
 *   "resetcf9"       the same through port 0xcf9
 *   "movebars"       size the display device's BARs and move them
 *                    (registers to 0xe0100000, VRAM to 0xd0000000) with
 *                    memory decoding off, print "testcard bars
 *                    regs=<old>-><new>/<size> vram=<old>-><new>/<size>"
 *                    (BAR0 and BAR2's low half in 8 hex digits, sizes in
 *                    bytes), then use them
 *   "raw8042"        turn the i8042's set-2-to-set-1 translation off,
 *                    enable the PS/2 mouse, and print every byte the
 *                    controller delivers as "i8042 kbd <hex>" or
 *                    "i8042 aux <hex>" instead of "key" lines
 * Ctrl-Alt-Del (what vmm_power_button() sends) prints "testcard poweroff"
 * and powers off.  F1 (make code 3b) writes all of head 0 to the display
 * device's flush-rect register without changing a pixel, so the host gets
 * damage covering the whole head.
 */

#endif /* VIREO_TESTCARD_H */
