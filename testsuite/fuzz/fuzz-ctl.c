/*
 * fuzz-ctl.c - libFuzzer target for the control socket's request parser
 * (src/headless/ctl.c): the input is what a client writes on the socket.
 *
 * ctl.c is included whole so that its connection handler runs as in
 * vireo-headless, reading a real socket; only what it calls into the rest
 * of vireo-headless (the VM, the VRDE host, screenshots) is replaced by
 * the functions below, which check that the parser hands them only what
 * it promised: screens that exist, bounded sizes and key counts, a
 * TCP/Ports value of the shared grammar, property names without
 * separators.  The reply must end in exactly one "ok" or "error" line.
 */
#include "headless/ctl.c"

#include "fuzz.h"
#include "portlist.h"

static struct headless_server fuzz_server;
static struct headless *fuzz_hl; /* the VM of the request being served */

int
vrdehost_start(struct headless *hl, char *errbuf, size_t size)
{
	hl->server = &fuzz_server;
	return 0;
}

int
vrdehost_enable(struct headless *hl)
{
	return 0;
}

void
vrdehost_stop(struct headless *hl)
{
	hl->server = NULL;
}

int
hl_machine_set_property(struct headless *hl, const char *name,
			const char *value)
{
	FUZZ_ASSERT(name[0] && !strpbrk(name, "=\t\n"));
	FUZZ_ASSERT(!strpbrk(value, "\t\n"));
	if (!strcmp(name, "TCP/Ports"))
		FUZZ_ASSERT(portlist_valid(value));
	return 0;
}

int
logon_console_token(struct headless *hl, char *out, size_t size)
{
	FUZZ_ASSERT(size > LOGON_TOKEN_LEN);
	memset(out, 'a', LOGON_TOKEN_LEN);
	out[LOGON_TOKEN_LEN] = '\0';
	return 0;
}

int
shot_png(struct headless *hl, uint32_t head, const char *path)
{
	FUZZ_ASSERT(head < hl->heads && path[0] == '/');
	return -EIO; /* never write a file */
}

int
vmm_head_mode_hint(struct vmm *vm, uint32_t head, uint32_t w, uint32_t h)
{
	FUZZ_ASSERT(head < fuzz_hl->heads && w <= 65535 && h <= 65535);
	return 0;
}

int
input_scancodes(struct headless *hl, const uint8_t *codes, int n)
{
	FUZZ_ASSERT(n >= 1 && n < CTLPROTO_MAX_FIELDS);
	fuzz_touch(codes, (size_t)n);
	return 0;
}

void
hl_info_write(struct headless *hl, FILE *f)
{
	fprintf(f, "VMState=\"running\"\n");
}

void
headless_state_changed(struct headless *hl)
{
}

/* the phase cycles with the requests, so both paths of the gate run */
static unsigned fuzz_phase;

enum hl_phase
hl_state_phase(struct headless *hl)
{
	return fuzz_phase++ % 4 ? HL_PHASE_RUNNING : HL_PHASE_SAVING;
}

void
hl_state_request(struct headless *hl, int fd)
{
	dprintf(fd, "ok\n");
}

void
hl_teleport_request(struct headless *hl, int fd, char **f)
{
	(void)f;
	dprintf(fd, "ok\n");
}

long
headless_now_ms(void)
{
	return 0; /* no deadline passes while one input is served */
}

enum vmm_state
vmm_get_state(const struct vmm *vm)
{
	return VMM_STATE_PAUSED;
}

void
vmm_display_refresh(struct vmm *vm)
{
}

int
vmm_pause(struct vmm *vm)
{
	return 0;
}

int
vmm_resume(struct vmm *vm)
{
	return 0;
}

int
vmm_reset(struct vmm *vm)
{
	return 0;
}

int
vmm_poweroff(struct vmm *vm)
{
	return 0;
}

int
vmm_power_button(struct vmm *vm)
{
	return -ENOTSUP;
}

/* The reply: data lines, then one final "ok" or "error ..." line. */
static void
check_reply(int fd)
{
	static char buf[65536];
	size_t n = 0;
	ssize_t r;
	char *line, *save = NULL, *last = NULL;
	int finals = 0;

	while (n < sizeof(buf) - 1 &&
	       (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	FUZZ_ASSERT(n > 0 && buf[n - 1] == '\n');
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(line, "ok") || !strncmp(line, "error ", 6))
			finals++;
		last = line;
	}
	FUZZ_ASSERT(finals == 1 && last &&
		    (!strcmp(last, "ok") || !strncmp(last, "error ", 6)));
}

/* Only errors: the log line of every request would swamp the output. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_LEVEL_ERR);
	return 0;
}

static struct hl_ctl_conn fuzz_conn;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct headless hl = {.heads = 1 + (size ? data[0] % 4 : 0)};
	int sv[2];

	fuzz_hl = &hl;
	if (size > 16384)
		return 0; /* more than a socket buffer; the line limit is 4 KiB
			   */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (size && write(sv[0], data, size) != (ssize_t)size)
		abort();
	shutdown(sv[0], SHUT_WR);
	/* the server's own reader: it serves a complete line, refuses a
	 * long or unfinished one, and closes the connection either way */
	fuzz_conn.fd = sv[1];
	fuzz_conn.len = 0;
	while (fuzz_conn.fd >= 0)
		hl_ctl_conn_read(&hl, &fuzz_conn);
	check_reply(sv[0]);
	close(sv[0]);
	return 0;
}
