/*
 * serial.c - the host side of the guest's serial ports: the output
 * ring, its readers, the input, the thread, start and stop.  The host
 * modes (RawFile, TCP server/client, HostPipe server/client as unix
 * sockets) are in serial_modes.c, the console socket `vireo-manage
 * console` attaches to in serial_console.c.  COM1's Logs/serial.log is
 * written by the VMM itself and does not depend on anything here.
 *
 * One thread serves every port.  Output: the VMM hands each byte run
 * the guest transmits to hl_serial_tx() on a vCPU thread, which copies it
 * into the port's ring (SERIAL_RING bytes) and wakes the thread; every
 * reader (the host-mode connection or file, each console) has its own
 * position in the ring, so several consoles see the same output and a
 * reader that does not keep up loses the oldest bytes (logged) instead
 * of stalling the guest or the other readers.
 *
 * Input: one source at a time types into a port, the oldest of its
 * host-mode connection and the consoles attached without "watch"; the
 * others' bytes are read and dropped.  When the source leaves, the next
 * oldest takes over.  Input is read only as fast as the guest empties
 * its receive FIFO (vmm_uart_receive, rx_room), at most SERIAL_IN_MAX
 * bytes ahead, so nothing typed is lost and nothing piles up here.
 */
#define LOG_TAG "serial"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "consoleproto.h"
#include "headless.h"
#include "log.h"
#include "serial.h"

struct hl_serial_state hl_ser = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake_fd = -1,
    .con_fd = -1,
    .dir_fd = -1,
};

static void
hl_serial_wake(void)
{
	uint64_t one = 1;

	if (write(hl_ser.wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("cannot wake the serial thread: %s", strerror(errno));
}

/* vCPU thread, the VMM's serial lock held: never blocks. */
static void
hl_serial_tx(void *ctx, uint32_t port, const uint8_t *buf, size_t len)
{
	struct hl_serial_port *p = &hl_ser.port[port];
	bool wake = false;

	(void)ctx;
	if (port >= VMM_MAX_UARTS)
		return;
	pthread_mutex_lock(&hl_ser.lock);
	if (p->readers && p->ring) {
		for (size_t i = 0; i < len; i++)
			p->ring[(p->head + i) % SERIAL_RING] = buf[i];
		p->head += len;
		wake = true;
	}
	pthread_mutex_unlock(&hl_ser.lock);
	if (wake)
		hl_serial_wake();
}

static void
hl_serial_rx_room(void *ctx, uint32_t port)
{
	(void)ctx;
	if (port >= VMM_MAX_UARTS)
		return;
	atomic_store(&hl_ser.port[port].rx_room, true);
	hl_serial_wake();
}

static const struct vmm_uart_host_ops hl_serial_host_ops = {
    .tx = hl_serial_tx,
    .rx_room = hl_serial_rx_room,
};

/* ---- readers ----------------------------------------------------------- */

void
hl_serial_reader_attach(struct hl_serial_port *p, struct hl_serial_reader *r,
			int fd)
{
	pthread_mutex_lock(&hl_ser.lock);
	r->fd = fd;
	r->pos = p->head;
	r->lost = 0;
	r->seq = ++hl_ser.seq;
	p->readers++;
	pthread_mutex_unlock(&hl_ser.lock);
}

void
hl_serial_reader_detach(struct hl_serial_port *p, struct hl_serial_reader *r)
{
	if (r->fd < 0)
		return;
	pthread_mutex_lock(&hl_ser.lock);
	p->readers--;
	pthread_mutex_unlock(&hl_ser.lock);
	close(r->fd);
	r->fd = -1;
}

/* Copy the next run of output for @r into @buf.  @return its length. */
static size_t
hl_serial_reader_next(struct hl_serial_port *p, struct hl_serial_reader *r,
		      uint8_t *buf)
{
	uint64_t avail;
	size_t n, off;

	pthread_mutex_lock(&hl_ser.lock);
	avail = p->head - r->pos;
	if (avail > SERIAL_RING) {
		r->lost += avail - SERIAL_RING;
		r->pos = p->head - SERIAL_RING;
		avail = SERIAL_RING;
	}
	off = (size_t)(r->pos % SERIAL_RING);
	n = avail < SERIAL_CHUNK ? (size_t)avail : SERIAL_CHUNK;
	if (n > SERIAL_RING - off)
		n = SERIAL_RING - off;
	memcpy(buf, p->ring + off, n);
	pthread_mutex_unlock(&hl_ser.lock);
	return n;
}

static bool
hl_serial_reader_pending(struct hl_serial_port *p,
			 const struct hl_serial_reader *r)
{
	bool pending;

	pthread_mutex_lock(&hl_ser.lock);
	pending = r->fd >= 0 && p->head != r->pos;
	pthread_mutex_unlock(&hl_ser.lock);
	return pending;
}

/* Write what @r has not seen yet, as far as its fd takes it.  @return 0,
 * or -errno when the reader is gone. */
static int
hl_serial_reader_flush(struct hl_serial_port *p, struct hl_serial_reader *r,
		       const char *who)
{
	uint8_t buf[SERIAL_CHUNK];

	for (int i = 0; i < 16 && r->fd >= 0; i++) {
		size_t n = hl_serial_reader_next(p, r, buf);
		ssize_t w;

		if (r->lost) {
			log_warn("%s: %s did not keep up; %llu bytes of "
				 "output dropped for it",
				 p->name, who, (unsigned long long)r->lost);
			r->lost = 0;
		}
		if (!n)
			return 0;
		w = write(r->fd, buf, n);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (w < 0)
			return -errno;
		r->pos += (uint64_t)w;
		if ((size_t)w < n)
			return 0;
	}
	return 0;
}

/* ---- input -------------------------------------------------------------- */

/* The reader whose bytes go to the guest on @p, or NULL. */
struct hl_serial_reader *
hl_serial_input_owner(struct hl_serial_port *p)
{
	struct hl_serial_reader *best = NULL;
	uint32_t idx = (uint32_t)(p - hl_ser.port);

	if (p->peer.fd >= 0 && !p->peer_is_file)
		best = &p->peer;
	for (int i = 0; i < SERIAL_CONSOLES; i++) {
		struct hl_serial_console *c = &hl_ser.con[i];

		if (c->state != SERIAL_CON_ATTACHED || c->port != idx ||
		    c->watch)
			continue;
		if (!best || c->r.seq < best->seq)
			best = &c->r;
	}
	return best;
}

static void
hl_serial_feed(struct hl_serial_port *p)
{
	int n;

	if (!p->in_len || p->rx_blocked)
		return;
	n = vmm_uart_receive(hl_ser.hl->vm, (uint32_t)(p - hl_ser.port), p->in,
			     p->in_len);
	if (n < 0) {
		p->in_len = 0;
		return;
	}
	memmove(p->in, p->in + n, p->in_len - (size_t)n);
	p->in_len -= (size_t)n;
	if (p->in_len)
		p->rx_blocked = true; /* until the guest makes room */
}

void
hl_serial_take_input(struct hl_serial_port *p, const uint8_t *buf, size_t n)
{
	size_t room = SERIAL_IN_MAX - p->in_len;

	if (n > room)
		n = room; /* cannot happen: reads are sized to the room */
	memcpy(p->in + p->in_len, buf, n);
	p->in_len += n;
	hl_serial_feed(p);
}

/* Is @r allowed to read now?  The owner only while there is room. */
static bool
hl_serial_may_read(struct hl_serial_port *p, struct hl_serial_reader *r)
{
	return r != hl_serial_input_owner(p) ||
	       (!p->rx_blocked && p->in_len < SERIAL_IN_MAX);
}

/* Read from @r (poll said @revents): the owner's bytes go to the guest,
 * anyone else's are dropped.  @return 0, or -1 when the reader hung up. */
static int
hl_serial_read_from(struct hl_serial_port *p, struct hl_serial_reader *r,
		    short revents)
{
	uint8_t buf[SERIAL_IN_MAX];
	bool owner = r == hl_serial_input_owner(p);
	size_t want = owner ? SERIAL_IN_MAX - p->in_len : sizeof(buf);
	ssize_t got;

	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	if (!want || (owner && p->rx_blocked))
		/* not reading now; a hang-up still ends the reader */
		return revents & (POLLHUP | POLLERR) && !(revents & POLLIN) ? -1
									    : 0;
	got = read(r->fd, buf, want);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (got <= 0)
		return -1;
	if (owner)
		hl_serial_take_input(p, buf, (size_t)got);
	return 0;
}

/* ---- the thread -------------------------------------------------------- */

enum hl_serial_slot_kind {
	SLOT_WAKE,
	SLOT_CON,
	SLOT_LISTEN,
	SLOT_PEER,
	SLOT_C
};

struct hl_serial_slot {
	enum hl_serial_slot_kind kind;
	int index;
};

#define SERIAL_POLL_MAX (2 + 2 * VMM_MAX_UARTS + SERIAL_CONSOLES)

static short
hl_serial_reader_events(struct hl_serial_port *p, struct hl_serial_reader *r)
{
	return (short)((hl_serial_may_read(p, r) ? POLLIN : 0) |
		       (hl_serial_reader_pending(p, r) ? POLLOUT : 0));
}

static int
hl_serial_build_poll(struct pollfd *pf, struct hl_serial_slot *sl)
{
	int n = 0;

	pf[n] = (struct pollfd){.fd = hl_ser.wake_fd, .events = POLLIN};
	sl[n++] = (struct hl_serial_slot){SLOT_WAKE, 0};
	pf[n] = (struct pollfd){.fd = hl_ser.con_fd, .events = POLLIN};
	sl[n++] = (struct hl_serial_slot){SLOT_CON, 0};
	for (int i = 0; i < VMM_MAX_UARTS; i++) {
		struct hl_serial_port *p = &hl_ser.port[i];

		if (p->listen_fd >= 0) {
			pf[n] = (struct pollfd){.fd = p->listen_fd,
						.events = POLLIN};
			sl[n++] = (struct hl_serial_slot){SLOT_LISTEN, i};
		}
		if (p->peer.fd >= 0 && !p->peer_is_file) {
			pf[n] = (struct pollfd){
			    .fd = p->peer.fd,
			    .events = hl_serial_reader_events(p, &p->peer)};
			sl[n++] = (struct hl_serial_slot){SLOT_PEER, i};
		}
	}
	for (int i = 0; i < SERIAL_CONSOLES; i++) {
		struct hl_serial_console *c = &hl_ser.con[i];
		short ev = POLLIN;

		if (c->state == SERIAL_CON_FREE)
			continue;
		if (c->state == SERIAL_CON_ATTACHED)
			ev = hl_serial_reader_events(&hl_ser.port[c->port],
						     &c->r);
		pf[n] = (struct pollfd){.fd = c->r.fd, .events = ev};
		sl[n++] = (struct hl_serial_slot){SLOT_C, i};
	}
	return n;
}

static int
hl_serial_poll_timeout(void)
{
	long now = headless_now_ms(), wait = -1;

	for (int i = 0; i < SERIAL_CONSOLES; i++) {
		long d = hl_ser.con[i].deadline - now;

		if (hl_ser.con[i].state != SERIAL_CON_PENDING)
			continue;
		if (d <= 0)
			return 0;
		if (wait < 0 || d < wait)
			wait = d;
	}
	return (int)wait;
}

static void
hl_serial_handle(struct pollfd *pf, struct hl_serial_slot *sl)
{
	struct hl_serial_port *p;
	struct hl_serial_console *c;
	int err;

	switch (sl->kind) {
	case SLOT_CON:
		hl_serial_con_accept();
		break;
	case SLOT_LISTEN:
		hl_serial_accept_peer(&hl_ser.port[sl->index]);
		break;
	case SLOT_PEER:
		p = &hl_ser.port[sl->index];
		if (hl_serial_read_from(p, &p->peer, pf->revents) < 0)
			hl_serial_peer_gone(p, 0);
		else if ((pf->revents & POLLOUT) &&
			 (err =
			      hl_serial_reader_flush(p, &p->peer, "the peer")))
			hl_serial_peer_gone(p, err);
		break;
	case SLOT_C:
		c = &hl_ser.con[sl->index];
		if (c->state == SERIAL_CON_PENDING) {
			hl_serial_con_request(c);
			break;
		}
		p = &hl_ser.port[c->port];
		if (hl_serial_read_from(p, &c->r, pf->revents) < 0 ||
		    ((pf->revents & POLLOUT) &&
		     hl_serial_reader_flush(p, &c->r, "a console") < 0))
			hl_serial_con_close(c);
		break;
	default:
		break;
	}
}

/* Between polls: input the guest has room for, output to files. */
static void
hl_serial_service_ports(void)
{
	for (int i = 0; i < VMM_MAX_UARTS; i++) {
		struct hl_serial_port *p = &hl_ser.port[i];
		int err;

		if (atomic_exchange(&p->rx_room, false))
			p->rx_blocked = false;
		hl_serial_feed(p);
		if (p->peer_is_file && p->peer.fd >= 0 &&
		    (err = hl_serial_reader_flush(p, &p->peer, "the file"))) {
			log_err("%s: writing %s: %s; output to it stops",
				p->name, p->path, strerror(-err));
			hl_serial_reader_detach(p, &p->peer);
		}
	}
}

static void *
hl_serial_main(void *arg)
{
	struct pollfd pf[SERIAL_POLL_MAX];
	struct hl_serial_slot sl[SERIAL_POLL_MAX];
	uint64_t v;

	(void)arg;
	for (;;) {
		int n;

		hl_serial_service_ports();
		n = hl_serial_build_poll(pf, sl);
		if (poll(pf, (nfds_t)n, hl_serial_poll_timeout()) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (pf[0].revents && read(hl_ser.wake_fd, &v, sizeof(v)) < 0 &&
		    errno != EAGAIN)
			break;
		if (!__atomic_load_n(&hl_ser.running, __ATOMIC_ACQUIRE))
			break;
		for (int k = 1; k < n; k++)
			if (pf[k].revents)
				hl_serial_handle(&pf[k], &sl[k]);
		hl_serial_con_expire();
	}
	return NULL;
}

/* ---- start and stop -------------------------------------------------- */

int
hl_serial_vmm_config(struct headless *hl, struct vmm_config *cfg, char *err,
		     size_t errsize)
{
	for (uint32_t slot = 0; slot < SETTINGS_MAX_UARTS; slot++) {
		const struct settings_uart *u =
		    settings_machine_uart(hl->m, slot);
		struct vmm_uart_config *v;

		if (!u || !u->enabled)
			continue;
		if (slot >= VMM_MAX_UARTS) {
			log_warn("COM%u is enabled in %s but vireo has only "
				 "COM1 and COM2; ignored",
				 slot + 1, hl->m->path);
			continue;
		}
		if (u->io_base > 0xfff8 || u->irq > 15) {
			snprintf(err, errsize,
				 "%s: UART slot %u: bad I/O base "
				 "or IRQ",
				 hl->m->path, slot);
			return -EINVAL;
		}
		v = &cfg->uart[slot];
		v->enabled = true;
		v->io_base = (uint16_t)u->io_base;
		v->irq = (uint8_t)u->irq;
		v->type = u->type == SETTINGS_UART_16450   ? VMM_UART_16450
			  : u->type == SETTINGS_UART_16750 ? VMM_UART_16750
							   : VMM_UART_16550A;
	}
	return 0;
}

static void
hl_serial_port_init(struct hl_serial_port *p, uint32_t i)
{
	const struct settings_uart *u = settings_machine_uart(hl_ser.hl->m, i);

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "COM%u", i + 1);
	p->listen_fd = p->peer.fd = -1;
	atomic_init(&p->rx_room, false);
	p->present = vmm_uart_present(hl_ser.hl->vm, i);
	/* a port disabled in the settings (COM1 is always there) has no
	 * host mode, like VirtualBox's */
	if (!p->present || !u || !u->enabled)
		return;
	p->mode = u->mode;
	p->server = u->server;
	snprintf(p->path, sizeof(p->path), "%s", u->path);
}

int
hl_serial_start(struct headless *hl, char *errbuf, size_t size)
{
	int rc;

	hl_ser.hl = hl;
	hl_ser.started = true;
	for (uint32_t i = 0; i < VMM_MAX_UARTS; i++)
		hl_serial_port_init(&hl_ser.port[i], i);
	for (int i = 0; i < SERIAL_CONSOLES; i++)
		hl_ser.con[i] = (struct hl_serial_console){.r.fd = -1};
	hl_ser.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (hl_ser.wake_fd < 0) {
		snprintf(errbuf, size, "eventfd: %s", strerror(errno));
		return -errno;
	}
	for (uint32_t i = 0; i < VMM_MAX_UARTS; i++) {
		struct hl_serial_port *p = &hl_ser.port[i];

		if (!p->present)
			continue;
		p->ring = malloc(SERIAL_RING);
		if (!p->ring) {
			snprintf(errbuf, size, "out of memory");
			return -ENOMEM;
		}
		if ((rc = hl_serial_open_mode(p, errbuf, size)) < 0)
			return rc;
	}
	if ((rc = hl_serial_console_socket(errbuf, size)) < 0)
		return rc;
	vmm_set_uart_host(hl->vm, &hl_serial_host_ops, NULL);
	hl_ser.running = true;
	rc = -pthread_create(&hl_ser.thread, NULL, hl_serial_main, NULL);
	if (rc) {
		hl_ser.running = false;
		snprintf(errbuf, size, "cannot start the serial thread: %s",
			 strerror(-rc));
		return rc;
	}
	log_info("console socket %s", hl_ser.con_path);
	return 0;
}

void
hl_serial_stop(struct headless *hl)
{
	if (!hl_ser.started)
		return;
	/* after this no vCPU is inside hl_serial_tx() */
	if (hl->vm)
		vmm_set_uart_host(hl->vm, NULL, NULL);
	if (hl_ser.running) {
		__atomic_store_n(&hl_ser.running, false, __ATOMIC_RELEASE);
		hl_serial_wake();
		pthread_join(hl_ser.thread, NULL);
	}
	for (int i = 0; i < SERIAL_CONSOLES; i++)
		if (hl_ser.con[i].state != SERIAL_CON_FREE)
			hl_serial_con_close(&hl_ser.con[i]);
	for (int i = 0; i < VMM_MAX_UARTS; i++) {
		struct hl_serial_port *p = &hl_ser.port[i];

		if (p->peer.fd >= 0)
			hl_serial_reader_detach(p, &p->peer);
		if (p->listen_fd >= 0)
			close(p->listen_fd);
		p->listen_fd = -1;
		if (p->sock_path[0])
			unlink(p->sock_path);
		p->sock_path[0] = '\0';
		free(p->ring);
		p->ring = NULL;
	}
	if (hl_ser.con_path[0])
		unlink(hl_ser.con_path);
	hl_ser.con_path[0] = '\0';
	if (hl_ser.con_fd >= 0)
		close(hl_ser.con_fd);
	if (hl_ser.dir_fd >= 0)
		close(hl_ser.dir_fd);
	if (hl_ser.wake_fd >= 0)
		close(hl_ser.wake_fd);
	hl_ser.con_fd = hl_ser.dir_fd = hl_ser.wake_fd = -1;
}
