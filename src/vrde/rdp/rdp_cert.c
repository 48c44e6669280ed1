/*
 * rdp_cert.c - the RDP module's certificate: the VM's (vmod_cert.c:
 * configured, else generated once in the machine folder, else in a
 * private temporary directory), whose RSA key also serves standard RDP
 * security in the form FreeRDP 2 can use (rdp_rsakey.c).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rdp.h"
#include "rdp_rsakey.h"

void
rdp_cert_fini(struct rdp_server *srv)
{
	vmod_cert_fini(&srv->core.cert);
	free(srv->rdp_key_pem);
	srv->rdp_key_pem = NULL;
}

int
rdp_cert_setup(struct rdp_server *srv)
{
	char ca[4096];
	int rc;

	srv->core.cert.tmp_name = "vireo-rdp";
	rc = vmod_cert_setup(&srv->core.host, &srv->core.cert);
	if (rc < 0)
		return rc;
	rdp_prop(srv, "Security/CACertificate", ca, sizeof(ca));
	if (ca[0])
		rdp_info(srv,
			 "Security/CACertificate %s is not sent to clients "
			 "(FreeRDP 2 serves one certificate)",
			 ca);
	rc = rdp_rsakey_pem(srv->core.cert.key_file, &srv->rdp_key_pem);
	if (rc < 0) {
		rdp_err(srv, "cannot read the private key %s: %s",
			srv->core.cert.key_file,
			rc == -EINVAL ? "not a PEM private key"
				      : strerror(-rc));
		return rc;
	}
	if (rc == 1)
		rdp_info(srv,
			 "standard RDP security gets the key of %s with its "
			 "private exponent lengthened (FreeRDP 2 misreads a "
			 "short one)",
			 srv->core.cert.key_file);
	rdp_info(srv, "TLS certificate fingerprint %s",
		 srv->core.cert.fingerprint);
	return 0;
}
