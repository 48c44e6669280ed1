/*
 * auth_pam.c - vireo-auth-pam.so: check a client's user name and password
 * with PAM (pam_authenticate, then pam_acct_mgmt).
 *
 * The PAM service is $VIREO_AUTH_PAM_SERVICE, else "login", as VirtualBox's
 * VBoxAuthPAM does with its own variable.  The conversation answers
 * echo-off prompts with the password and echo-on prompts with the user
 * name.  vireo-headless runs this in a helper process, so a PAM module
 * that blocks or crashes only denies this one logon.
 */
#include <stdlib.h>
#include <string.h>
#include <security/pam_appl.h>

#include "vireo-auth.h"

struct auth_pam_creds {
	const char *user;
	const char *password;
};

static char *
auth_pam_answer(const struct auth_pam_creds *c, int style)
{
	switch (style) {
	case PAM_PROMPT_ECHO_OFF:
		return strdup(c->password ? c->password : "");
	case PAM_PROMPT_ECHO_ON:
		return strdup(c->user ? c->user : "");
	default: /* PAM_ERROR_MSG, PAM_TEXT_INFO: nothing to answer */
		return NULL;
	}
}

static int
auth_pam_conv(int n, const struct pam_message **msg, struct pam_response **resp,
	      void *data)
{
	struct pam_response *r;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++)
		r[i].resp = auth_pam_answer(data, msg[i]->msg_style);
	*resp = r;
	return PAM_SUCCESS;
}

int
vireo_auth_entry(const struct vireo_auth_request *req)
{
	struct auth_pam_creds creds;
	struct pam_conv conv = {auth_pam_conv, &creds};
	const char *service = getenv("VIREO_AUTH_PAM_SERVICE");
	pam_handle_t *h = NULL;
	int rc;

	if (!req || req->version != VIREO_AUTH_ABI_VERSION || !req->logon ||
	    !req->user || !req->user[0] || !req->password)
		return VIREO_AUTH_DENIED;
	if (!service || !service[0])
		service = "login";
	creds.user = req->user;
	creds.password = req->password;
	if (pam_start(service, req->user, &conv, &h) != PAM_SUCCESS)
		return VIREO_AUTH_DENIED;
	rc = pam_authenticate(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(h, PAM_SILENT);
	pam_end(h, rc);
	return rc == PAM_SUCCESS ? VIREO_AUTH_GRANTED : VIREO_AUTH_DENIED;
}
