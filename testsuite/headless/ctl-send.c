/*
 * ctl-send.c - send one request to a vireo-headless control socket and
 * print the answer (a test-suite client of the protocol in
 * conventions.md, independent of vireo-manage).
 *
 *   ctl-send SOCKET FIELD...   fields are joined with TABs
 * Exit status: 0 final line "ok", 1 "error ...", 2 no connection/answer.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char req[4200] = "", last[4200] = "";
	FILE *f;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: ctl-send SOCKET FIELD...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (strlen(req) + strlen(argv[i]) + 2 >= sizeof(req))
			return 2;
		strcat(req, argv[i]);
		strcat(req, i + 1 < argc ? "\t" : "\n");
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("ctl-send: connect");
		return 2;
	}
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		return 2;
	f = fdopen(fd, "r");
	while (f && fgets(last, sizeof(last), f))
		fputs(last, stdout);
	if (strcmp(last, "ok\n") == 0)
		return 0;
	return strncmp(last, "error ", 6) == 0 ? 1 : 2;
}
