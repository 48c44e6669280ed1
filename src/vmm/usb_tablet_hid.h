/*
 * usb_tablet_hid.h - the HID report descriptor of the emulated USB
 * tablet (usb_tablet.c), written from the HID 1.11 specification: 6-byte
 * reports of buttons (3 bits, 5 pad), X and Y as little-endian 16-bit
 * values 0..0x7fff, and wheel (signed 8 bits), the layout QEMU's and
 * VirtualBox's tablets use.
 *
 * The test-only libusb's synthetic tablet (testsuite/usb/synth-libusb.c)
 * reports the same way, so the guest sees the same device whether the
 * tablet is emulated or comes from a viewer's USB.  The table is defined
 * here, static, because both users need its size at compile time (in
 * their configuration descriptors).
 */
#ifndef VIREO_VMM_USB_TABLET_HID_H
#define VIREO_VMM_USB_TABLET_HID_H

#include <stdint.h>

static const uint8_t usb_tablet_report_desc[] = {
    0x05, 0x01,	      /* Usage Page (Generic Desktop) */
    0x09, 0x02,	      /* Usage (Mouse) */
    0xa1, 0x01,	      /* Collection (Application) */
    0x09, 0x01,	      /*   Usage (Pointer) */
    0xa1, 0x00,	      /*   Collection (Physical) */
    0x05, 0x09,	      /*     Usage Page (Button) */
    0x19, 0x01,	      /*     Usage Minimum (1) */
    0x29, 0x03,	      /*     Usage Maximum (3) */
    0x15, 0x00,	      /*     Logical Minimum (0) */
    0x25, 0x01,	      /*     Logical Maximum (1) */
    0x95, 0x03,	      /*     Report Count (3) */
    0x75, 0x01,	      /*     Report Size (1) */
    0x81, 0x02,	      /*     Input (Data, Variable, Absolute) */
    0x95, 0x01,	      /*     Report Count (1) */
    0x75, 0x05,	      /*     Report Size (5) */
    0x81, 0x01,	      /*     Input (Constant): padding */
    0x05, 0x01,	      /*     Usage Page (Generic Desktop) */
    0x09, 0x30,	      /*     Usage (X) */
    0x09, 0x31,	      /*     Usage (Y) */
    0x15, 0x00,	      /*     Logical Minimum (0) */
    0x26, 0xff, 0x7f, /*     Logical Maximum (32767) */
    0x35, 0x00,	      /*     Physical Minimum (0) */
    0x46, 0xff, 0x7f, /*     Physical Maximum (32767) */
    0x75, 0x10,	      /*     Report Size (16) */
    0x95, 0x02,	      /*     Report Count (2) */
    0x81, 0x02,	      /*     Input (Data, Variable, Absolute) */
    0x05, 0x01,	      /*     Usage Page (Generic Desktop) */
    0x09, 0x38,	      /*     Usage (Wheel) */
    0x15, 0x81,	      /*     Logical Minimum (-127) */
    0x25, 0x7f,	      /*     Logical Maximum (127) */
    0x35, 0x00,	      /*     Physical Minimum (0) */
    0x45, 0x00,	      /*     Physical Maximum (0) */
    0x75, 0x08,	      /*     Report Size (8) */
    0x95, 0x01,	      /*     Report Count (1) */
    0x81, 0x06,	      /*     Input (Data, Variable, Relative) */
    0xc0,	      /*   End Collection */
    0xc0,	      /* End Collection */
};

#endif
