/*
 * serial.h - what the parts of the serial ports' host side share
 * (serial.c: the ring, the readers, the input and the thread;
 * serial_modes.c: VirtualBox's host modes; serial_console.c: the console
 * socket).  Everything runs on the serial thread except hl_serial_tx(),
 * which the vCPU threads call; hl_ser.lock guards what both touch.
 */
#ifndef VIREO_HEADLESS_SERIAL_H
#define VIREO_HEADLESS_SERIAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include "consoleproto.h"
#include "headless.h"

#define SERIAL_RING	  65536 /* output kept per port for readers */
#define SERIAL_IN_MAX	  256	/* input read ahead of the guest */
#define SERIAL_CONSOLES	  8	/* attached consoles, all ports */
#define SERIAL_REQ_MS	  5000	/* for a console's request line */
#define SERIAL_CHUNK	  4096
#define SERIAL_CONNECT_MS 5000 /* TCP client connect at start-up */
#define SERIAL_PATH_MAX	  256

/* Something that reads a port's output. */
struct hl_serial_reader {
	int fd; /* -1: none */
	uint64_t pos;
	uint64_t seq; /* attach order; the input goes to the lowest */
	uint64_t lost;
};

struct hl_serial_port {
	bool present;
	char name[8]; /* "COM1" */
	enum settings_uart_mode mode;
	bool server;
	char path[SERIAL_PATH_MAX];
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	struct hl_serial_reader peer; /* host-mode connection or file */
	bool peer_is_file;
	uint8_t *ring; /* under ser.lock with head and readers */
	uint64_t head;
	int readers;
	uint8_t in[SERIAL_IN_MAX];
	size_t in_len;
	bool rx_blocked;
	atomic_bool rx_room;
};

enum hl_serial_con_state {
	SERIAL_CON_FREE = 0,
	SERIAL_CON_PENDING, /* request line not yet complete */
	SERIAL_CON_ATTACHED,
};

struct hl_serial_console {
	enum hl_serial_con_state state;
	struct hl_serial_reader r;
	uint32_t port;
	bool watch;
	long deadline;
	size_t req_len;
	char req[CONSOLE_LINE_MAX];
};

struct hl_serial_state {
	struct headless *hl;
	struct hl_serial_port port[VMM_MAX_UARTS];
	struct hl_serial_console con[SERIAL_CONSOLES];
	pthread_mutex_t lock;
	int wake_fd, con_fd, dir_fd;
	char con_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	pthread_t thread;
	bool started, running;
	uint64_t seq;
};

extern struct hl_serial_state hl_ser;

/* serial.c */
void hl_serial_reader_attach(struct hl_serial_port *p,
			     struct hl_serial_reader *r, int fd);
void hl_serial_reader_detach(struct hl_serial_port *p,
			     struct hl_serial_reader *r);
/** The reader whose bytes go to the guest on @p, or NULL. */
struct hl_serial_reader *hl_serial_input_owner(struct hl_serial_port *p);
/** Bytes of the input owner for the guest (at most what fits). */
void hl_serial_take_input(struct hl_serial_port *p, const uint8_t *buf,
			  size_t n);

/* serial_modes.c: VirtualBox's host modes */
/** Open @p's host mode.  @return 0 or -errno with @err. */
int hl_serial_open_mode(struct hl_serial_port *p, char *err, size_t errlen);
void hl_serial_accept_peer(struct hl_serial_port *p);
void hl_serial_peer_gone(struct hl_serial_port *p, int err);

/* serial_console.c: the console socket */
int hl_serial_console_socket(char *err, size_t errlen);
void hl_serial_con_accept(void);
/** The pending console @c sent something: its request line. */
void hl_serial_con_request(struct hl_serial_console *c);
void hl_serial_con_close(struct hl_serial_console *c);
/** Refuse the consoles whose request line is overdue. */
void hl_serial_con_expire(void);

#endif /* VIREO_HEADLESS_SERIAL_H */
