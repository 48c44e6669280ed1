/*
 * fuzz-usbfilter.c - libFuzzer target for the USB device filter value
 * grammar (src/headless/usbfilter.c): numeric expressions of vendor id,
 * product id and revision, and wildcard patterns of the string fields,
 * all read from the .vbox file.
 *
 * Input: two bytes of a value, then the expression, a newline, and a
 * subject string.  Oracles besides ASan/UBSan: an expression that is not
 * understood never matches; any string matches itself as a pattern (a
 * '*' or '?' in it matches itself), and "*" and "" match everything; the
 * value's own hex and a range around it match.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "usbfilter.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[4096], own[64];
	char *subject;
	unsigned v;
	bool bad = false, hit;

	if (size < 2 || size - 2 >= sizeof(text))
		return 0;
	v = (unsigned)(data[0] | data[1] << 8);
	memcpy(text, data + 2, size - 2);
	text[size - 2] = '\0';
	subject = strchr(text, '\n');
	if (subject)
		*subject++ = '\0';
	else
		subject = text + strlen(text);
	hit = usbfilter_num_match(text, v, &bad);
	FUZZ_ASSERT(!(hit && bad));
	usbfilter_str_match(text, subject);
	FUZZ_ASSERT(usbfilter_str_match(subject, subject));
	FUZZ_ASSERT(usbfilter_str_match(text, text));
	FUZZ_ASSERT(usbfilter_str_match("*", subject));
	FUZZ_ASSERT(usbfilter_str_match("", subject));
	bad = false;
	snprintf(own, sizeof(own), "%04x", v);
	FUZZ_ASSERT(usbfilter_num_match(own, v, &bad) && !bad);
	snprintf(own, sizeof(own), "0x0-%x | %X", v, v);
	FUZZ_ASSERT(usbfilter_num_match(own, v, &bad) && !bad);
	return 0;
}
