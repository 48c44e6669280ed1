/*
 * loader_linux.c - Linux bzImage loader (64-bit boot protocol).
 */
#define LOG_TAG "loader"
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "log.h"
#include "vmm-internal.h"

int
vmm_load_linux(struct vmm *vm, char *err, size_t errlen)
{
	snprintf(err, errlen, "Linux loader not built yet");
	return -ENOTSUP;
}
