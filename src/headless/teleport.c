/*
 * teleport.c - teleporting for vireo-headless (vireo-teleport(7)): the
 * target end (a VM with <Teleporter enabled="true"> waits for one at its
 * start) and the source end (the "teleport" control request).
 *
 * Transport: TCP, TLS 1.3 only.  The target presents the VM's
 * certificate (the one its RDP server serves, tlscert.c); the source
 * refuses any certificate whose SHA-256 fingerprint is not the one it was
 * given (--fingerprint), and without one says which fingerprint it saw
 * and stops before anything else is sent: trust on first use, made by
 * the operator.  Then each side proves it knows the teleporter password
 * with HMAC-SHA256, keyed by the stored "#SHA-512##" hash, over keying
 * material exported from this TLS session (RFC 8446 7.5): a proof is
 * worth nothing outside the session it was made in, and neither the
 * password nor its hash crosses the wire.  The target answers a wrong
 * proof after a random 0.5-1.5 s and logs it; the source checks the
 * target's proof too, so a target that does not know the password gets
 * no memory.  Messages: tpwire.h.
 *
 * Failure before the hand-over leaves the source running (resumed if the
 * stop-and-copy had paused it) and the target exits without having run
 * the guest.  The hand-over: the target, with everything loaded, says
 * DONE; the source says GO and from then on never resumes on its own;
 * the target starts the guest and says RUN; the source powers off
 * ("teleported").  If RUN does not come, the source stays paused and
 * says so (the guest may run on the target).
 */
#define LOG_TAG "teleport"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "headless.h"
#include "log.h"
#include "tpwire.h"
#include "util/tlscert.h"

#define TP_WAIT_DEFAULT_S   300	  /* VirtualBox's listen timeout */
#define TP_STALL_DEFAULT_MS 60000 /* no progress on the connection */
#define TP_DOWNTIME_DEFAULT 250	  /* ms, as VirtualBox */
#define TP_LABEL	    "EXPORTER-vireo-teleport-1"

/* ---- TLS as a state stream --------------------------------------------- */

struct tp_conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	struct vmm_state_io io;
	char peer[300];
};

static int
tp_ssl_err(struct tp_conn *c, int ret)
{
	int e = SSL_get_error(c->ssl, ret);

	if (e == SSL_ERROR_ZERO_RETURN)
		return -ENODATA;
	if (e == SSL_ERROR_SYSCALL)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT
		       : errno				       ? -errno
							       : -ECONNRESET;
	return -EPROTO;
}

static int
tp_write(void *ctx, const void *buf, size_t len)
{
	struct tp_conn *c = ctx;
	const uint8_t *p = buf;

	while (len) {
		int n =
		    SSL_write(c->ssl, p, len > INT_MAX ? INT_MAX : (int)len);

		if (n <= 0)
			return tp_ssl_err(c, n);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
tp_read(void *ctx, void *buf, size_t len)
{
	struct tp_conn *c = ctx;
	uint8_t *p = buf;
	size_t got = 0;

	while (got < len) {
		size_t want = len - got;
		int n = SSL_read(c->ssl, p + got,
				 want > INT_MAX ? INT_MAX : (int)want);

		if (n <= 0) {
			int r = tp_ssl_err(c, n);

			return r == -ENODATA && got ? -EPROTO : r;
		}
		got += (size_t)n;
	}
	return 0;
}

static void
tp_close(struct tp_conn *c)
{
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->ctx = NULL;
	c->fd = -1;
}

static void
tp_timeouts(int fd, long ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static SSL_CTX *
tp_ctx(bool server)
{
	SSL_CTX *ctx =
	    SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	if (!ctx)
		return NULL;
	/* TLS 1.3 and nothing else */
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* pinned instead */
	return ctx;
}

static const char *
tp_ssl_reason(void)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r ? r : "connection closed";
}

/* HMAC-SHA256(@hash, "vireo-teleport <role>" || exported key material) */
static int
tp_proof(struct tp_conn *c, const char *hash, const char *role,
	 uint8_t out[TPWIRE_PROOF])
{
	uint8_t ekm[32], msg[64 + sizeof(ekm)];
	unsigned int len = 0;
	int n = snprintf((char *)msg, 64, "vireo-teleport %s", role);

	if (SSL_export_keying_material(c->ssl, ekm, sizeof(ekm), TP_LABEL,
				       strlen(TP_LABEL), NULL, 0, 0) != 1)
		return -EPROTO;
	memcpy(msg + n, ekm, sizeof(ekm));
	if (!HMAC(EVP_sha256(), hash, (int)strlen(hash), msg,
		  (size_t)n + sizeof(ekm), out, &len) ||
	    len != TPWIRE_PROOF)
		return -EPROTO;
	OPENSSL_cleanse(ekm, sizeof(ekm));
	return 0;
}

/* ---- the target --------------------------------------------------------- */

static void
hl_tp_set_phase(struct headless *hl, enum hl_phase p)
{
	__atomic_store_n(&hl->phase, p, __ATOMIC_RELEASE);
	headless_state_changed(hl);
}

/* The VM's certificate: Security/ServerCertificate and ServerPrivateKey,
 * else the pair generated in the machine folder (made now if missing). */
static int
tp_target_cert(struct headless *hl, SSL_CTX *ctx, char *fp, size_t fplen,
	       char *err, size_t errlen)
{
	const char *cert =
	    settings_vrde_get_property(hl->m, "Security/ServerCertificate");
	const char *key =
	    settings_vrde_get_property(hl->m, "Security/ServerPrivateKey");
	char c[PATH_MAX], k[PATH_MAX];
	int rc;

	if (cert && *cert && key && *key) {
		snprintf(c, sizeof(c), "%s", cert);
		snprintf(k, sizeof(k), "%s", key);
	} else {
		snprintf(c, sizeof(c), "%s/%s", hl->m->folder,
			 TLSCERT_AUTO_CERT);
		snprintf(k, sizeof(k), "%s/%s", hl->m->folder,
			 TLSCERT_AUTO_KEY);
		if ((access(c, R_OK) || access(k, R_OK)) &&
		    (rc = tlscert_generate(c, k, hl->m->name))) {
			snprintf(err, errlen, "cannot create %.400s: %s", c,
				 strerror(-rc));
			return rc;
		}
	}
	if (SSL_CTX_use_certificate_file(ctx, c, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, k, SSL_FILETYPE_PEM) != 1 ||
	    tlscert_fingerprint(c, fp, fplen)) {
		snprintf(err, errlen, "cannot use the certificate %.400s: %s",
			 c, tp_ssl_reason());
		return -EINVAL;
	}
	return 0;
}

static int
tp_listen(const char *addr, uint32_t port, uint32_t *bound, char *err,
	  size_t errlen)
{
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
				 .ai_socktype = SOCK_STREAM},
			*res;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ps[16];
	int fd = -1, one = 1, r;

	snprintf(ps, sizeof(ps), "%u", port);
	r = getaddrinfo(addr && *addr ? addr : NULL, ps, &hints, &res);
	if (r) {
		snprintf(err, errlen, "teleporter address '%s': %s",
			 addr ? addr : "", gai_strerror(r));
		return -EINVAL;
	}
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 ||
		    listen(fd, 4) < 0) {
			r = -errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen,
			 "cannot listen for a teleported VM on %s port %u: %s",
			 addr && *addr ? addr : "every address", port,
			 strerror(r ? -r : EADDRNOTAVAIL));
		return r ? r : -EADDRNOTAVAIL;
	}
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*bound = ntohs(ss.ss_family == AF_INET6
			   ? ((struct sockaddr_in6 *)&ss)->sin6_port
			   : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static void
tp_peer_name(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char h[64] = "?", p[16] = "?";

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), p,
			    sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(buf, size, "%s:%s", h, p);
}

static long
tp_env_ms(const char *name, long def, long scale)
{
	const char *v = getenv(name);
	char *end;
	long x;

	if (!v || !*v)
		return def;
	x = strtol(v, &end, 10);
	return *end || x <= 0 ? def : x * scale;
}

/* Wait for one connection, a signal, or the timeout. */
static int
tp_accept(int lfd, int sigfd, long wait_ms, char *err, size_t errlen)
{
	struct pollfd p[2] = {{.fd = lfd, .events = POLLIN},
			      {.fd = sigfd, .events = POLLIN}};
	int n = poll(p, sigfd >= 0 ? 2 : 1,
		     wait_ms > INT_MAX ? INT_MAX : (int)wait_ms);

	if (n == 0) {
		snprintf(err, errlen, "no VM was teleported here within %ld s",
			 wait_ms / 1000);
		return -ETIMEDOUT;
	}
	if (n < 0 || (p[1].revents & POLLIN)) {
		snprintf(err, errlen,
			 "interrupted by a signal while waiting "
			 "for a teleported VM");
		return -EINTR;
	}
	n = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (n < 0) {
		snprintf(err, errlen, "accept: %s", strerror(errno));
		return -errno;
	}
	return n;
}

/* A wrong password is answered late, so that guessing is slow; a
 * signal does not cut the wait short. */
static void
tp_fail_delay(void)
{
	uint16_t r = 0;
	struct timespec until;

	RAND_bytes((unsigned char *)&r, sizeof(r));
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += (500 + r % 1000) * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) ==
	       EINTR)
		;
}

static int
tp_target_auth(struct tp_conn *c, const char *hash, char *err, size_t errlen)
{
	struct tpwire_msg *m = malloc(sizeof(*m));
	uint8_t want[TPWIRE_PROOF], mine[TPWIRE_PROOF],
	    ver[4] = {TPWIRE_VERSION};
	int r = m ? 0 : -ENOMEM;

	if (!r)
		r = tpwire_send(&c->io, "HELO", ver, sizeof(ver));
	if (!r)
		r = tpwire_expect(&c->io, m, "AUTH", TPWIRE_PROOF, TPWIRE_PROOF,
				  err, errlen);
	if (!r && (tp_proof(c, hash, "source", want) ||
		   tp_proof(c, hash, "target", mine)))
		r = -EPROTO;
	if (!r && CRYPTO_memcmp(want, m->data, TPWIRE_PROOF)) {
		log_warn("teleport from %s: wrong password", c->peer);
		tp_fail_delay();
		tpwire_nack(&c->io, "wrong teleporter password");
		snprintf(err, errlen, "%s sent a wrong password", c->peer);
		r = -EACCES;
	} else if (!r) {
		r = tpwire_send(&c->io, "AUTH", mine, sizeof(mine));
	}
	free(m);
	return r;
}

/* Everything after the password: CPU check, the state, the hand-over. */
static int
tp_target_receive(struct headless *hl, struct tp_conn *c, char *err,
		  size_t errlen)
{
	struct tpwire_msg *m = malloc(sizeof(*m));
	char why[512] = "";
	int r = m ? 0 : -ENOMEM;

	if (!r)
		r = tpwire_expect(&c->io, m, "CONF", 9, TPWIRE_MAX, err,
				  errlen);
	if (!r && (r = vmm_cpu_profile_check(hl->vm, m->data, m->len, why,
					     sizeof(why)))) {
		tpwire_nack(&c->io, why);
		snprintf(err, errlen, "refused: %s", why);
	}
	if (!r)
		r = tpwire_send(&c->io, "OK  ", NULL, 0);
	if (!r) {
		log_info("receiving the VM from %s", c->peer);
		r = vmm_restore_stream(hl->vm, &c->io, why, sizeof(why));
		if (r) {
			tpwire_nack(&c->io, why);
			snprintf(err, errlen, "the state from %s: %s", c->peer,
				 why);
		}
	}
	if (!r)
		r = tpwire_expect(&c->io, m, "CRC ", 5, 5, err, errlen);
	if (!r && m->data[0]) {
		uint32_t want = (uint32_t)m->data[1] |
				(uint32_t)m->data[2] << 8 |
				(uint32_t)m->data[3] << 16 |
				(uint32_t)m->data[4] << 24,
			 have = vmm_memory_crc(hl->vm);

		if (want != have) {
			snprintf(err, errlen,
				 "guest memory differs from the source's "
				 "(CRC %08x, source %08x)",
				 have, want);
			tpwire_nack(&c->io, err);
			r = -EIO;
		} else {
			log_info("guest memory verified identical to the "
				 "source's (CRC %08x)",
				 have);
		}
	}
	if (!r)
		r = tpwire_send(&c->io, "DONE", NULL, 0);
	/* GO: the source has let go; the guest is ours now */
	if (!r)
		r = tpwire_expect(&c->io, m, "GO  ", 0, 0, err, errlen);
	free(m);
	return r;
}

/* The connection stays open from the GO to the start (RUN). */
static struct tp_conn tp_target_held = {.fd = -1};

void
hl_teleport_target_started(struct headless *hl, int rc)
{
	struct tp_conn *c = &tp_target_held;

	if (!c->ssl)
		return;
	if (rc == 0 && tpwire_send(&c->io, "RUN ", NULL, 0))
		log_warn("could not confirm the start to %s", c->peer);
	if (rc)
		tpwire_nack(&c->io, "the target could not start the VM");
	tp_close(c);
	if (rc == 0)
		log_info("VM teleported here from %s; running", c->peer);
	hl_tp_set_phase(hl, HL_PHASE_RUNNING);
}

bool
hl_teleport_target_wanted(struct headless *hl)
{
	struct settings_teleporter t;
	bool on = settings_machine_teleporter(hl->m, &t) == 0 && t.enabled;

	settings_teleporter_free(&t);
	return on;
}

static int
tp_target_conn(struct headless *hl, struct tp_conn *c, int lfd, int sigfd,
	       const char *hash, char *err, size_t errlen)
{
	long wait = tp_env_ms("VIREO_TELEPORTER_TIMEOUT",
			      TP_WAIT_DEFAULT_S * 1000L, 1000);
	int r;

	c->fd = tp_accept(lfd, sigfd, wait, err, errlen);
	if (c->fd < 0)
		return c->fd;
	tp_peer_name(c->fd, c->peer, sizeof(c->peer));
	log_info("teleport connection from %s", c->peer);
	tp_timeouts(c->fd, TP_STALL_DEFAULT_MS);
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_accept(c->ssl) != 1) {
		snprintf(err, errlen, "TLS with %s failed: %s", c->peer,
			 tp_ssl_reason());
		return -EPROTO;
	}
	r = tp_target_auth(c, hash, err, errlen);
	return r ? r : tp_target_receive(hl, c, err, errlen);
}

int
hl_teleport_target(struct headless *hl, int sigfd, char *err, size_t errlen)
{
	struct settings_teleporter t;
	struct tp_conn c = {.fd = -1};
	char fp[128] = "", why[512] = "";
	int lfd = -1, r;

	c.io = (struct vmm_state_io){tp_write, tp_read, &c};
	r = settings_machine_teleporter(hl->m, &t);
	if (!r && !t.password[0]) {
		snprintf(why, sizeof(why),
			 "the teleporter has no password (vireo-manage "
			 "modifyvm %s --teleporter-password-file FILE)",
			 hl->m->name);
		r = -EINVAL;
	}
	c.ctx = r ? NULL : tp_ctx(true);
	if (!r && !c.ctx)
		r = -ENOMEM;
	if (!r)
		r = tp_target_cert(hl, c.ctx, fp, sizeof(fp), why, sizeof(why));
	if (!r) {
		lfd = tp_listen(t.address, t.port, &hl->tp_port, why,
				sizeof(why));
		r = lfd < 0 ? lfd : 0;
	}
	if (!r) {
		snprintf(hl->tp_fingerprint, sizeof(hl->tp_fingerprint), "%s",
			 fp);
		hl_tp_set_phase(hl, HL_PHASE_TELEPORTING_IN);
		log_info("waiting for a teleported VM on %s port %u "
			 "(certificate %s)",
			 *t.address ? t.address : "every address", hl->tp_port,
			 fp);
		printf("Waiting for incoming VM on port %u (certificate "
		       "%s)...\n",
		       hl->tp_port, fp);
		fflush(stdout);
		r = tp_target_conn(hl, &c, lfd, sigfd, t.password, why,
				   sizeof(why));
	}
	if (lfd >= 0)
		close(lfd);
	settings_teleporter_free(&t);
	if (r) {
		tp_close(&c);
		snprintf(err, errlen,
			 "teleport failed: %s; the VM was not started",
			 why[0] ? why : strerror(-r));
		return r;
	}
	tp_target_held = c;
	tp_target_held.io.ctx = &tp_target_held;
	return 0;
}

/* ---- the source --------------------------------------------------------- */

struct tp_job {
	struct headless *hl;
	int fd; /* the request's connection */
	char host[256], pin[128], hash[SETTINGS_TP_HASH_LEN + 1];
	uint32_t port, max_ms;
	long timeout_ms;
};

static int
tp_connect(const char *host, uint32_t port, long ms, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV},
			*res;
	char ps[16];
	int fd = -1, r, e = ECONNREFUSED;

	snprintf(ps, sizeof(ps), "%u", port);
	r = getaddrinfo(host, ps, &hints, &res);
	if (r) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(r));
		return -EHOSTUNREACH;
	}
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		struct pollfd p;
		socklen_t sl = sizeof(e);

		fd = socket(a->ai_family,
			    a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		p = (struct pollfd){.fd = fd, .events = POLLOUT};
		if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 &&
		    errno != EINPROGRESS)
			e = errno;
		else if (poll(&p, 1, (int)ms) != 1)
			e = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) < 0 ||
			 e == 0)
			e = 0;
		if (e) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "cannot connect to %s port %u: %s", host,
			 port, strerror(e));
		return -e;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* The target's certificate must be the pinned one; with no pin, say
 * which it is and stop (the operator decides to trust it). */
static int
tp_check_pin(struct tp_conn *c, const char *pin, char *err, size_t errlen)
{
	X509 *x = SSL_get1_peer_certificate(c->ssl);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char fp[3 * EVP_MAX_MD_SIZE + 8];
	size_t o;

	if (!x || !X509_digest(x, EVP_sha256(), md, &len)) {
		X509_free(x);
		snprintf(err, errlen, "the target presented no certificate");
		return -EPROTO;
	}
	X509_free(x);
	o = (size_t)snprintf(fp, sizeof(fp), "SHA256:");
	for (unsigned i = 0; i < len; i++)
		o += (size_t)snprintf(fp + o, sizeof(fp) - o, "%s%02X",
				      i ? ":" : "", md[i]);
	if (!strcmp(pin, "-")) {
		snprintf(err, errlen,
			 "the target's certificate is %s; compare it with "
			 "teleporterfingerprint in the target's showvminfo "
			 "and pass --fingerprint %s to trust it",
			 fp, fp);
		return -EPERM;
	}
	if (strcasecmp(pin, fp)) {
		snprintf(err, errlen,
			 "the target's certificate is %s, not the pinned %s: "
			 "refusing to send the VM",
			 fp, pin);
		return -EPERM;
	}
	return 0;
}

static int
tp_source_hello(struct tp_job *j, struct tp_conn *c, struct tpwire_msg *m,
		char *err, size_t errlen)
{
	uint8_t proof[TPWIRE_PROOF], want[TPWIRE_PROOF];
	uint8_t *prof = malloc(VMM_CPU_PROFILE_MAX);
	size_t n;
	int r = prof ? 0 : -ENOMEM;

	if (!r)
		r = tpwire_expect(&c->io, m, "HELO", 4, 4, err, errlen);
	if (!r && m->data[0] != TPWIRE_VERSION) {
		snprintf(err, errlen, "the target speaks version %u, not %u",
			 m->data[0], TPWIRE_VERSION);
		r = -EPROTO;
	}
	if (!r && (tp_proof(c, j->hash, "source", proof) ||
		   tp_proof(c, j->hash, "target", want)))
		r = -EPROTO;
	if (!r)
		r = tpwire_send(&c->io, "AUTH", proof, sizeof(proof));
	if (!r)
		r = tpwire_expect(&c->io, m, "AUTH", TPWIRE_PROOF, TPWIRE_PROOF,
				  err, errlen);
	if (!r && CRYPTO_memcmp(want, m->data, TPWIRE_PROOF)) {
		snprintf(err, errlen, "the target does not know the password");
		r = -EACCES;
	}
	n = r ? 0 : vmm_cpu_profile(j->hl->vm, prof, VMM_CPU_PROFILE_MAX);
	if (!r)
		r = tpwire_send(&c->io, "CONF", prof, n);
	if (!r)
		r = tpwire_expect(&c->io, m, "OK  ", 0, 0, err, errlen);
	free(prof);
	return r;
}

static int
tp_source_connect(struct tp_job *j, struct tp_conn *c, char *err, size_t errlen)
{
	c->fd = tp_connect(j->host, j->port, j->timeout_ms, err, errlen);
	if (c->fd < 0)
		return c->fd;
	snprintf(c->peer, sizeof(c->peer), "%s:%u", j->host, j->port);
	tp_timeouts(c->fd, j->timeout_ms);
	c->ctx = tp_ctx(false);
	c->ssl = c->ctx ? SSL_new(c->ctx) : NULL;
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_connect(c->ssl) != 1) {
		snprintf(err, errlen, "TLS with %s failed: %s", c->peer,
			 tp_ssl_reason());
		return -EPROTO;
	}
	return tp_check_pin(c, j->pin, err, errlen);
}

static uint64_t
tp_ms(uint64_t ns)
{
	return (ns + 500000) / 1000000;
}

/* The hand-over.  @return 0 when the target runs the guest, 1 when GO
 * went out but RUN did not come, <0 before GO. */
static int
tp_source_handover(struct tp_conn *c, struct tpwire_msg *m, char *err,
		   size_t errlen)
{
	int r = tpwire_expect(&c->io, m, "DONE", 0, 0, err, errlen);

	if (r) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen,
			 "the target did not confirm the state it was sent: %s",
			 why);
		return r;
	}
	r = tpwire_send(&c->io, "GO  ", NULL, 0);
	if (r) {
		snprintf(err, errlen, "the hand-over to %s failed: %s", c->peer,
			 strerror(-r));
		return r;
	}
	return tpwire_expect(&c->io, m, "RUN ", 0, 0, err, errlen) ? 1 : 0;
}

static int
tp_source(struct tp_job *j, char *err, size_t errlen)
{
	struct headless *hl = j->hl;
	struct tp_conn c = {.fd = -1};
	struct tpwire_msg *m = malloc(sizeof(*m));
	struct vmm_teleport_stats st;
	bool running = vmm_get_state(hl->vm) == VMM_STATE_RUNNING;
	bool sent = false;
	uint8_t crc[5] = {0};
	int r = m ? 0 : -ENOMEM;

	c.io = (struct vmm_state_io){tp_write, tp_read, &c};
	if (!r)
		r = tp_source_connect(j, &c, err, errlen);
	if (!r)
		r = tp_source_hello(j, &c, m, err, errlen);
	if (!r) {
		log_info("sending the VM to %s (downtime at most %u ms)",
			 c.peer, j->max_ms);
		r = vmm_teleport_send(hl->vm, &c.io, j->max_ms, &st, err,
				      errlen);
		if (r) {
			char why[512];

			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, errlen,
				 "sending the state to %s failed after %llu "
				 "bytes: %s",
				 c.peer, (unsigned long long)st.bytes, why);
		}
		/* on failure the VM runs again (vmm_teleport_send) */
		sent = r == 0;
		if (sent)
			hl_tp_set_phase(hl, HL_PHASE_TELEPORTING_PAUSED);
	}
	if (!r && getenv("VIREO_TELEPORT_VERIFY")) {
		uint32_t v = vmm_memory_crc(hl->vm);

		crc[0] = 1;
		for (int i = 0; i < 4; i++)
			crc[1 + i] = (uint8_t)(v >> (8 * i));
	}
	/* the stream can fit into the sockets' buffers: a target that died
	 * meanwhile shows first here */
	if (!r && (r = tpwire_send(&c.io, "CRC ", crc, sizeof(crc))))
		snprintf(err, errlen,
			 "sending the state to %s failed after %llu bytes: %s",
			 c.peer, (unsigned long long)st.bytes, strerror(-r));
	if (!r)
		r = tp_source_handover(&c, m, err, errlen);
	if (r == 0) {
		uint64_t now = vmm_now_ns();

		hl_ctl_printf(j->fd,
			      "live=%s\nrounds=%u\nbytes=%llu\nrate_mbs=%.0f\n"
			      "downtime_ms=%llu\ntotal_ms=%llu\n",
			      st.live ? "on" : "off", st.rounds,
			      (unsigned long long)st.bytes, st.rate_mbs,
			      (unsigned long long)tp_ms(now - st.paused_ns),
			      (unsigned long long)tp_ms(now - st.start_ns));
		log_info("VM teleported to %s: %llu bytes, %u pre-copy rounds, "
			 "downtime %llu ms, total %llu ms",
			 c.peer, (unsigned long long)st.bytes, st.rounds,
			 (unsigned long long)tp_ms(now - st.paused_ns),
			 (unsigned long long)tp_ms(now - st.start_ns));
	} else if (r == 1) {
		char why[512];

		snprintf(why, sizeof(why),
			 "the target did not confirm the hand-over (%s): the "
			 "VM may run there, so this one stays paused (check "
			 "the target, then resume or power off this one)",
			 err);
		snprintf(err, errlen, "%s", why);
	} else if (r < 0 && sent && running) {
		/* paused for the stop-and-copy, the hand-over failed */
		vmm_resume(hl->vm);
	}
	tp_close(&c);
	free(m);
	return r;
}

/* The source's remote display viewers lose their session when this
 * process stops its VRDE server (main's teardown, right after the
 * power-off): the RDP module tells each one the server ended it (Set
 * Error Info, vireo-teleport(7)).  Say here why, and where the VM went. */
static void
tp_source_viewers_note(struct headless *hl, const char *dest)
{
	int n = 0;

	pthread_mutex_lock(&hl->lock);
	for (int i = 0; i < HEADLESS_MAX_CLIENTS; i++)
		n += hl->clients[i].used && hl->clients[i].connected;
	pthread_mutex_unlock(&hl->lock);
	if (n)
		log_info("disconnecting %d remote display viewer%s: the VM "
			 "was teleported and now runs at %s (viewers connect "
			 "to that host's remote display)",
			 n, n == 1 ? "" : "s", dest);
}

static void *
tp_source_thread(void *arg)
{
	struct tp_job *j = arg;
	struct headless *hl = j->hl;
	char err[1024] = "";
	bool was_paused = vmm_get_state(hl->vm) == VMM_STATE_PAUSED;
	int r = tp_source(j, err, sizeof(err));

	OPENSSL_cleanse(j->hash, sizeof(j->hash));
	if (r) {
		log_err("teleport to %s port %u failed: %s; the VM %s", j->host,
			j->port, err,
			r == 1	     ? "stays paused"
			: was_paused ? "stays paused as it was"
				     : "runs on here");
		hl_tp_set_phase(hl, HL_PHASE_RUNNING);
		hl_ctl_printf(j->fd, "error teleport: %s\n", err);
	} else {
		/* from here on this process never runs the VM again */
		hl_tp_set_phase(hl, HL_PHASE_TELEPORTED);
		tp_source_viewers_note(hl, j->host);
		hl_ctl_printf(j->fd, "ok\n");
		vmm_poweroff(hl->vm);
	}
	close(j->fd);
	free(j);
	return NULL;
}

void
hl_teleport_request(struct headless *hl, int fd, char **f)
{
	struct tp_job *j;
	pthread_attr_t a;
	pthread_t t;
	enum vmm_state s = vmm_get_state(hl->vm);

	if (hl_state_phase(hl) != HL_PHASE_RUNNING ||
	    (s != VMM_STATE_RUNNING && s != VMM_STATE_PAUSED)) {
		hl_ctl_printf(fd, "error teleport: the VM is not running\n");
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j || (j->fd = dup(fd)) < 0) {
		hl_ctl_printf(fd, "error teleport: %s\n", strerror(errno));
		free(j);
		return;
	}
	j->hl = hl;
	snprintf(j->host, sizeof(j->host), "%s", f[1]);
	j->port = (uint32_t)strtoul(f[2], NULL, 10);
	snprintf(j->hash, sizeof(j->hash), "%s", f[3]);
	j->max_ms = (uint32_t)strtoul(f[4], NULL, 10);
	j->max_ms = j->max_ms ? j->max_ms : TP_DOWNTIME_DEFAULT;
	j->timeout_ms = strtol(f[5], NULL, 10);
	j->timeout_ms = j->timeout_ms ? j->timeout_ms : TP_STALL_DEFAULT_MS;
	snprintf(j->pin, sizeof(j->pin), "%s", f[6]);
	hl_tp_set_phase(hl, HL_PHASE_TELEPORTING);
	log_info("teleport to %s port %u requested through the control "
		 "socket",
		 j->host, j->port);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &a, tp_source_thread, j)) {
		hl_tp_set_phase(hl, HL_PHASE_RUNNING);
		hl_ctl_printf(fd, "error teleport: cannot start a thread\n");
		close(j->fd);
		free(j);
	}
	pthread_attr_destroy(&a);
}
