/*
 * test-state.c - the saved-state format (src/vmm/state.c) and the
 * software CPU's register record, without a running guest:
 *
 *   - fields written come back equal, the END record closes the stream;
 *   - every truncation of a valid stream is refused as truncated;
 *   - every single flipped byte is refused (checksums, magic, version);
 *   - another format version is refused and says so; a record claiming
 *     more than the limit is refused before anything is allocated;
 *   - reading past a payload yields zeros and an error, never memory;
 *   - the software CPU's registers, set to unusual values, survive a
 *     save into one VM's record and a load into another VM;
 *   - a state of another configuration is refused with the reason, and a
 *     VM whose restore failed cannot start;
 *   - the checksum's fast path (carry-less multiplication, where the CPU
 *     has it) gives liblzma's CRC-32 for every length, alignment and
 *     starting value tried.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lzma.h>
#include <unistd.h>
#include <unicorn/unicorn.h>

#include "lib/memio.h"
#include "tap.h"
#include "vmm/vmm_internal.h"

/* ---- the sample stream, in memory (lib/memio.h) ------------------------ */

/* Read all of @m; @return 0 (valid to the END record) or the error. */
static int
mem_parse(struct memio *m, char *err, size_t errlen, int *records)
{
	struct vmm_state_io io = memio_io(m);
	struct vmm_state_reader rd;
	struct vmm_sr rec;
	int r;

	m->pos = 0;
	*records = 0;
	err[0] = '\0';
	r = vmm_state_begin(&rd, &io, err, errlen);
	while (!r && (r = vmm_state_next(&rd, &rec, err, errlen)) == 1) {
		(*records)++;
		r = 0;
	}
	vmm_state_reader_free(&rd);
	return r;
}

static void
sample_stream(struct memio *m)
{
	struct vmm_state_io io = memio_io(m);
	struct vmm_sw w;
	uint8_t blob[300];

	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i * 7);
	memset(m, 0, sizeof(*m));
	vmm_sw_begin(&w, &io, 1234);
	vmm_sw_rec(&w, "TST1", 3, 5);
	vmm_sw_u8(&w, 0xab);
	vmm_sw_u16(&w, 0xcdef);
	vmm_sw_u32(&w, 0x01234567);
	vmm_sw_u64(&w, 0x89abcdef01234567ull);
	vmm_sw_end_rec(&w);
	vmm_sw_rec_raw(&w, "TST2", 1, 0, "pre", 3, blob, sizeof(blob));
	vmm_sw_rec(&w, "EMPT", 1, 0);
	vmm_sw_end_rec(&w);
	tap_ok(vmm_sw_finish(&w) == 0, "a stream of three records is written");
	vmm_sw_free(&w);
}

static void
test_roundtrip(struct memio *m)
{
	struct vmm_state_io io = memio_io(m);
	struct vmm_state_reader rd;
	struct vmm_sr rec;
	char err[256];
	uint8_t pre[3], b[300];
	bool ok;

	m->pos = 0;
	ok = vmm_state_begin(&rd, &io, err, sizeof(err)) == 0 &&
	     rd.time == 1234 && rd.version == VMM_STATE_VERSION;
	ok = ok && vmm_state_next(&rd, &rec, err, sizeof(err)) == 1 &&
	     !strcmp(rec.tag, "TST1") && rec.ver == 3 && rec.inst == 5 &&
	     vmm_sr_u8(&rec) == 0xab && vmm_sr_u16(&rec) == 0xcdef &&
	     vmm_sr_u32(&rec) == 0x01234567 &&
	     vmm_sr_u64(&rec) == 0x89abcdef01234567ull && vmm_sr_done(&rec);
	tap_ok(ok, "fields read back as written");
	/* past the end: zeros and an error */
	tap_ok(vmm_sr_u32(&rec) == 0 && rec.err == -EPROTO &&
		   !vmm_sr_done(&rec) && vmm_sr_take(&rec, 1) == NULL,
	       "reading past a payload gives zeros and an error");
	ok = vmm_state_next(&rd, &rec, err, sizeof(err)) == 1 &&
	     !strcmp(rec.tag, "TST2") && rec.len == 303 &&
	     !vmm_sr_bytes(&rec, pre, 3) && !memcmp(pre, "pre", 3) &&
	     !vmm_sr_bytes(&rec, b, sizeof(b)) && b[299] == (uint8_t)(299 * 7);
	tap_ok(ok, "a raw record carries its prefix and data");
	ok = vmm_state_next(&rd, &rec, err, sizeof(err)) == 1 && rec.len == 0 &&
	     vmm_state_next(&rd, &rec, err, sizeof(err)) == 0;
	tap_ok(ok, "an empty record, then END closes the stream");
	vmm_state_reader_free(&rd);
}

static void
test_truncation(struct memio *m)
{
	size_t full = m->len, bad = 0;
	char err[256], first[256] = "";
	int n;

	for (size_t len = 0; len < full; len++) {
		m->len = len;
		/* shorter than the magic: not recognisably a state */
		const char *want =
		    len < 8 ? "not a vireo saved state" : "truncated";

		if (mem_parse(m, err, sizeof(err), &n) != -EPROTO ||
		    !strstr(err, want)) {
			if (!bad++)
				snprintf(first, sizeof(first), "%zu: %.200s",
					 len, err);
		}
	}
	m->len = full;
	tap_ok(bad == 0,
	       "each of the %zu truncations is refused (as truncated from 8 "
	       "bytes on)",
	       full);
	if (bad)
		tap_diag("first: %s", first);
	m->len = 32;
	mem_parse(m, err, sizeof(err), &n);
	tap_ok(strstr(err, "no END record") != NULL,
	       "a stream cut between records has no END record (%s)", err);
	m->len = full;
}

static void
test_corruption(struct memio *m)
{
	size_t missed = 0;
	char err[256];
	int n;

	for (size_t i = 0; i < m->len; i++) {
		m->p[i] ^= 0x10;
		if (mem_parse(m, err, sizeof(err), &n) == 0)
			missed++;
		m->p[i] ^= 0x10;
	}
	tap_ok(missed == 0,
	       "each of the %zu flipped bytes is refused (%zu not)", m->len,
	       missed);
	m->p[40] ^= 1; /* inside the first record's header */
	mem_parse(m, err, sizeof(err), &n);
	tap_ok(strstr(err, "corrupted") && strstr(err, "offset 32"),
	       "the message names the record's offset: %s", err);
	m->p[40] ^= 1;
	m->p[0] = 'X';
	mem_parse(m, err, sizeof(err), &n);
	tap_ok(strstr(err, "not a vireo saved state") != NULL,
	       "another file is not a saved state: %s", err);
	m->p[0] = 0x7f;
	tap_ok(mem_parse(m, err, sizeof(err), &n) == 0 && n == 3,
	       "the stream is valid again");
}

/* Store @v at @off and fix the header checksum(s) that cover it. */
static void
patch32(struct memio *m, size_t off, uint32_t v, size_t crc_at, size_t crc_len)
{
	uint32_t c;

	memcpy(m->p + off, &v, 4);
	c = vmm_state_crc32(m->p + crc_at, crc_len, 0);
	memcpy(m->p + crc_at + crc_len, &c, 4);
}

static void
test_version_and_limits(struct memio *m)
{
	char err[256];
	int n;

	patch32(m, 8, VMM_STATE_VERSION + 1, 0, 28);
	tap_ok(mem_parse(m, err, sizeof(err), &n) == -EPROTONOSUPPORT &&
		   strstr(err, "newer"),
	       "a newer format version is refused: %s", err);
	patch32(m, 8, VMM_STATE_VERSION, 0, 28);
	/* first record's length: 4 GiB + 15, with a valid header checksum */
	patch32(m, 32 + 12, 1, 32, 20);
	tap_ok(mem_parse(m, err, sizeof(err), &n) == -EPROTO &&
		   strstr(err, "longer than"),
	       "a record longer than the limit is refused: %s", err);
	patch32(m, 32 + 12, 0, 32, 20);
	tap_ok(mem_parse(m, err, sizeof(err), &n) == 0, "valid again");
}

/* ---- the software CPU's record ----------------------------------------- */

static struct vmm *
make_vm(uint32_t heads, char *err, size_t errlen)
{
	struct vmm_config cfg = {.cpus = 1,
				 .ram_bytes = 32ull << 20,
				 .heads = heads,
				 .boot = VMM_BOOT_TESTCARD,
				 .accel = VMM_ACCEL_SOFTWARE};
	struct vmm *vm = NULL;

	cfg.kernel = getenv("VIREO_TESTCARD");
	if (vmm_create(&cfg, NULL, NULL, &vm, err, errlen))
		return NULL;
	return vm;
}

static void
set_regs(uc_engine *uc)
{
	static const int gprs[] = {UC_X86_REG_RAX, UC_X86_REG_RBX,
				   UC_X86_REG_R9,  UC_X86_REG_R15,
				   UC_X86_REG_RSP, UC_X86_REG_CR2};
	uint64_t v = 0x1122334455667700ull, x[2] = {0xdeadbeefcafef00dull, 7};
	uint64_t rflags = 0x3000 | 0x2 | 0x1 | 0x40 | 0x800; /* CF ZF OF */
	uint8_t st[10] = {1, 2, 3, 4, 5, 6, 7, 0x88, 0xff, 0x3f};
	uint16_t fcw = 0x27f;
	uint32_t mxcsr = 0x1f80 | 0x6000; /* round toward zero */
	uc_x86_msr lstar = {.rid = 0xc0000082, .value = 0xffffffff81000000ull};

	for (size_t i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++, v++)
		uc_reg_write(uc, gprs[i], &v);
	uc_reg_write(uc, UC_X86_REG_RFLAGS, &rflags);
	uc_reg_write(uc, UC_X86_REG_XMM13, x);
	uc_reg_write(uc, UC_X86_REG_FP3, st);
	uc_reg_write(uc, UC_X86_REG_FPCW, &fcw);
	uc_reg_write(uc, UC_X86_REG_MXCSR, &mxcsr);
	uc_reg_write(uc, UC_X86_REG_MSR, &lstar);
	v = 0x7fff00001000ull;
	uc_reg_write(uc, UC_X86_REG_GS_BASE, &v);
	v = 0x400;
	uc_reg_write(uc, UC_X86_REG_DR0, &v);
}

static int
save_vcpu(struct vmm *vm, struct memio *m, char *err, size_t errlen)
{
	struct vmm_state_io io = memio_io(m);
	struct vmm_sw w;
	int r;

	memset(m, 0, sizeof(*m));
	vmm_sw_begin(&w, &io, 0);
	vmm_sw_rec(&w, "UCPU", 1, 0);
	r = vmm_soft_vcpu_save(&vm->vcpus[0], &w, err, errlen);
	if (!r)
		r = vmm_sw_end_rec(&w);
	if (!r)
		r = vmm_sw_finish(&w);
	vmm_sw_free(&w);
	return r;
}

/* Load the first record of @m, read as @short_by bytes shorter. */
static int
load_vcpu(struct vmm *vm, struct memio *m, size_t short_by, char *err,
	  size_t errlen)
{
	struct vmm_state_io io = memio_io(m);
	struct vmm_state_reader rd;
	struct vmm_sr rec;
	int r;

	m->pos = 0;
	r = vmm_state_begin(&rd, &io, err, errlen);
	if (!r && vmm_state_next(&rd, &rec, err, errlen) != 1)
		r = -EPROTO;
	if (!r) {
		rec.len -= short_by;
		r = vmm_soft_vcpu_load(&vm->vcpus[0], &rec, err, errlen);
	}
	vmm_state_reader_free(&rd);
	return r;
}

static void
test_soft_vcpu(void)
{
	struct vmm *a, *b;
	struct memio ma, mb;
	char err[256] = "";
	uint64_t rax = 0, x[2] = {0, 0}, cs = 0, lstar_v;
	uc_x86_msr lstar = {.rid = 0xc0000082};
	uc_engine *ub;
	int r;

	a = make_vm(1, err, sizeof(err));
	b = a ? make_vm(1, err, sizeof(err)) : NULL;
	if (!a || !b) {
		tap_ok(0, "two software-CPU VMs: %s", err);
		vmm_destroy(a);
		return;
	}
	set_regs(vmm_soft_engine(&a->vcpus[0]));
	r = save_vcpu(a, &ma, err, sizeof(err));
	tap_ok(r == 0, "the registers are saved (%zu bytes) %s", ma.len, err);
	tap_ok(load_vcpu(b, &ma, 0, err, sizeof(err)) == 0,
	       "and loaded into another VM %s", err);
	tap_ok(save_vcpu(b, &mb, err, sizeof(err)) == 0 && ma.len == mb.len &&
		   !memcmp(ma.p + 32, mb.p + 32, ma.len - 32),
	       "whose record is then byte for byte the same");
	ub = vmm_soft_engine(&b->vcpus[0]);
	uc_reg_read(ub, UC_X86_REG_RAX, &rax);
	uc_reg_read(ub, UC_X86_REG_XMM13, x);
	uc_reg_read(ub, UC_X86_REG_CS, &cs);
	uc_reg_read(ub, UC_X86_REG_MSR, &lstar);
	lstar_v = lstar.value;
	tap_ok(rax == 0x1122334455667700ull && x[0] == 0xdeadbeefcafef00dull &&
		   x[1] == 7 && (cs & 3) == 3 &&
		   lstar_v == 0xffffffff81000000ull,
	       "RAX, XMM13, CS (ring 3) and LSTAR are the saved ones");
	/* a record one byte short is refused by the register reader */
	tap_ok(load_vcpu(b, &ma, 1, err, sizeof(err)) == -EPROTO &&
		   strstr(err, "register record of"),
	       "a short register record is refused: %s", err);
	memio_free(&ma);
	memio_free(&mb);
	vmm_destroy(a);
	vmm_destroy(b);
}

/* A state of a 1-head VM into a 2-head one: refused, and then the VM
 * cannot start. */
static void
test_config_mismatch(const char *dir)
{
	char path[4096], err[512] = "";
	struct vmm *a = make_vm(1, err, sizeof(err)), *b;

	if (snprintf(path, sizeof(path), "%.4000s/one-head.sav", dir) < 0)
		return;
	if (!a || vmm_start(a) || vmm_pause(a)) {
		tap_ok(0, "a VM to save: %s", err);
		vmm_destroy(a);
		return;
	}
	tap_ok(vmm_save_state(a, path, err, sizeof(err)) == 0,
	       "a paused VM is saved %s", err);
	tap_ok(vmm_check_state(path, err, sizeof(err)) == 0,
	       "and the file checks %s", err);
	vmm_destroy(a);
	b = make_vm(2, err, sizeof(err));
	if (!b) {
		tap_ok(0, "a 2-head VM: %s", err);
		return;
	}
	tap_ok(vmm_restore_state(b, path, err, sizeof(err)) == -EINVAL &&
		   strstr(err, "monitor count 1, this VM has 2"),
	       "a 2-head VM refuses a 1-head state: %s", err);
	tap_ok(vmm_start(b) == -EINVAL, "and will not start after that");
	vmm_destroy(b);
	unlink(path);
}

/* vmm_state_crc32 against liblzma's own CRC-32: lengths around the
 * 64- and 16-byte steps of the fast path and up to 1 MiB, every start
 * alignment within 64 bytes, several starting values. */
static void
test_crc(void)
{
	size_t size = (1u << 20) + 64, bad = 0, tried = 0;
	uint8_t *b = malloc(size);
	uint32_t seed = 12345;

	if (!b) {
		tap_ok(0, "a 1 MiB buffer");
		return;
	}
	for (size_t i = 0; i < size; i++) {
		seed = seed * 1103515245u + 12345u;
		b[i] = (uint8_t)(seed >> 16);
	}
	for (size_t n = 0; n <= (1u << 20); n = n < 300 ? n + 1 : n * 2 + 13)
		for (size_t off = 0; off < 64; off += 7)
			for (uint32_t c = 0; c < 3; c++) {
				uint32_t start = c * 0x9e3779b9u;

				tried++;
				bad += vmm_state_crc32(b + off, n, start) !=
				       lzma_crc32(b + off, n, start);
			}
	free(b);
	tap_ok(bad == 0,
	       "the state checksum equals liblzma's CRC-32 (%zu of %zu "
	       "cases differ)",
	       bad, tried);
}

int
main(void)
{
	const char *t = getenv("TMPDIR");
	char dir[4096];
	struct memio m;

	if (!getenv("VIREO_TESTCARD"))
		tap_skip_all("VIREO_TESTCARD not set");
	sample_stream(&m);
	test_roundtrip(&m);
	test_truncation(&m);
	test_corruption(&m);
	test_version_and_limits(&m);
	memio_free(&m);
	test_soft_vcpu();
	test_crc();
	snprintf(dir, sizeof(dir), "%s/vireo-test-state.XXXXXX",
		 t && *t ? t : "/tmp");
	if (mkdtemp(dir)) {
		test_config_mismatch(dir);
		rmdir(dir);
	} else {
		tap_ok(0, "a temporary directory: %s", strerror(errno));
	}
	printf("1..%d\n", tap_count);
	return tap_done();
}
