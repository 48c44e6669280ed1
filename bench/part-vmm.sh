# part-vmm.sh - VMM start-up time, memory and running cost: vireo's VMM
# booting the testcard guest on each accelerator it has (the software CPU
# always, KVM where the VMM's probe says it works) against QEMU booting
# the QEMU build of the test card (sourced by bench/run).
#
# Both print "testcard ready heads=1" on COM1 once the first frame is
# drawn; the time from starting the process to the first frame is
# compared (vireo: the display model's first update, as vmm-run reports
# it; QEMU: the COM1 line, which its image prints right after drawing).
# Memory is the resident set beyond the guest RAM mapping (64 MiB for
# both), from /proc/<pid>/smaps, taken when the line appears.  For vireo,
# vmm-run -b then watches the running card for $vmm_seconds: the frames
# the guest drew per second (its own frame counter, read from head 0),
# the refreshes of head 0 that carried damage, and the process's CPU
# (VMM and vCPU together, in cores).  vireo is measured by the VMM's own
# driver (testsuite/vmm/vmm-run, as in bench/vmm-boot.sh); QEMU is
# measured from here.

vmm_run=$top_builddir/testsuite/vmm/vmm-run
vmm_card=$top_builddir/src/guest/testcard.elf
guest_kb=65536
if [ "$quick" = 1 ]; then vmm_seconds=2; else vmm_seconds=5; fi

# vmm_vireo ACCEL: the repetitions of vireo's VMM on ACCEL (software or
# kvm), as the row vireo-ACCEL.
vmm_vireo() {
	_vname=vireo-$1
	if [ ! -x "$vmm_run" ] || [ ! -f "$vmm_card" ]; then
		not_measured vmm "$_vname" "testsuite/vmm/vmm-run or the testcard guest was not built"
		return
	fi
	_why=$("$vmm_run" -A "$1" -P 2>&1)
	_prc=$?
	if [ "$_prc" != 0 ]; then
		not_measured vmm "$_vname" "${_why:-vmm-run -A $1 -P exited $_prc}"
		return
	fi
	_cmd="VIREO_BENCH_T0=\$(date +%s%N) VIREO_BENCH_SECONDS=$vmm_seconds testsuite/vmm/vmm-run -A $1 -b -H 1 'serial:testcard ready' poweroff exit:host-poweroff"
	_rep=1
	_ok=0
	while [ "$_rep" -le "$reps" ]; do
		_t0=$(date +%s%N)
		VIREO_BENCH_T0=$_t0 VIREO_BENCH_SECONDS=$vmm_seconds \
			VIREO_TESTCARD=$vmm_card timeout $((vmm_seconds + 90)) \
			"$vmm_run" -A "$1" -b -H 1 "serial:testcard ready" \
			poweroff exit:host-poweroff 2>>"$work/stderr.log" |
			grep '^{' >"$work/vmm.json"
		# one line: accel, first_update_ms, ready_ms, rss_kib,
		# guest_ram_rss_kib, rss_beyond_guest_ram_kib, window_s, fps,
		# updates_per_s, cpu_cores (-1: not seen)
		if python3 - "$work/vmm.json" "$_vname" "$_rep" "$guest_kb" \
			"$_cmd" >>"$raw" <<'PY'
import json, os, sys
src, name, rep, gkb, cmd = sys.argv[1:]
v = json.loads(open(src).readline())
out = {"cmd": cmd, "rep": int(rep), "bench": "vmm", "vmm": name,
       "accel": v["accel"]}
if v["first_update_ms"] >= 0:
    out["first_frame_s"] = round(v["first_update_ms"] / 1000, 4)
if v["ready_ms"] >= 0:
    out["ready_s"] = round(v["ready_ms"] / 1000, 4)
out.update(rss_kb=v["rss_kib"], rss_beyond_guest_kb=v["rss_beyond_guest_ram_kib"],
           guest_ram_kb=int(gkb), window_s=v["window_s"])
if v["fps"] >= 0:
    out["fps"] = v["fps"]
out["updates_per_s"] = v["updates_per_s"]
out["cpu_cores"] = v["cpu_cores"]
if v["fps"] > 0:
    out["cpu_ms_per_frame"] = round(v["cpu_cores"] * 1000 / v["fps"], 2)
out["load1"] = float(open("/proc/loadavg").read().split()[0])
print(json.dumps(out, separators=(",", ":")))
PY
		then
			_ok=$((_ok + 1))
		else
			log "vmm: $_vname gave no figures (see $work/stderr.log)"
		fi
		_rep=$((_rep + 1))
	done
	[ "$_ok" -gt 0 ] || not_measured vmm "$_vname" "vmm-run -A $1 -b gave no figures"
}

# smaps_split PID: prints "TOTAL GUEST" resident KiB (GUEST = mappings
# exactly as large as the guest RAM).
smaps_split() {
	awk -v g="$guest_kb" '
		/^Size:/ { size = $2 }
		/^Rss:/ { total += $2; if (size == g) guest += $2 }
		END { print total + 0, guest + 0 }' "/proc/$1/smaps" 2>/dev/null
}

# vmm_qemu ACCEL REPS: one QEMU start per repetition.
vmm_qemu() {
	_vname=qemu-$1
	if ! command -v qemu-system-x86_64 >/dev/null || [ ! -f "$qimg" ]; then
		not_measured vmm "$_vname" "qemu-system-x86_64 or bench/testcard-qemu.elf missing"
		return
	fi
	if [ "$1" = kvm ]; then
		_why=$(kvm_unusable)
		if [ -n "$_why" ]; then
			not_measured vmm "$_vname" "$_why"
			return
		fi
	fi
	_rep=1
	_ok=0
	while [ "$_rep" -le "$2" ]; do
		_t0=$(date +%s%N)
		qemu_start "$1" "vmm-$1"
		_t1=
		_end=$(($(date +%s) + 150))
		while [ "$(date +%s)" -le "$_end" ] && kill -0 "$qemu_pid" 2>/dev/null; do
			if grep -q 'testcard ready' "$work/qemu-serial.log" 2>/dev/null; then
				_t1=$(date +%s%N)
				break
			fi
			sleep 0.01
		done
		if [ -n "$_t1" ]; then
			set -- "$1" "$2" $(smaps_split "$qemu_pid")
			# The image prints the line right after drawing its first
			# frame: both figures are that moment.
			_rs=$(echo "$_t0 $_t1" | awk '{printf "%.4f", ($2 - $1) / 1e9}')
			emit "{\"cmd\":\"qemu-system-x86_64 -accel $1 -m 64 -nodefaults -vga none -device bochs-display -kernel bench/testcard-qemu.elf -vnc ... -serial file:LOG (time to 'testcard ready' in LOG; RSS from /proc/PID/smaps)\",\"rep\":$_rep,\"bench\":\"vmm\",\"vmm\":\"$_vname\",\"accel\":\"$1\",\"ready_s\":$_rs,\"first_frame_s\":$_rs,\"rss_kb\":$3,\"rss_beyond_guest_kb\":$(($3 - $4)),\"guest_ram_kb\":$guest_kb}"
			set -- "$1" "$2"
			_ok=$((_ok + 1))
		else
			log "vmm: $_vname did not print 'testcard ready' within 150 s"
		fi
		stop "$qemu_pid"
		_rep=$((_rep + 1))
	done
	[ "$_ok" -gt 0 ] || not_measured vmm "$_vname" "no 'testcard ready' on COM1 within 150 s"
}

# part-qemu.sh defines qemu_start and $qimg.
qemu_functions_only=1
. "$srcdir/part-qemu.sh"
vmm_vireo software
vmm_vireo kvm
vmm_qemu tcg "$reps"
# One start only: it takes tens of seconds here (see the note).
vmm_qemu kvm 1
note qemu-kvm "QEMU with KVM spends its start-up in SeaBIOS, whose ring-0 code KVM emulates instruction by instruction on this kind of machine (see DESIGN.md), so it is started once; qemu-tcg shows what the same firmware and image cost without that.  Hosts with ordinary hardware virtualization boot it in well under a second."
note vireo-software "vireo's VMM on its software CPU (Unicorn 2, QEMU's TCG as a library), the testcard guest on one 1024x768 head: fps is the frames the guest drew per second (its own frame counter; it aims at 30), cpu the whole process's CPU in cores over the same window, and CPU ms/frame their ratio, which stays meaningful when a loaded machine gives the process less than it wants.  updates/s counts refreshes of head 0 that carried damage (the display model looks 60 times a second; a frame drawn across several refreshes counts in each)."
