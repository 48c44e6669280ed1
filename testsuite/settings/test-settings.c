/*
 * test-settings.c - the settings library against the synthetic .vbox
 * fixtures in data/: typed values in both namespaces and settings
 * versions 1.12 to 1.20, lossless round trips (canonical XML compared),
 * edits landing where each version puts them, errors naming file and
 * line, the registry, and the password hash formats.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <openssl/evp.h>

#include "settings.h"
#include "tap.h"

static char data_dir[4096];

static const char *
fixture(const char *name)
{
	static char buf[4200];

	snprintf(buf, sizeof(buf), "%s/%s", data_dir, name);
	return buf;
}

static struct settings_machine *
load(const char *name)
{
	struct settings_error err = {{0}};
	struct settings_machine *m = NULL;
	int rc = settings_machine_load(fixture(name), &m, &err);

	if (rc)
		tap_diag("%s: %s", name, err.msg);
	return m;
}

static xmlChar *
c14n_of(xmlDocPtr doc)
{
	xmlChar *out = NULL;

	if (!doc ||
	    xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 1, &out) < 0)
		return NULL;
	return out;
}

/* Load, serialise unmodified, compare canonical forms. */
static void
check_round_trip(const char *name)
{
	struct settings_machine *m = load(name);
	xmlDocPtr a = xmlReadFile(fixture(name), NULL, 0), b = NULL;
	xmlChar *ca = c14n_of(a), *cb = NULL;
	char *buf = NULL;
	size_t len = 0;

	if (m && settings_machine_serialize(m, &buf, &len) == 0)
		b = xmlReadMemory(buf, (int)len, NULL, NULL, 0);
	cb = c14n_of(b);
	tap_ok(ca && cb && strcmp((char *)ca, (char *)cb) == 0,
	       "%s: unmodified round trip is XML-equivalent", name);
	xmlFree(ca);
	xmlFree(cb);
	xmlFreeDoc(a);
	xmlFreeDoc(b);
	free(buf);
	settings_machine_free(m);
}

/* Number of nodes matching @xpath (local-name() based) in @buf. */
static int
xpath_count(const char *buf, size_t len, const char *xpath)
{
	xmlDocPtr doc = xmlReadMemory(buf, (int)len, NULL, NULL, 0);
	xmlXPathContextPtr ctx = doc ? xmlXPathNewContext(doc) : NULL;
	xmlXPathObjectPtr r =
	    ctx ? xmlXPathEvalExpression(BAD_CAST xpath, ctx) : NULL;
	int n = r && r->nodesetval ? r->nodesetval->nodeNr : -1;

	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return n;
}

#define L(x) "*[local-name()='" x "']"

static int
serialized_count(struct settings_machine *m, const char *xpath)
{
	char *buf;
	size_t len;
	int n;

	if (settings_machine_serialize(m, &buf, &len))
		return -1;
	n = xpath_count(buf, len, xpath);
	free(buf);
	return n;
}

static void
test_full_116(void)
{
	struct settings_machine *m = load("full-1.16.vbox");
	enum settings_boot_device b[4];
	const struct settings_nic *n;
	const struct settings_attachment *a;
	const struct settings_usb_filter *f;
	const struct settings_usb_controller *u;
	char want[4300];

	tap_ok(m != NULL, "1.16: loads");
	if (!m)
		return;
	tap_ok(!strcmp(m->uuid, "{0f3b2c1a-1111-4222-8333-944455556666}") &&
		   !strcmp(m->name, "legacy16") &&
		   !strcmp(m->ostype, "Ubuntu_64") &&
		   !strcmp(settings_machine_version(m), "1.16-linux"),
	       "1.16: uuid (lower-cased), name, OSType, version");
	tap_ok(m->cpus == 2 && m->ram_mb == 2048 && m->vram_mb == 32 &&
		   m->monitor_count == 2 &&
		   !strcmp(m->graphics_controller, "VMSVGA"),
	       "1.16: CPU, memory, display");
	tap_ok(m->vrde.enabled && m->vrde.auth_type == SETTINGS_AUTH_EXTERNAL &&
		   m->vrde.auth_timeout_ms == 6000 &&
		   m->vrde.allow_multi_connection &&
		   !m->vrde.reuse_single_connection && !m->vrde.auth_library,
	       "1.16: RemoteDisplay attributes (authType case-insensitive)");
	tap_ok(
	    !strcmp(settings_vrde_get_property(m, "TCP/Ports"),
		    "5000,5010-5012") &&
		!strcmp(settings_vrde_get_property(m, "TCP/Address"),
			"127.0.0.1") &&
		!strcmp(settings_vrde_get_property(m, "VideoChannel/Enabled"),
			"true") &&
		!strcmp(settings_vrde_get_property(m, "VideoChannel/Quality"),
			"60"),
	    "1.16: legacy port/netAddress/VideoChannel as properties");
	settings_machine_boot_order(m, b);
	tap_ok(b[0] == SETTINGS_BOOTDEV_DVD &&
		   b[1] == SETTINGS_BOOTDEV_HARDDISK &&
		   b[2] == SETTINGS_BOOTDEV_NONE,
	       "1.16: boot order");
	tap_ok(settings_machine_nics(m, &n) == 2 && n[0].enabled &&
		   n[0].attachment == SETTINGS_NIC_NAT &&
		   n[0].n_forwards == 2 && !n[1].enabled &&
		   n[1].attachment == SETTINGS_NIC_BRIDGED,
	       "1.16: two adapters, NAT and bridged");
	tap_ok(n[0].n_forwards == 2 && !strcmp(n[0].forwards[0].proto, "tcp") &&
		   n[0].forwards[0].host_port == 2222 &&
		   n[0].forwards[0].guest_port == 22 &&
		   !strcmp(n[0].forwards[1].proto, "udp") &&
		   !strcmp(n[0].forwards[1].host_ip, "127.0.0.1") &&
		   !strcmp(n[0].forwards[1].guest_ip, "10.0.2.15"),
	       "1.16: NAT port forwards");
	tap_ok(settings_machine_usb_controllers(m, &u) == 2 &&
		   settings_machine_usb_filters(m, &f) == 2 &&
		   !strcmp(f[0].vendor_id, "1050") && f[0].remote_set &&
		   !strcmp(f[0].remote, "yes") && !f[1].active &&
		   !strcmp(f[1].manufacturer, "SanDisk"),
	       "1.16: USB controllers and device filters");
	snprintf(want, sizeof(want),
		 "%s/Snapshots/{11111111-2222-4333-8444-666666666666}.vdi",
		 data_dir);
	tap_ok(settings_machine_attachments(m, &a) == 2 &&
		   !strcmp(a[0].controller, "IDE") &&
		   !strcmp(a[0].type, "DVD") && a[0].port == 1 &&
		   !strcmp(a[0].medium_path, "/srv/iso/install.iso") &&
		   !strcmp(a[1].medium_path, want) &&
		   !strcmp(a[1].medium_format, "VDI"),
	       "1.16: attachments resolved through the MediaRegistry "
	       "(StorageControllers under Machine, nested disk)");
	tap_ok(
	    settings_machine_boot_kind(m) == SETTINGS_BOOT_LINUX &&
		!strcmp(settings_machine_get_extradata(m, "vireo/Boot/Kernel"),
			"/boot/vmlinuz"),
	    "1.16: ExtraData and vireo's boot source");
	settings_machine_free(m);
}

static void
test_full_117(void)
{
	struct settings_machine *m = load("full-1.17.vbox");
	const struct settings_attachment *a;
	const struct settings_usb_controller *u;

	tap_ok(m && m->cpus == 4 && m->ram_mb == 4096 &&
		   m->monitor_count == 4 &&
		   m->vrde.auth_type == SETTINGS_AUTH_GUEST &&
		   m->vrde.reuse_single_connection &&
		   !strcmp(m->vrde.auth_library, "VBoxAuthSimple") &&
		   !strcmp(m->vrde.ext_pack, "rdp") && m->vrde.n_props == 4,
	       "1.17: typed values and VRDEProperties");
	if (!m)
		return;
	tap_ok(settings_machine_attachments(m, &a) == 1 &&
		   !strcmp(a[0].medium_path, "/var/lib/images/root.img") &&
		   !strcmp(a[0].medium_format, "RAW"),
	       "1.17: StorageControllers under Hardware, uuid matched "
	       "case-insensitively");
	tap_ok(settings_machine_usb_controllers(m, &u) == 1 &&
		   !strcmp(u[0].type, "XHCI"),
	       "1.17: XHCI controller");
	settings_machine_free(m);
}

static void
test_innotek_112(void)
{
	struct settings_machine *m = load("innotek-1.12.vbox");
	const struct settings_attachment *a;
	const struct settings_usb_controller *u;
	const struct settings_usb_filter *f;
	const struct settings_nic *n;
	char want[4200];

	tap_ok(m && !strcmp(m->name, "old twelve") && m->cpus == 1 &&
		   m->vram_mb == 16 &&
		   !strcmp(m->graphics_controller, "VBoxVGA") &&
		   !m->vrde.enabled &&
		   !strcmp(settings_vrde_get_property(m, "TCP/Ports"), "3389"),
	       "1.12 innotek namespace: typed values, defaults");
	if (!m)
		return;
	tap_ok(settings_machine_usb_controllers(m, &u) == 2 &&
		   settings_machine_usb_filters(m, &f) == 1 &&
		   !strcmp(f[0].remote, "no"),
	       "1.12: legacy <USBController enabledEhci>");
	snprintf(want, sizeof(want), "%s/boot.img", data_dir);
	tap_ok(settings_machine_attachments(m, &a) == 1 &&
		   !strcmp(a[0].type, "Floppy") &&
		   !strcmp(a[0].medium_path, want),
	       "1.12: floppy image relative to the machine folder");
	tap_ok(settings_machine_nics(m, &n) == 1 && n[0].n_forwards == 1 &&
		   n[0].forwards[0].host_port == 13389,
	       "1.12: NAT forward");
	tap_ok(
	    settings_machine_set_extradata(m, "vireo/Boot/Source", "linux") ==
		    0 &&
		serialized_count(
		    m,
		    "/" L("VirtualBox") "/" L("Machine") "/" L(
			"ExtraDat"
			"a") "/" L("ExtraDataItem") "[namespace-uri()="
						    "'http://www.innotek.de/"
						    "VirtualBox-settings']") ==
		    1,
	    "1.12: a new element is created in the file's namespace");
	settings_machine_free(m);
}

static void
test_small_versions(void)
{
	struct settings_machine *m = load("plain-1.15.vbox");
	enum settings_boot_device b[4];
	const struct settings_attachment *a;

	tap_ok(m && !strcmp(settings_machine_version(m), "1.15") &&
		   m->cpus == 1 && m->vram_mb == 8 && m->monitor_count == 1 &&
		   m->ram_mb == 256 && !m->vrde.enabled &&
		   m->vrde.auth_timeout_ms == 5000 &&
		   !strcmp(m->uuid, "{15151515-1515-4515-8515-151515151515}"),
	       "1.15 without platform: defaults, uuid without braces");
	if (m) {
		settings_machine_boot_order(m, b);
		tap_ok(b[0] == SETTINGS_BOOTDEV_NETWORK &&
			   b[1] == SETTINGS_BOOTDEV_FLOPPY &&
			   b[2] == SETTINGS_BOOTDEV_NONE,
		       "1.15: partial boot order");
		tap_ok(settings_machine_set_controller(m, "SATA", "sata", NULL,
						       0) == 0 &&
			   serialized_count(
			       m,
			       "/" L("VirtualBox") "/" L("Machine") "/" L(
				   "StorageControllers") "/" L("StorageControll"
							       "er") "[@type='"
								     "AHCI'"
								     "]") == 1,
		       "1.15: a new controller goes under <Machine>");
		m->cpus = 3;
		tap_ok(serialized_count(m, "//" L("Hardware") "/" L(
					       "CPU") "[@count='3']") == 1,
		       "1.15: a new CPU count goes under <Hardware>");
		settings_machine_free(m);
	}
	m = load("mac-1.19.vbox");
	tap_ok(
	    m && settings_machine_attachments(m, &a) == 2 &&
		!strcmp(a[0].medium_path, "/Users/me/iso/ubuntu.iso") &&
		!a[1].medium_uuid && m->monitor_count == 1 &&
		!strcmp(settings_vrde_get_property(m, "VideoChannel/Enabled"),
			"1"),
	    "1.19-macosx: DVD image and an empty drive");
	settings_machine_free(m);
	m = load("platform-1.20.vbox");
	tap_ok(m && m->cpus == 6 && m->monitor_count == 3 &&
		   m->vrde.allow_multi_connection &&
		   settings_machine_boot_kind(m) == SETTINGS_BOOT_TESTCARD,
	       "1.20: CPU count read from <Platform>");
	if (m) {
		m->cpus = 1;
		m->ram_mb = 1024;
		tap_ok(serialized_count(m, "//" L("Platform") "/" L(
					       "CPU") "[@count]") == 0 &&
			   serialized_count(
			       m, "//" L("Hardware") "/" L("CPU")) == 0 &&
			   serialized_count(m, "//" L("Memory") "[@RAMSize="
								"'1024']") == 1,
		       "1.20: cpus=1 drops the count in <Platform><CPU>");
		settings_machine_free(m);
	}
}

/* A copy of @m through serialise and load, as a save and reload would. */
static struct settings_machine *
reloaded(struct settings_machine *m)
{
	struct settings_error err = {{0}};
	struct settings_machine *r = NULL;
	char *buf;
	size_t len;

	if (settings_machine_serialize(m, &buf, &len))
		return NULL;
	if (settings_machine_load_buffer(buf, len, "reloaded.vbox", &r, &err))
		tap_diag("reload: %s", err.msg);
	free(buf);
	return r;
}

/* HardwareVirtEx: read where each version keeps it, written there only
 * when changed, and a round trip keeps the value. */
static void
test_hwvirtex(void)
{
	struct settings_machine *m = load("full-1.17.vbox"), *r;
	static const char cpu_hv[] =
	    "//" L("Hardware") "/" L("CPU") "/" L("HardwareVirtEx");
	static const char plat_hv[] =
	    "//" L("Hardware") "/" L("Platform") "[@architecture='x86']/" L(
		"x86") "/" L("HardwareVirtEx");

	tap_ok(m && !settings_machine_hwvirtex(m),
	       "1.17: HardwareVirtEx enabled=false in <CPU> is off");
	if (m) {
		settings_machine_set_hwvirtex(m, true);
		r = reloaded(m);
		tap_ok(r && settings_machine_hwvirtex(r) &&
			   serialized_count(
			       m, "//" L("CPU") "/" L(
				      "HardwareVirtEx") "[@enabled="
							"'true']") == 1,
		       "1.17: set on rewrites the element in place");
		settings_machine_free(r);
		settings_machine_free(m);
	}
	m = load("full-1.16.vbox");
	tap_ok(m && settings_machine_hwvirtex(m),
	       "1.16: no HardwareVirtEx (only HardwareVirtExLargePages) is on");
	if (m) {
		settings_machine_set_hwvirtex(m, true);
		tap_ok(serialized_count(m, "//" L("HardwareVirtEx")) == 0,
		       "1.16: on, the default, adds no element");
		settings_machine_set_hwvirtex(m, false);
		r = reloaded(m);
		tap_ok(r && !settings_machine_hwvirtex(r) &&
			   serialized_count(m, cpu_hv) == 1 &&
			   serialized_count(
			       m, "//" L("CPU") "[@count='2']/" L(
				      "HardwareVirtExLargePages")) == 1,
		       "1.16: off goes into the existing <CPU>, and reloads "
		       "off");
		settings_machine_free(r);
		settings_machine_free(m);
	}
	m = load("platform-1.20.vbox");
	tap_ok(m && settings_machine_hwvirtex(m),
	       "1.20: HardwareVirtEx read from <Platform><x86>");
	if (m) {
		settings_machine_set_hwvirtex(m, false);
		r = reloaded(m);
		tap_ok(r && !settings_machine_hwvirtex(r) &&
			   serialized_count(m, plat_hv) == 1 &&
			   serialized_count(m, "//" L("HardwareVirtEx")) == 1,
		       "1.20: off edits the element in <Platform><x86>");
		settings_machine_free(r);
		settings_machine_free(m);
	}
	for (int v = 16; v <= 20; v += 4) {
		char doc[512];
		struct settings_error err = {{0}};

		m = NULL;
		snprintf(doc, sizeof(doc),
			 "<VirtualBox xmlns=\"http://www.virtualbox.org/\" "
			 "version=\"1.%d-linux\"><Machine uuid=\"{00000000-"
			 "0000-4000-8000-000000000001}\" name=\"t\"/>"
			 "</VirtualBox>",
			 v);
		settings_machine_load_buffer(doc, strlen(doc), "t.vbox", &m,
					     &err);
		if (m)
			settings_machine_set_hwvirtex(m, false);
		tap_ok(m && serialized_count(m, v < 20 ? cpu_hv : plat_hv) == 1,
		       "1.%d: a new HardwareVirtEx goes where the version puts "
		       "it",
		       v);
		settings_machine_free(m);
	}
	{
		static const char bad[] =
		    "<VirtualBox xmlns=\"http://www.virtualbox.org/\" "
		    "version=\"1.19\">\n<Machine uuid=\"{00000000-0000-4000-"
		    "8000-000000000001}\" name=\"t\"><Hardware><CPU>\n"
		    "<HardwareVirtEx enabled=\"maybe\"/></CPU></Hardware>"
		    "</Machine></VirtualBox>";
		struct settings_error err = {{0}};
		int rc;

		m = NULL;
		rc = settings_machine_load_buffer(bad, sizeof(bad) - 1,
						  "t.vbox", &m, &err);
		tap_ok(rc == -EINVAL && !m &&
			   !strncmp(err.msg, "t.vbox:3: ", 10) &&
			   strstr(err.msg, "HardwareVirtEx"),
		       "HardwareVirtEx enabled=maybe is refused (%s)", err.msg);
	}
}

/* Where new elements go at the version thresholds (1.16/1.17, 1.19/1.20). */
static void
test_thresholds(void)
{
	static const struct {
		const char *version, *ctl_xpath, *cpu_xpath;
	} v[] = {
	    {"1.16-linux",
	     "/" L("VirtualBox") "/" L("Machine") "/" L("StorageControllers"),
	     "//" L("Hardware") "/" L("CPU") "[@count='4']"},
	    {"1.17-windows", "//" L("Hardware") "/" L("StorageControllers"),
	     "//" L("Hardware") "/" L("CPU") "[@count='4']"},
	    {"1.19", "//" L("Hardware") "/" L("StorageControllers"),
	     "//" L("Hardware") "/" L("CPU") "[@count='4']"},
	    {"1.20-linux", "//" L("Hardware") "/" L("StorageControllers"),
	     "//" L("Hardware") "/" L("Platform") "[@architecture='x86']/" L(
		 "CPU") "[@count='4']"},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
		char doc[512];
		struct settings_machine *m = NULL;
		struct settings_error err = {{0}};

		snprintf(doc, sizeof(doc),
			 "<VirtualBox xmlns=\"http://www.virtualbox.org/\" "
			 "version=\"%s\"><Machine uuid=\"{00000000-0000-4000-"
			 "8000-000000000001}\" name=\"t\"/></VirtualBox>",
			 v[i].version);
		settings_machine_load_buffer(doc, strlen(doc), "t.vbox", &m,
					     &err);
		if (m) {
			m->cpus = 4;
			settings_machine_set_controller(m, "IDE", "ide", NULL,
							0);
		}
		tap_ok(m && serialized_count(m, v[i].ctl_xpath) == 1 &&
			   serialized_count(m, v[i].cpu_xpath) == 1,
		       "%s: new StorageControllers and CPU where the version "
		       "puts them",
		       v[i].version);
		settings_machine_free(m);
	}
}

static void
test_new_machine(void)
{
	struct settings_error err = {{0}};
	struct settings_machine *m = NULL;
	const struct settings_attachment *a;
	int rc = settings_machine_new("/nonexistent/x/x.vbox", "x", "Linux",
				      "{12345678-1234-4234-8234-123456789abc}",
				      &m, &err);

	tap_ok(rc == 0 && m && !strcmp(m->folder, "/nonexistent/x"),
	       "new machine in memory");
	if (!m)
		return;
	m->cpus = 2;
	tap_ok(settings_machine_set_controller(m, "SATA", "sata", "IntelAhci",
					       4) == 0 &&
		   settings_machine_attach(m, "SATA", 0, 0, "HardDisk",
					   "/srv/disk.img", NULL, "RAW") == 0 &&
		   settings_machine_attachments(m, &a) == 1 &&
		   !strcmp(a[0].medium_path, "/srv/disk.img") &&
		   serialized_count(m, "//" L("Hardware") "/" L(
					   "StorageControllers")) == 1 &&
		   serialized_count(m, "//" L("MediaRegistry") "//" L(
					   "HardDisk") "[@format='RAW']") == 1,
	       "1.19: controller under <Hardware>, disk in the MediaRegistry");
	tap_ok(settings_machine_attach(m, "nope", 0, 0, "HardDisk", "/a", NULL,
				       "RAW") == -ENOENT &&
		   settings_machine_attach(m, "SATA", 0, 0, "HardDisk", NULL,
					   NULL, NULL) == 0 &&
		   settings_machine_attachments(m, &a) == 0,
	       "attach to a missing controller fails; detach works");
	tap_ok(serialized_count(m, "//" L("Hardware") "/" L("CPU") "[@count="
								   "'2']") == 1,
	       "1.19: CPU count under <Hardware>");
	settings_machine_free(m);
}

static bool
machine_nic_attachment_ok(const struct settings_machine *m)
{
	const struct settings_nic *n;
	enum settings_boot_device b[4];

	settings_machine_boot_order(m, b);
	return settings_machine_nics(m, &n) == 2 && n[0].enabled &&
	       n[0].attachment == SETTINGS_NIC_NULL &&
	       b[2] == SETTINGS_BOOTDEV_NETWORK;
}

/* Edits touch only what they change; the rest stays. */
static void
test_edit_preserves(void)
{
	struct settings_machine *m = load("full-1.16.vbox"), *m2 = NULL;
	struct settings_error err = {{0}};
	char *buf = NULL;
	size_t len = 0;

	if (!m) {
		tap_ok(0, "edit: load");
		return;
	}
	settings_vrde_set_property(m, "TCP/Ports", "6000");
	settings_vrde_set_property(m, "Security/Method", "TLS");
	settings_machine_set_extradata(m, "GUI/LastNormalWindowPosition", NULL);
	settings_machine_set_nic(m, 0, "null");
	settings_machine_set_boot_order(m, 3, SETTINGS_BOOTDEV_NETWORK);
	tap_ok(settings_machine_serialize(m, &buf, &len) == 0,
	       "edit: serialise");
	tap_ok(buf &&
		   strstr(buf, "<GuestProperty name=\"/VirtualBox/HostInfo/"
			       "GUI/LanguageID\"") &&
		   strstr(buf, "<!-- remote display in the "
			       "pre-VRDEProperties form -->") &&
		   strstr(buf, "before updates &amp; \"tweaks\"") &&
		   strstr(buf, "<SharedFolder name=\"home\"") &&
		   strstr(buf, "<EFI enabled=\"false\"/>"),
	       "edit: snapshots, guest properties, comments, shared folders, "
	       "EFI kept");
	tap_ok(
	    buf &&
		xpath_count(buf, len, "//" L("RemoteDisplay") "[@port]") == 0 &&
		xpath_count(buf, len, "//" L("VideoChannel")) == 0 &&
		xpath_count(buf, len, "//" L("DisabledModes") "/" L("NAT")) ==
		    1,
	    "edit: legacy VRDE attributes rewritten as properties; NAT "
	    "parked in DisabledModes");
	if (buf)
		settings_machine_load_buffer(buf, len, "edited.vbox", &m2,
					     &err);
	tap_ok(
	    m2 &&
		!strcmp(settings_vrde_get_property(m2, "TCP/Ports"), "6000") &&
		!strcmp(settings_vrde_get_property(m2, "TCP/Address"),
			"127.0.0.1") &&
		!strcmp(settings_vrde_get_property(m2, "VideoChannel/Quality"),
			"60") &&
		!strcmp(settings_vrde_get_property(m2, "Security/Method"),
			"TLS") &&
		!settings_machine_get_extradata(
		    m2, "GUI/LastNormalWindowPosition") &&
		machine_nic_attachment_ok(m2),
	    "edit: reloaded values are the edited ones");
	settings_machine_free(m2);
	free(buf);
	settings_machine_free(m);
}

static void
check_error(const char *name, int line, const char *what)
{
	struct settings_error err = {{0}};
	struct settings_machine *m = NULL;
	char prefix[4300];
	int rc = settings_machine_load(fixture(name), &m, &err);

	snprintf(prefix, sizeof(prefix), "%s:%d: ", fixture(name), line);
	tap_ok(rc < 0 && !m && !strncmp(err.msg, prefix, strlen(prefix)) &&
		   strstr(err.msg, what),
	       "%s: error names file and line %d (%s)", name, line, err.msg);
}

static void
test_errors(void)
{
	struct settings_error err = {{0}};
	struct settings_machine *m = NULL;

	check_error("bad-malformed.vbox", 5, "malformed XML");
	check_error("bad-root.vbox", 3, "root element is <Settings>");
	check_error("bad-version.vbox", 3, "unsupported settings version");
	check_error("bad-nouuid.vbox", 4, "has no uuid");
	check_error("bad-namespace.vbox", 2, "unknown namespace");
	check_error("bad-bool.vbox", 5, "is not a boolean");
	check_error("bad-doctype.vbox", 2, "has no DOCTYPE");
	tap_ok(settings_machine_load(fixture("absent.vbox"), &m, &err) ==
		       -ENOENT &&
		   strstr(err.msg, "absent.vbox: cannot read"),
	       "a missing file is -ENOENT with a message");
	tap_ok(access(fixture("bad-malformed.vbox-tmp"), F_OK) < 0 &&
		   access(fixture("bad-malformed.vbox-prev"), F_OK) < 0,
	       "failed loads write nothing");
}

static void
test_registry(const char *tmp)
{
	struct settings_registry *r = NULL;
	struct settings_error err = {{0}};
	const struct settings_registry_entry *e;
	char path[4300], *found = NULL;

	setenv("VIREO_HOME", tmp, 1);
	setenv("HOME", tmp, 1);
	tap_ok(settings_registry_path(path, sizeof(path)) == 0 &&
		   !strncmp(path, tmp, strlen(tmp)) &&
		   !strcmp(path + strlen(tmp), "/vireo.xml"),
	       "registry path under VIREO_HOME");
	tap_ok(settings_registry_open(&r, &err) == 0 &&
		   settings_registry_machines(r, &e) == 0 &&
		   !settings_registry_auth_library(r) &&
		   !strcmp(settings_registry_machine_folder(r) + strlen(tmp),
			   "/vireo VMs"),
	       "an absent registry is empty; default machine folder");
	if (!r)
		return;
	tap_ok(settings_registry_add_machine(r,
					     "{0F3B2C1A-1111-4222-8333-"
					     "944455556666}",
					     fixture("full-1.16.vbox")) == 0 &&
		   settings_registry_add_machine(
		       r, "0f3b2c1a-1111-4222-8333-944455556666", "/x.vbox") ==
		       -EEXIST &&
		   settings_registry_set_auth_library(r, "simple") == 0 &&
		   settings_registry_set_extradata(r, "k", "v") == 0 &&
		   settings_registry_save(r, &err) == 0,
	       "registry: add machine, duplicates refused, save");
	settings_registry_free(r);
	r = NULL;
	tap_ok(settings_registry_open(&r, &err) == 0 &&
		   settings_registry_find(r, "legacy16", &found) == 0 &&
		   !strcmp(found, fixture("full-1.16.vbox")),
	       "registry: reopened, machine found by name");
	free(found);
	found = NULL;
	tap_ok(r &&
		   settings_registry_find(
		       r, "{0f3b2c1a-1111-4222-8333-944455556666}", &found) ==
		       0 &&
		   settings_registry_find(r, "nope", &found) == -ENOENT &&
		   !strcmp(settings_registry_auth_library(r), "simple") &&
		   !strcmp(settings_registry_get_extradata(r, "k"), "v"),
	       "registry: by uuid, unknown name, SystemProperties, ExtraData");
	free(found);
	tap_ok(r &&
		   settings_registry_remove_machine(
		       r, "0f3b2c1a-1111-4222-8333-944455556666") == 0 &&
		   settings_registry_machines(r, &e) == 0,
	       "registry: remove machine");
	settings_registry_free(r);
}

static bool
lock_is_free(const char *path)
{
	int fd = open(path, O_RDONLY);
	bool free_now = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0;

	if (fd >= 0)
		close(fd);
	return free_now;
}

/* A lock taken at load stays held across saves (it moves to the new
 * file) until the machine is freed. */
static void
test_lock(const char *tmp)
{
	struct settings_machine *m = NULL;
	struct settings_error err = {{0}};
	char path[4300], cmd[8700];

	snprintf(path, sizeof(path), "%s/lock.vbox", tmp);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", fixture("full-1.17.vbox"),
		 path);
	if (system(cmd) != 0 ||
	    settings_machine_load_locked(path, &m, &err) != 0) {
		tap_ok(0, "lock: load_locked %s", err.msg);
		return;
	}
	tap_ok(!lock_is_free(path), "lock: held after load_locked");
	m->ram_mb = 300;
	tap_ok(settings_machine_save(m, &err) == 0 && !lock_is_free(path),
	       "lock: still held on the new file after a save");
	m->ram_mb = 400;
	tap_ok(settings_machine_save(m, &err) == 0 && !lock_is_free(path),
	       "lock: and after a second save");
	settings_machine_free(m);
	tap_ok(lock_is_free(path), "lock: released by settings_machine_free");
}

static void
test_passwords(void)
{
	char out[256];
	unsigned char salt[16], hash[32], want[32];
	unsigned iter = 0;
	char salt_hex[40], hash_hex[70];

	tap_ok(settings_password_hash_sha256("test", out, sizeof(out)) == 0 &&
		   !strcmp(out, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b"
				"0b822cd15d6c15b0f00a08"),
	       "sha256: VirtualBox's unsalted hex");
	tap_ok(settings_password_nt_hash("password", out, sizeof(out)) == 0 &&
		   !strcmp(out, "8846f7eaee8fb117ad06bdd830b7586c") &&
		   settings_password_nt_hash("", out, sizeof(out)) == 0 &&
		   !strcmp(out, "31d6cfe0d16ae931b73c59d7e0c089c0"),
	       "NT hash of known passwords");
	tap_ok(settings_password_hash_pbkdf2("secret", 1000, out,
					     sizeof(out)) == 0 &&
		   sscanf(out, "pbkdf2-sha256$%u$%32[0-9a-f]$%64[0-9a-f]",
			  &iter, salt_hex, hash_hex) == 3 &&
		   iter == 1000 && strlen(hash_hex) == 64,
	       "pbkdf2: format %s", out);
	for (int i = 0; i < 16; i++)
		sscanf(salt_hex + 2 * i, "%2hhx", &salt[i]);
	for (int i = 0; i < 32; i++)
		sscanf(hash_hex + 2 * i, "%2hhx", &want[i]);
	PKCS5_PBKDF2_HMAC("secret", 6, salt, 16, 1000, EVP_sha256(), 32, hash);
	tap_ok(memcmp(hash, want, 32) == 0,
	       "pbkdf2: the hash verifies with OpenSSL");
	tap_ok(settings_password_hash_pbkdf2("x", 999, out, sizeof(out)) ==
		   -EINVAL,
	       "pbkdf2: fewer than 1000 iterations refused");
}

int
main(void)
{
	static const char *const good[] = {
	    "full-1.16.vbox",  "full-1.17.vbox", "innotek-1.12.vbox",
	    "plain-1.15.vbox", "mac-1.19.vbox",	 "platform-1.20.vbox",
	};
	const char *srcdir = getenv("srcdir");
	char tmp[] = "/tmp/vireo-settings.XXXXXX";

	snprintf(data_dir, sizeof(data_dir), "%s/settings/data",
		 srcdir ? srcdir : ".");
	if (!mkdtemp(tmp))
		tap_skip_all("cannot create a temporary directory");
	tap_plan(78);
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		check_round_trip(good[i]);
	test_full_116();
	test_full_117();
	test_innotek_112();
	test_small_versions();
	test_thresholds();
	test_hwvirtex();
	test_new_machine();
	test_edit_preserves();
	test_errors();
	test_registry(tmp);
	test_lock(tmp);
	test_passwords();
	char cmd[100];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmp);
	return tap_done();
}
