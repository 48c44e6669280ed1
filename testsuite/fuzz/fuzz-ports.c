/*
 * fuzz-ports.c - libFuzzer target for the TCP/Ports grammar
 * (src/util/portlist.c), the one parser behind the RDP module's bind
 * list, vireo-manage --vrdeport and the control socket's vrdeport.
 *
 * Oracles besides ASan/UBSan: every port is 1..65535, portlist_valid() agrees
 * with portlist_parse(), a smaller @max gives a prefix of the same list, and a
 * valid list written back as "p1,p2,..." parses to the same ports.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "portlist.h"

#define FUZZ_MAX 256

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint16_t ports[FUZZ_MAX], few[4], again[FUZZ_MAX];
	static char spec[4096], out[FUZZ_MAX * 7];
	size_t o = 0;
	int n, k, m;

	if (size >= sizeof(spec))
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	n = portlist_parse(spec, ports, FUZZ_MAX);
	FUZZ_ASSERT(n == -EINVAL || (n >= 1 && n <= FUZZ_MAX));
	FUZZ_ASSERT(portlist_valid(spec) == (n > 0));
	if (n < 0)
		return 0;
	k = portlist_parse(spec, few, 4);
	FUZZ_ASSERT(k == (n < 4 ? n : 4));
	FUZZ_ASSERT(!memcmp(few, ports, (size_t)k * sizeof(ports[0])));
	for (int i = 0; i < n; i++) {
		FUZZ_ASSERT(ports[i] >= 1);
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%u",
				      i ? "," : "", ports[i]);
	}
	m = portlist_parse(out, again, FUZZ_MAX);
	FUZZ_ASSERT(m == n);
	FUZZ_ASSERT(!memcmp(again, ports, (size_t)n * sizeof(ports[0])));
	return 0;
}
