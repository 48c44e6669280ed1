# part-qemu.sh - QEMU's VNC server showing the test card (sourced by
# part-peers.sh).  QEMU boots bench/testcard-qemu.elf (qemu/: the guest's draw.c
# picture behind a Multiboot entry, on QEMU's bochs-display) and
# vnc-probe measures it like rdp-watch measures the RDP servers.
#
# The guest runs under TCG: on this kind of machine KVM emulates guest
# ring-0 code instruction by instruction, and it faults when this 32-bit
# image turns paging on, while without paging its ring-3 loop is emulated
# too (about 1 frame per second).  Only the VNC server's CPU time counts
# (the "CPU n/TCG" threads are excluded), so TCG does not change what is
# compared.

vp=$builddir/vnc-probe
qimg=$builddir/testcard-qemu.elf

# qemu_start ACCEL NAME: boots the image; sets $qemu_pid, $qemu_port.
qemu_start() {
	qemu_port=$(free_port 37200 37299)
	rm -f "$work/qemu-serial.log"
	bg "qemu-$2" qemu-system-x86_64 -name "vireo-bench,debug-threads=on" \
		-accel "$1" -m 64 -nodefaults -vga none -device bochs-display \
		-kernel "$qimg" -append "$(scene_guest_cmdline)" \
		-vnc "127.0.0.1:$((qemu_port - 5900))" \
		-serial "file:$work/qemu-serial.log" -display none \
		-no-reboot -monitor none
	qemu_pid=$bg_pid
}

peer_qemu() {
	command -v qemu-system-x86_64 >/dev/null ||
		{ not_measured serve qemu-vnc "qemu-system-x86_64 not installed (tools/install-deps --bench)"; return; }
	[ -x "$vp" ] ||
		{ not_measured serve qemu-vnc "bench/vnc-probe was not built (needs libvncserver-dev)"; return; }
	[ -f "$qimg" ] ||
		{ not_measured serve qemu-vnc "bench/testcard-qemu.elf was not built"; return; }
	qemu_start tcg serve
	if ! wait_port "$qemu_port" 30; then
		not_measured serve qemu-vnc "QEMU did not open its VNC port (see $work/qemu-serve.log)"
		stop "$qemu_pid"
		return
	fi
	log "qemu-vnc: measuring on port $qemu_port"
	record_accel=tcg
	_rep=1
	while [ "$_rep" -le "$reps" ]; do
		# shellcheck disable=SC2046 # scene_watch_args is words
		record "$_rep" timeout $((serve_seconds + 60)) "$vp" \
			--server qemu-vnc $(scene_watch_args) --server-pid "$qemu_pid" \
			--exclude-threads TCG --seconds "$serve_seconds" \
			--timeout 30 127.0.0.1 "$qemu_port" ||
			log "qemu-vnc: vnc-probe failed (exit $?)"
		_rep=$((_rep + 1))
	done
	record_accel=
	note qemu-vnc "QEMU 7.2's VNC server (default encodings negotiated by libvncclient: Tight/ZRLE, lossless) showing bench/testcard-qemu.elf, the testcard guest's own drawing code (src/guest/draw.c) behind a Multiboot entry on QEMU's bochs-display; the guest runs under TCG (KVM here emulates this image's ring-0 code and cannot turn its paging on), and the CPU figure excludes the guest's TCG threads."
	stop "$qemu_pid"
}

[ "${qemu_functions_only:-0}" = 1 ] || peer_qemu
