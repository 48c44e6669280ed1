/*
 * info.c - the "info" control request: the running part of
 * "showvminfo --machinereadable", in VBoxManage's key names (including
 * its doubled '=' in VRDEClients==N), which vireo-manage prints as is.
 */
#define LOG_TAG "ctl"
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "headless.h"
#include "log.h"

/* Print key="value" with '"' and '\' escaped and control characters as
 * \xNN: values such as the user name come from the client, and a raw
 * newline would let it add lines (VMState=...) to showvminfo's output.
 * Written in whole pieces, not a byte at a time: the control socket does
 * not block, and AF_UNIX charges each write a buffer of its own (several
 * hundred bytes), so a few hundred one-byte writes fill the socket while
 * vireo-manage has not yet read, and the rest of the reply, "ok" too,
 * was lost (measured: 278 one-byte writes; headless/teleport.sh test 38
 * saw no VRDEActiveConnection once a viewer was connected). */
void
hl_info_str(int fd, const char *key, const char *value)
{
	char out[512];
	int k = snprintf(out, sizeof(out) - 8, "%s=\"", key);
	size_t n = k > 0 && k < (int)sizeof(out) - 8 ? (size_t)k : 0;

	for (const unsigned char *p = (const void *)value; *p; p++) {
		if (n > sizeof(out) - 5) {
			dprintf(fd, "%.*s", (int)n, out);
			n = 0;
		}
		if (*p == '"' || *p == '\\')
			n += (size_t)snprintf(out + n, sizeof(out) - n, "\\%c",
					      *p);
		else if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(out + n, sizeof(out) - n,
					      "\\x%02x", *p);
		else
			out[n++] = (char)*p;
	}
	dprintf(fd, "%.*s\"\n", (int)n, out);
}

static void
hl_info_time(char *buf, size_t size, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%S.000000000", &tm);
}

static uint64_t
hl_info_u64(struct headless *hl, uint32_t id, uint32_t code)
{
	uint64_t v = 0;

	if (vrdehost_query(hl, id, code, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void
hl_info_qstr(struct headless *hl, uint32_t id, uint32_t code, char *buf,
	     size_t size, const char *fallback)
{
	int n = vrdehost_query(hl, id, code, buf, size - 1);

	if (n <= 0 || (size_t)n >= size)
		snprintf(buf, size, "%s", fallback);
	else
		buf[n] = '\0';
}

/* One client's keys; @prefix "VRDEClient<i>" or "VRDE" for the first. */
static void
hl_info_client(struct headless *hl, int fd, const char *prefix,
	       const struct headless_client *c)
{
	char key[64], buf[HEADLESS_STR];
	uint64_t sent = hl_info_u64(hl, c->id, VRDE_QI_BYTES_SENT);
	uint64_t recvd = hl_info_u64(hl, c->id, VRDE_QI_BYTES_RECEIVED);

#define INFO_KEY(name) (snprintf(key, sizeof(key), "%s%s", prefix, name), key)
	hl_info_time(buf, sizeof(buf), c->since);
	hl_info_str(fd, INFO_KEY("StartTime"), buf);
	dprintf(fd, "%s=%llu\n", INFO_KEY("BytesSent"),
		(unsigned long long)sent);
	dprintf(fd, "%s=%llu\n", INFO_KEY("BytesSentTotal"),
		(unsigned long long)sent);
	dprintf(fd, "%s=%llu\n", INFO_KEY("BytesReceived"),
		(unsigned long long)recvd);
	dprintf(fd, "%s=%llu\n", INFO_KEY("BytesReceivedTotal"),
		(unsigned long long)recvd);
	hl_info_str(fd, INFO_KEY("UserName"), c->user);
	hl_info_str(fd, INFO_KEY("Domain"), c->domain);
	hl_info_qstr(hl, c->id, VRDE_QI_CLIENT_NAME, buf, sizeof(buf), "");
	hl_info_str(fd, INFO_KEY("ClientName"), buf);
	hl_info_str(fd, INFO_KEY("ClientIP"), c->address);
	dprintf(fd, "%s=%u\n", INFO_KEY("ClientVersion"),
		(unsigned)hl_info_u64(hl, c->id, VRDE_QI_CLIENT_VERSION));
	hl_info_qstr(hl, c->id, VRDE_QI_ENCRYPTION, buf, sizeof(buf), "");
	hl_info_str(fd, INFO_KEY("Encryption"), buf);
	/* how the module delivers the screen (and video) to this client */
	hl_info_qstr(hl, c->id, VRDE_QI_CODEC, buf, sizeof(buf), "");
	hl_info_str(fd, INFO_KEY("Codec"), buf);
	dprintf(fd, "%s=%u\n", INFO_KEY("Screen"), c->screen);
#undef INFO_KEY
}

/* VirtualBox's VMState names, as showvminfo prints them. */
static const char *
hl_info_state(struct headless *hl)
{
	switch (hl_state_phase(hl)) {
	case HL_PHASE_RESTORING:
		return "restoring";
	case HL_PHASE_SAVING:
		return "saving";
	case HL_PHASE_SAVED:
		return "saved";
	case HL_PHASE_TELEPORTING_IN:
		return "teleportingin";
	case HL_PHASE_TELEPORTING:
		return "teleporting";
	case HL_PHASE_TELEPORTING_PAUSED:
		return "teleportingpausedvm";
	case HL_PHASE_TELEPORTED:
		return "teleported";
	default:
		return vmm_get_state(hl->vm) == VMM_STATE_PAUSED ? "paused"
								 : "running";
	}
}

void
hl_info_write(struct headless *hl, int fd)
{
	struct headless_client clients[HEADLESS_MAX_CLIENTS];
	char buf[64], fp[128];
	int n = 0;
	int32_t port;

	hl_info_str(fd, "VMState", hl_info_state(hl));
	hl_info_time(buf, sizeof(buf), hl->state_change);
	hl_info_str(fd, "VMStateChangeTime", buf);
	/* vireo's own key: which CPU runs the guest (auto may have fallen
	 * back to the software CPU) */
	hl_info_str(fd, "accelerator", vmm_accel_name(vmm_get_accel(hl->vm)));
	pthread_mutex_lock(&hl->lock);
	port = hl->vrde_port;
	for (int i = 0; i < HEADLESS_MAX_CLIENTS; i++) {
		if (hl->clients[i].used && hl->clients[i].connected)
			clients[n++] = hl->clients[i];
	}
	pthread_mutex_unlock(&hl->lock);
	dprintf(fd, "vrdeport=%d\n", (int)port);
	/* the certificate the server really presents, for users to compare
	 * with what their viewer shows */
	hl_info_qstr(hl, 0, VRDE_QI_CERT_FINGERPRINT, fp, sizeof(fp), "");
	if (fp[0])
		hl_info_str(fd, "VRDECertFingerprint", fp);
	/* a teleporter target: the port it listens on (port 0 in the
	 * settings picks one) and the certificate it presents */
	if (hl_state_phase(hl) == HL_PHASE_TELEPORTING_IN && hl->tp_port) {
		dprintf(fd, "teleporterport=%u\n", hl->tp_port);
		hl_info_str(fd, "teleporterfingerprint", hl->tp_fingerprint);
	}
	hl_info_str(fd, "VRDEActiveConnection", n ? "on" : "off");
	dprintf(fd, "VRDEClients==%d\n", n);
	for (int i = 0; i < n; i++) {
		char prefix[32];

		snprintf(prefix, sizeof(prefix), "VRDEClient%d", i + 1);
		hl_info_client(hl, fd, prefix, &clients[i]);
	}
	if (n)
		hl_info_client(hl, fd, "VRDE", &clients[0]);
	hl_usb_info(hl, fd);
}
