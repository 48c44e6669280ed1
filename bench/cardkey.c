/*
 * cardkey.c - the text line of the test card, edited by key presses
 * exactly as the testcard guest does (Enter or a full line clears it,
 * Backspace removes the last character, keys without a glyph are
 * ignored), redrawn at once with the guest's draw.c.
 */
#include "cardkey.h"
#include "guest/card.h"

void
cardkey_press(struct card *c, uint8_t code)
{
	char ch = font_scancode_char(code);

	if (code == 0x1c || (ch && c->text_len == TESTCARD_TEXT_MAX))
		c->text_len = 0;
	else if (code == 0x0e)
		c->text_len -= c->text_len > 0;
	else if (ch)
		c->text[c->text_len++] = ch;
	else
		return;
	card_draw_rect(c, 0, TESTCARD_TEXT_X, TESTCARD_TEXT_Y,
		       TESTCARD_TEXT_WIDTH, TESTCARD_TEXT_HEIGHT);
}
