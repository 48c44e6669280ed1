/*
 * main.c - vireo-manage: VBoxManage's subcommands and option names for
 * vireo's settings files (vireo-manage(1)).  Dispatch, messages and the
 * shared helpers: option scanning, value checks, VM lookup.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "manage.h"
#include "portlist.h"

static const struct manage_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
} manage_cmds[] = {
    {"createvm", cmd_createvm},
    {"registervm", cmd_registervm},
    {"unregistervm", cmd_unregistervm},
    {"list", cmd_list},
    {"modifyvm", cmd_modifyvm},
    {"setextradata", cmd_setextradata},
    {"getextradata", cmd_getextradata},
    {"setproperty", cmd_setproperty},
    {"showvminfo", cmd_showvminfo},
    {"internalcommands", cmd_internalcommands},
    {"createmedium", cmd_createmedium},
    {"createhd", cmd_createmedium},
    {"storagectl", cmd_storagectl},
    {"storageattach", cmd_storageattach},
    {"controlvm", cmd_controlvm},
    {"startvm", cmd_startvm},
    {"discardstate", cmd_discardstate},
    {"adoptstate", cmd_adoptstate},
    {"console", cmd_console},
    {"usbfilter", cmd_usbfilter},
};

/* One error line on stderr, then @tail. */
static void __attribute__((format(printf, 2, 0)))
manage_verror(const char *tail, const char *fmt, va_list ap)
{
	fputs("vireo-manage: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(tail, stderr);
}

void
manage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	manage_verror("\n", fmt, ap);
	va_end(ap);
}

int
manage_syntax(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	manage_verror("\nSee 'man vireo-manage' for the syntax.\n", fmt, ap);
	va_end(ap);
	return MANAGE_SYNTAX;
}

void
manage_scan_init(struct manage_scan *s, int argc, char **argv)
{
	s->argc = argc;
	s->argv = argv;
	s->i = 0;
	s->index = 0;
	s->arg = NULL;
	s->pos = NULL;
	s->max_pos = -1;
	s->npos = 0;
}

void
manage_scan_args(struct manage_scan *s, int argc, char **argv, const char **pos,
		 int max)
{
	manage_scan_init(s, argc, argv);
	s->pos = pos;
	s->max_pos = max;
}

/* Does @word (up to @len) spell @name, with digits after it when the
 * option is numbered? */
static bool
manage_opt_match(const char *word, size_t len, const char *name, bool numbered,
		 int *index)
{
	size_t nl = strlen(name);

	if (!name || len < nl || strncmp(word, name, nl) != 0)
		return false;
	if (!numbered)
		return len == nl;
	if (len == nl || len > nl + 2)
		return false;
	for (size_t k = nl; k < len; k++)
		if (word[k] < '0' || word[k] > '9')
			return false;
	*index = atoi(word + nl);
	return true;
}

int
manage_scan_next(struct manage_scan *s, const struct manage_opt *opts)
{
	const char *w, *eq;
	size_t len;

	if (s->i >= s->argc)
		return MANAGE_END;
	w = s->argv[s->i++];
	if ((w[0] != '-' || w[1] == '\0') && s->max_pos < 0) {
		s->arg = w;
		return MANAGE_POSITIONAL;
	}
	if (w[0] != '-' || w[1] == '\0') {
		if (s->npos == s->max_pos) {
			manage_syntax("unexpected argument: %s", w);
			return MANAGE_BAD;
		}
		s->pos[s->npos++] = w;
		return manage_scan_next(s, opts);
	}
	eq = strchr(w, '=');
	len = eq ? (size_t)(eq - w) : strlen(w);
	for (const struct manage_opt *o = opts; o->name; o++) {
		if (!manage_opt_match(w, len, o->name, o->numbered,
				      &s->index) &&
		    !(o->alias && manage_opt_match(w, len, o->alias,
						   o->numbered, &s->index)))
			continue;
		if (!o->has_arg) {
			if (eq) {
				manage_syntax("option %.*s takes no value",
					      (int)len, w);
				return MANAGE_BAD;
			}
			return o->id;
		}
		if (eq) {
			s->arg = eq + 1;
		} else if (s->i < s->argc) {
			s->arg = s->argv[s->i++];
		} else {
			manage_syntax("option %s needs a value", w);
			return MANAGE_BAD;
		}
		return o->id;
	}
	manage_syntax("unknown option: %s", w);
	return MANAGE_BAD;
}

int
manage_parse_onoff(const char *s, bool *out)
{
	if (!strcasecmp(s, "on") || !strcasecmp(s, "true") ||
	    !strcasecmp(s, "yes") || !strcmp(s, "1")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(s, "off") || !strcasecmp(s, "false") ||
	    !strcasecmp(s, "no") || !strcmp(s, "0")) {
		*out = false;
		return 0;
	}
	return -1;
}

int
manage_parse_uint(const char *s, unsigned long lo, unsigned long hi,
		  unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int
manage_check_ports(const char *s, const char **normalised)
{
	if (!portlist_valid(s))
		return -1;
	*normalised = portlist_is_default(s) ? "0" : s;
	return 0;
}

/* A settings call's result @rc as an exit code; its message on stderr. */
static int
manage_settings_result(int rc, const struct settings_error *err)
{
	if (!rc)
		return MANAGE_OK;
	manage_error("%s", err->msg);
	return MANAGE_FAIL;
}

int
manage_open_registry(bool locked, struct settings_registry **r)
{
	struct settings_error err = {{0}};
	int rc = locked ? settings_registry_open_locked(r, &err)
			: settings_registry_open(r, &err);

	return manage_settings_result(rc, &err);
}

int
manage_save_registry(struct settings_registry *r)
{
	struct settings_error err = {{0}};

	return manage_settings_result(settings_registry_save(r, &err), &err);
}

int
manage_open_vm(const char *vm, bool locked, struct settings_machine **m)
{
	struct settings_registry *r;
	struct settings_error err = {{0}};
	char *path = NULL;
	int rc;

	*m = NULL;
	if (manage_open_registry(false, &r))
		return MANAGE_FAIL;
	rc = settings_registry_find(r, vm, &path);
	settings_registry_free(r);
	if (rc && strchr(vm, '/') && access(vm, F_OK) == 0) {
		path = strdup(vm); /* a settings file named directly */
		rc = path ? 0 : -ENOMEM;
	}
	if (rc) {
		manage_error("Could not find a registered machine named '%s'",
			     vm);
		return MANAGE_FAIL;
	}
	rc = locked ? settings_machine_load_locked(path, m, &err)
		    : settings_machine_load(path, m, &err);
	free(path);
	return manage_settings_result(rc, &err);
}

int
manage_save_vm(struct settings_machine *m)
{
	struct settings_error err = {{0}};

	return manage_settings_result(settings_machine_save(m, &err), &err);
}

static void
manage_usage(FILE *f)
{
	fputs("Usage: vireo-manage <command> [options]\n"
	      "Commands (VBoxManage's names and options):\n",
	      f);
	for (size_t i = 0; i < sizeof(manage_cmds) / sizeof(*manage_cmds); i++)
		fprintf(f, "  %s\n", manage_cmds[i].name);
	fputs("See vireo-manage(1).\n", f);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		manage_usage(stderr);
		return MANAGE_SYNTAX;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		manage_usage(stdout);
		return MANAGE_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v")) {
		puts(PACKAGE_VERSION);
		return MANAGE_OK;
	}
	for (size_t i = 0; i < sizeof(manage_cmds) / sizeof(*manage_cmds); i++)
		if (strcmp(argv[1], manage_cmds[i].name) == 0)
			return manage_cmds[i].fn(argc - 2, argv + 2);
	return manage_syntax("unknown command: %s", argv[1]);
}
