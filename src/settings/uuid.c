/*
 * uuid.c - random (version 4) uuids in VirtualBox's "{...}" form, and
 * normalising the forms users type ("uuid", "{UUID}").
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "settings_priv.h"

void
settings_random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n <= 0)
			continue; /* EINTR; getrandom does not fail otherwise */
		p += n;
		len -= (size_t)n;
	}
}

void
settings_uuid_generate(char out[SETTINGS_UUID_LEN + 1])
{
	uint8_t b[16];

	settings_random_bytes(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, SETTINGS_UUID_LEN + 1,
		 "{%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x}",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

int
settings_uuid_normalize(const char *in, char out[SETTINGS_UUID_LEN + 1])
{
	size_t len = strlen(in);
	char *o = out;

	if (len == 38 && in[0] == '{' && in[37] == '}') {
		in++;
		len = 36;
	}
	if (len != 36)
		return -EINVAL;
	*o++ = '{';
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? in[i] != '-' : !isxdigit((unsigned char)in[i]))
			return -EINVAL;
		*o++ = (char)tolower((unsigned char)in[i]);
	}
	*o++ = '}';
	*o = '\0';
	return 0;
}
