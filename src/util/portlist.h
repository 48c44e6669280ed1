/*
 * portlist.h - the TCP/Ports grammar of the VRDE properties, shared by
 * the RDP module (which binds the ports), vireo-manage (modifyvm
 * --vrdeport, controlvm vrdeport) and the control socket, so that a list
 * one of them accepts is never refused by another.
 *
 *   list  = "default" | "0" | range *("," range)
 *   range = port ["-" port]          first <= last
 *   port  = 1*DIGIT                  1 .. 65535; blanks around it allowed
 *
 * "default" and "0" stand for the RDP port 3389.
 */
#ifndef VIREO_UTIL_PORTLIST_H
#define VIREO_UTIL_PORTLIST_H

#include <stdbool.h>
#include <stdint.h>

#define PORTLIST_DEFAULT 3389

/** Expand @spec into @ports in order, at most @max (>= 1) of them (the
 * rest is checked but dropped).  @return how many were stored, or
 * -EINVAL when @spec is not a valid list (then @ports means nothing). */
int portlist_parse(const char *spec, uint16_t *ports, int max);
/** Whether @spec is a valid list. */
bool portlist_valid(const char *spec);
/** Whether @spec names the default port ("default" or "0"). */
bool portlist_is_default(const char *spec);

#endif /* VIREO_UTIL_PORTLIST_H */
