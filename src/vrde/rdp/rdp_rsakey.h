/*
 * rdp_rsakey.h - the RSA key as FreeRDP 2's standard RDP security needs
 * it (rdp_rsakey.c says why).  No module state: the unit test links it.
 */
#ifndef VIREO_RDP_RSAKEY_H
#define VIREO_RDP_RSAKEY_H

#include <openssl/evp.h>

/** The same RSA key with a private exponent as long as the modulus.
 * @return 1 and *@out the new key (the caller frees it), 0 and *@out NULL
 * when @pkey needs no change or is not RSA, or -errno. */
int rdp_rsakey_full_d(EVP_PKEY *pkey, EVP_PKEY **out);

/** The key in the PEM file @path, lengthened as above.
 * @return 1 and *@pem a new PEM string (the caller frees it), 0 and *@pem
 * NULL when the file can serve as it is, or -errno. */
int rdp_rsakey_pem(const char *path, char **pem);

#endif
