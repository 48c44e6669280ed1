/*
 * xml.c - libxml2 helpers for the settings files: namespace-blind lookups,
 * typed attribute reads that report bad values with file and line, and
 * inserts/removals that keep the surrounding indentation, so a rewritten
 * file differs from the original only where vireo changed something.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "settings_priv.h"

char *
settings_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

void
settings_error_set(struct settings_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
sx_fail(struct sx_ctx *c, xmlNodePtr node, int rc, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	if (c->rc)
		return; /* the first error is the one worth reporting */
	c->rc = rc;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (node)
		settings_error_set(c->err, "%s:%ld: %s", c->path,
				   xmlGetLineNo(node), what);
	else
		settings_error_set(c->err, "%s: %s", c->path, what);
}

static bool
sx_is(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)n->name, name) == 0;
}

/* @n or the first sibling after it named @name. */
static xmlNodePtr
sx_from(xmlNodePtr n, const char *name)
{
	while (n && !sx_is(n, name))
		n = n->next;
	return n;
}

xmlNodePtr
sx_child(xmlNodePtr parent, const char *name)
{
	return parent ? sx_from(parent->children, name) : NULL;
}

xmlNodePtr
sx_next(xmlNodePtr node, const char *name)
{
	return sx_from(node->next, name);
}

xmlNodePtr
sx_path(xmlNodePtr from, const char *path)
{
	char step[64];

	while (from && *path) {
		size_t len = strcspn(path, "/");

		if (len >= sizeof(step))
			return NULL;
		memcpy(step, path, len);
		step[len] = '\0';
		from = sx_child(from, step);
		path += len;
		if (*path == '/')
			path++;
	}
	return from;
}

static bool
sx_is_blank(xmlNodePtr n)
{
	return n && n->type == XML_TEXT_NODE && xmlIsBlankNode(n);
}

/* The indentation of @n: text after the last newline of the whitespace
 * node before it, or "" when there is none. */
static const char *
sx_indent_of(xmlNodePtr n)
{
	const char *ws, *nl;

	if (!sx_is_blank(n->prev) || !n->prev->content)
		return "";
	ws = (const char *)n->prev->content;
	nl = strrchr(ws, '\n');
	return nl ? nl + 1 : ws;
}

static void
sx_insert_last(xmlNodePtr parent, xmlNodePtr n)
{
	xmlNodePtr last = NULL;
	char buf[256];

	for (xmlNodePtr k = parent->children; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE)
			last = k;
	if (last) {
		xmlAddNextSibling(last, n);
		snprintf(buf, sizeof(buf), "\n%s", sx_indent_of(last));
		xmlAddPrevSibling(n, xmlNewDocText(parent->doc, BAD_CAST buf));
		return;
	}
	if (parent->children) {
		xmlAddChild(parent, n);
		return;
	}
	snprintf(buf, sizeof(buf), "\n%s  ", sx_indent_of(parent));
	xmlAddChild(parent, xmlNewDocText(parent->doc, BAD_CAST buf));
	xmlAddChild(parent, n);
	snprintf(buf, sizeof(buf), "\n%s", sx_indent_of(parent));
	xmlAddChild(parent, xmlNewDocText(parent->doc, BAD_CAST buf));
}

xmlNodePtr
sx_add(xmlNodePtr parent, const char *name)
{
	xmlNodePtr root = xmlDocGetRootElement(parent->doc);
	xmlNodePtr n = xmlNewDocNode(parent->doc, root ? root->ns : NULL,
				     BAD_CAST name, NULL);

	if (n)
		sx_insert_last(parent, n);
	return n;
}

xmlNodePtr
sx_insert_before(xmlNodePtr sibling, const char *name)
{
	xmlNodePtr root = xmlDocGetRootElement(sibling->doc);
	xmlNodePtr n = xmlNewDocNode(sibling->doc, root ? root->ns : NULL,
				     BAD_CAST name, NULL);
	char buf[256];

	if (!n)
		return NULL;
	/* [ws][sibling] -> [ws][n][ws'][sibling] */
	snprintf(buf, sizeof(buf), "\n%s", sx_indent_of(sibling));
	xmlAddPrevSibling(sibling, n);
	xmlAddPrevSibling(sibling, xmlNewDocText(sibling->doc, BAD_CAST buf));
	return n;
}

xmlNodePtr
sx_ensure(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n = sx_child(parent, name);

	return n ? n : sx_add(parent, name);
}

static void
sx_unlink(xmlNodePtr node)
{
	if (sx_is_blank(node->prev)) {
		xmlNodePtr ws = node->prev;

		xmlUnlinkNode(ws);
		xmlFreeNode(ws);
	}
	xmlUnlinkNode(node);
}

void
sx_remove(xmlNodePtr node)
{
	sx_unlink(node);
	xmlFreeNode(node);
}

void
sx_move(xmlNodePtr node, xmlNodePtr parent)
{
	sx_unlink(node);
	sx_insert_last(parent, node);
}

char *
sx_attr(xmlNodePtr node, const char *name)
{
	xmlChar *v = node ? xmlGetNoNsProp(node, BAD_CAST name) : NULL;
	char *s;

	if (!v)
		return NULL;
	s = strdup((const char *)v);
	xmlFree(v);
	return s;
}

bool
sx_attr_bool(struct sx_ctx *c, xmlNodePtr node, const char *name, bool def)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	char *v = sx_attr(node, name);
	bool r = def;

	if (!v)
		return def;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			goto out_true;
		if (strcasecmp(v, no[i]) == 0)
			goto out_false;
	}
	sx_fail(c, node, -EINVAL,
		"attribute %s=\"%s\" of <%s> is not a boolean", name, v,
		node->name);
	goto out;
out_true:
	r = true;
	goto out;
out_false:
	r = false;
out:
	free(v);
	return r;
}

uint32_t
sx_attr_u32(struct sx_ctx *c, xmlNodePtr node, const char *name, uint32_t def)
{
	char *v = sx_attr(node, name), *end;
	unsigned long long x;

	if (!v)
		return def;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || x > UINT32_MAX) {
		sx_fail(c, node, -EINVAL,
			"attribute %s=\"%s\" of <%s> is not a number", name, v,
			node->name);
		x = def;
	}
	free(v);
	return (uint32_t)x;
}

void
sx_set(xmlNodePtr node, const char *name, const char *value)
{
	if (value)
		xmlSetProp(node, BAD_CAST name, BAD_CAST value);
	else
		xmlUnsetProp(node, BAD_CAST name);
}

void
sx_set_u32(xmlNodePtr node, const char *name, uint32_t value)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", value);
	sx_set(node, name, buf);
}

void
sx_set_bool(xmlNodePtr node, const char *name, bool value)
{
	sx_set(node, name, value ? "true" : "false");
}

int
sx_read_file(const char *path, char **buf, size_t *len)
{
	struct stat st;
	ssize_t got;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size > (64 << 20)) {
		int rc = st.st_size > (64 << 20) ? -EFBIG : -errno;

		close(fd);
		return rc;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		close(fd);
		return -ENOMEM;
	}
	while (off < (size_t)st.st_size &&
	       (got = read(fd, *buf + off, (size_t)st.st_size - off)) > 0)
		off += (size_t)got;
	close(fd);
	(*buf)[off] = '\0';
	*len = off;
	return 0;
}

/* libxml2 reports every error; the first one is where the file went
 * wrong, later ones are consequences. */
struct sx_first_error {
	int line;
	char msg[300];
	bool set;
};

static void
sx_record_error(void *ctx, xmlErrorPtr e)
{
	struct sx_first_error *f = ctx;

	if (f->set || !e || e->level < XML_ERR_ERROR)
		return;
	f->set = true;
	f->line = e->line;
	snprintf(f->msg, sizeof(f->msg), "%s",
		 e->message ? e->message : "not well-formed XML");
	f->msg[strcspn(f->msg, "\n")] = '\0';
}

int
sx_parse(const char *buf, size_t len, const char *path, xmlDocPtr *out,
	 struct settings_error *err)
{
	/* No network, no entity expansion, no DTD loading: a settings file
	 * must not make us read anything else.  Blanks are kept so the file
	 * is rewritten with its own layout. */
	const int opts =
	    XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES;
	struct sx_first_error first = {0};
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	bool ok;

	if (len > INT32_MAX) {
		settings_error_set(err, "%s: file too large", path);
		return -EFBIG;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return -ENOMEM;
	xmlSetStructuredErrorFunc(&first, sx_record_error);
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, NULL, opts);
	xmlSetStructuredErrorFunc(NULL, NULL);
	ok = doc && ctxt->wellFormed && !first.set;
	xmlFreeParserCtxt(ctxt);
	if (!ok) {
		settings_error_set(err, "%s:%d: malformed XML: %s", path,
				   first.line,
				   first.set ? first.msg : "not well-formed");
		xmlFreeDoc(doc);
		return -EINVAL;
	}
	if (doc->intSubset) {
		/* VirtualBox never writes one; refusing it keeps entity
		 * expansion (and its billion laughs) out of attribute reads */
		const char *dt = strstr(buf, "<!DOCTYPE");
		int line = 1;

		for (const char *p = buf; dt && p < dt; p++)
			line += *p == '\n';
		settings_error_set(err, "%s:%d: a settings file has no DOCTYPE",
				   path, line);
		xmlFreeDoc(doc);
		return -EINVAL;
	}
	*out = doc;
	return 0;
}

static int
sx_parse_version(const char *v, unsigned *minor)
{
	unsigned long x;
	char *end;

	if (strncmp(v, "1.", 2) != 0 || v[2] < '0' || v[2] > '9')
		return -EINVAL;
	x = strtoul(v + 2, &end, 10);
	if (*end == '-') {
		/* platform: linux, windows, macosx, ...; any name is fine */
		if (!end[1])
			return -EINVAL;
		for (const char *p = end + 1; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') ||
			      (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '_'))
				return -EINVAL;
	} else if (*end) {
		return -EINVAL;
	}
	if (x < 12 || x > 20)
		return -ERANGE;
	*minor = (unsigned)x;
	return 0;
}

int
sx_check_root(xmlDocPtr doc, const char *path, unsigned *minor,
	      struct settings_error *err)
{
	struct sx_ctx c = {.path = path, .err = err};
	xmlNodePtr root = xmlDocGetRootElement(doc);
	const char *href;
	char *v;
	int rc;

	if (!root) {
		sx_fail(&c, NULL, -EINVAL, "empty document");
		return c.rc;
	}
	if (strcmp((const char *)root->name, "VirtualBox") != 0) {
		sx_fail(&c, root, -EINVAL,
			"root element is <%s>, expected <VirtualBox>",
			root->name);
		return c.rc;
	}
	href = root->ns ? (const char *)root->ns->href : "";
	if (strcmp(href, SETTINGS_NS_CURRENT) != 0 &&
	    strcmp(href, SETTINGS_NS_INNOTEK) != 0) {
		sx_fail(&c, root, -EINVAL,
			"unknown namespace \"%s\" (expected \"%s\")", href,
			SETTINGS_NS_CURRENT);
		return c.rc;
	}
	v = sx_attr(root, "version");
	if (!v) {
		sx_fail(&c, root, -EINVAL, "<VirtualBox> has no version");
		return c.rc;
	}
	rc = sx_parse_version(v, minor);
	if (rc)
		sx_fail(&c, root, rc,
			"unsupported settings version \"%s\" (vireo reads "
			"1.12 to 1.20)",
			v);
	free(v);
	return c.rc;
}
