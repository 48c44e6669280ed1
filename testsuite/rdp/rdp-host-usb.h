/*
 * rdp-host-usb.h - rdp-host's remote USB part (rdp-host-usb.c).
 */
#ifndef VIREO_TESTSUITE_RDP_HOST_USB_H
#define VIREO_TESTSUITE_RDP_HOST_USB_H

#include "lib/vhost.h"

/** Remember @vh (before the options are read). */
void host_usb_install(struct vhost *vh);
/** --usb (the USB callbacks go into the table), --usb-refuse VID:PID|all
 * (and --usb).  @return 2 taken without a value, 1 taken with @value, 0
 * not ours, -EINVAL. */
int host_usb_option(const char *name, const char *value);
/** The usb-* commands.  @return as a vhost command, -ENOSYS when not
 * one. */
int host_usb_command(const char *cmd, char *args);

#endif
