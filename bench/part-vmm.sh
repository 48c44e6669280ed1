# part-vmm.sh - VMM start-up time and memory: vireo's VMM booting the
# testcard guest against QEMU booting the QEMU build of the test card
# (sourced by bench/run).
#
# Both print "testcard ready heads=1" on COM1 once the first frame is
# drawn; the time from starting the process to the first frame is
# compared (vireo: the display model's first update, as vmm-run reports
# it; QEMU: the COM1 line, which its image prints right after drawing).
# Memory is the resident set beyond the guest RAM mapping (64 MiB for
# both), from /proc/<pid>/smaps, taken when the line appears.  vireo is
# measured by the VMM's own driver (testsuite/vmm/vmm-run, as in
# bench/vmm-boot.sh); QEMU is measured from here.

vmm_run=$top_builddir/testsuite/vmm/vmm-run
vmm_card=$top_builddir/src/guest/testcard.elf
guest_kb=65536

vmm_vireo() {
	if [ ! -x "$vmm_run" ] || [ ! -f "$vmm_card" ]; then
		not_measured vmm vireo "testsuite/vmm/vmm-run or the testcard guest was not built"
		return
	fi
	if ! { [ -c /dev/kvm ] && (exec 3<>/dev/kvm); } 2>/dev/null; then
		not_measured vmm vireo "cannot open /dev/kvm"
		return
	fi
	_rep=1
	while [ "$_rep" -le "$reps" ]; do
		_t0=$(date +%s%N)
		VIREO_BENCH_T0=$_t0 VIREO_TESTCARD=$vmm_card timeout 60 \
			"$vmm_run" -b -H 1 "serial:testcard ready" poweroff \
			exit:host-poweroff 2>>"$work/stderr.log" | grep '^{' |
			sed 's/ //g' >"$work/vmm.json"
		# {"first_update_ms":..,"ready_ms":..,"rss_kib":..,
		#  "guest_ram_rss_kib":..,"rss_beyond_guest_ram_kib":..}
		if [ -s "$work/vmm.json" ]; then
			awk -v rep="$_rep" -v gkb="$guest_kb" -F'[:,{}]' '{
				for (i = 2; i < NF; i += 2) v[$i] = $(i + 1)
				first = v["\"first_update_ms\""]
				printf "{\"cmd\":\"%s\",\"rep\":%d,\"bench\":\"vmm\",\"vmm\":\"vireo\",", cmd, rep
				if (first >= 0) printf "\"first_frame_s\":%.4f,", first / 1000
				# vmm-run prints -1 for a moment it did not see
				ready = v["\"ready_ms\""]
				if (ready >= 0) printf "\"ready_s\":%.4f,", ready / 1000
				printf "\"rss_kb\":%d,\"rss_beyond_guest_kb\":%d,\"guest_ram_kb\":%d}\n",
					v["\"rss_kib\""], v["\"rss_beyond_guest_ram_kib\""], gkb
			}' cmd="VIREO_BENCH_T0=\$(date +%s%N) testsuite/vmm/vmm-run -b -H 1 'serial:testcard ready' poweroff exit:host-poweroff" \
				"$work/vmm.json" >>"$raw"
		else
			log "vmm: vmm-run gave no figures (see $work/stderr.log)"
		fi
		_rep=$((_rep + 1))
	done
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
	if [ "$1" = kvm ] && ! { [ -c /dev/kvm ] && (exec 3<>/dev/kvm); } 2>/dev/null; then
		not_measured vmm "$_vname" "cannot open /dev/kvm"
		return
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
			emit "{\"cmd\":\"qemu-system-x86_64 -accel $1 -m 64 -nodefaults -vga none -device bochs-display -kernel bench/testcard-qemu.elf -vnc ... -serial file:LOG (time to 'testcard ready' in LOG; RSS from /proc/PID/smaps)\",\"rep\":$_rep,\"bench\":\"vmm\",\"vmm\":\"$_vname\",\"ready_s\":$_rs,\"first_frame_s\":$_rs,\"rss_kb\":$3,\"rss_beyond_guest_kb\":$(($3 - $4)),\"guest_ram_kb\":$guest_kb}"
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
vmm_vireo
vmm_qemu tcg "$reps"
# One start only: it takes tens of seconds here (see the note).
vmm_qemu kvm 1
note qemu-kvm "QEMU with KVM spends its start-up in SeaBIOS, whose ring-0 code KVM emulates instruction by instruction on this kind of machine (see DESIGN.md), so it is started once; qemu-tcg shows what the same firmware and image cost without that.  Hosts with ordinary hardware virtualization boot it in well under a second."
