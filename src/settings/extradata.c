/*
 * extradata.c - <ExtraData><ExtraDataItem name value/> lists, used by
 * machine files and the global registry alike.  Keys are kept verbatim
 * (VirtualBox's own keys and vireo's "vireo/..." keys side by side).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "settings_priv.h"

void
props_free(struct settings_property *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
}

int
extradata_parse(xmlNodePtr owner, struct settings_property **items, size_t *n)
{
	xmlNodePtr ed = sx_child(owner, "ExtraData"), it;
	struct settings_property *v = NULL;
	size_t count = 0;

	*items = NULL;
	*n = 0;
	for (it = sx_child(ed, "ExtraDataItem"); it;
	     it = sx_next(it, "ExtraDataItem")) {
		char *name = sx_attr(it, "name"), *value;
		struct settings_property *nv;

		if (!name)
			continue;
		value = sx_attr(it, "value");
		nv = realloc(v, (count + 1) * sizeof(*v));
		if (!nv) {
			free(name);
			free(value);
			props_free(v, count);
			return -ENOMEM;
		}
		v = nv;
		v[count].name = name;
		v[count].value = value ? value : strdup("");
		count++;
	}
	*items = v;
	*n = count;
	return 0;
}

static xmlNodePtr
extradata_find(xmlNodePtr ed, const char *key)
{
	for (xmlNodePtr it = sx_child(ed, "ExtraDataItem"); it;
	     it = sx_next(it, "ExtraDataItem")) {
		char *name = sx_attr(it, "name");
		bool same = name && strcmp(name, key) == 0;

		free(name);
		if (same)
			return it;
	}
	return NULL;
}

long
extradata_line(xmlNodePtr owner, const char *key)
{
	xmlNodePtr it = extradata_find(sx_child(owner, "ExtraData"), key);

	return it ? xmlGetLineNo(it) : 0;
}

static bool
extradata_is_empty(xmlNodePtr ed)
{
	for (xmlNodePtr n = ed->children; n; n = n->next)
		if (n->type != XML_TEXT_NODE || !xmlIsBlankNode(n))
			return false;
	return true;
}

int
extradata_set(xmlNodePtr owner, const char *key, const char *value)
{
	xmlNodePtr ed = sx_child(owner, "ExtraData"), it;

	if (!key || !*key)
		return -EINVAL;
	it = extradata_find(ed, key);
	if (!value) {
		if (it)
			sx_remove(it);
		if (it && extradata_is_empty(ed))
			sx_remove(ed); /* as VirtualBox, which omits it */
		return 0;
	}
	if (!it) {
		if (!ed)
			ed = sx_add(owner, "ExtraData");
		it = sx_add(ed, "ExtraDataItem");
		if (!it)
			return -ENOMEM;
		sx_set(it, "name", key);
	}
	sx_set(it, "value", value);
	return 0;
}
