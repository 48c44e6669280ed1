# part-peers.sh - the peers users would pick instead of vireo, showing the
# same animation (sourced by bench/run).
#
# FreeRDP's shadow server and Weston's RDP backend show xanim (the test
# card drawn by the guest's own draw.c, 1024x768, 30 frames per second) and are measured
# by rdp-watch exactly like vireo; QEMU boots the same picture as its own
# guest image and is measured by vnc-probe (part-qemu.sh).

rw=$builddir/rdp-watch
xanim=$builddir/xanim

# start_xvfb: starts Xvfb on a free display; sets $xdisp.
start_xvfb() {
	rm -f "$work/xvfb.display"
	bg xvfb Xvfb -displayfd 5 -screen 0 1024x768x24 -nolisten tcp \
		5>"$work/xvfb.display"
	xvfb_pid=$bg_pid
	for _i in $(seq 50); do
		[ -s "$work/xvfb.display" ] && break
		sleep 0.1
	done
	xdisp=$(cat "$work/xvfb.display" 2>/dev/null)
	[ -n "$xdisp" ]
}

peer_shadow() {
	command -v freerdp-shadow-cli >/dev/null ||
		{ not_measured serve shadow "freerdp-shadow-cli not installed (tools/install-deps --bench)"; return; }
	command -v Xvfb >/dev/null ||
		{ not_measured serve shadow "Xvfb not installed"; return; }
	start_xvfb || { not_measured serve shadow "Xvfb did not start"; return; }
	# shellcheck disable=SC2046 # scene_card_args is words
	DISPLAY=:$xdisp bg xanim-shadow "$xanim" --override $(scene_card_args)
	xanim_pid=$bg_pid
	port=$(free_port 37000 37099)
	DISPLAY=:$xdisp bg shadow freerdp-shadow-cli "/port:$port" \
		/bind-address:127.0.0.1 -auth /sec:tls
	shadow_pid=$bg_pid
	if wait_port "$port" 30; then
		log "shadow: measuring on port $port (display :$xdisp)"
		measure_rdp shadow "$shadow_pid" "$port"
		want scaling && scaling_levels shadow "$shadow_pid" "$port" \
			"$(cpu_rate "$shadow_pid" 3)"
		note shadow "FreeRDP's shadow server mirrors an Xvfb display showing xanim (the test card drawn by the guest's own src/guest/draw.c in an X11 window); CPU is the freerdp-shadow-cli process only (not Xvfb)."
	else
		not_measured serve shadow "freerdp-shadow-cli did not listen (see $work/shadow.log)"
	fi
	stop "$shadow_pid"
	stop "$xanim_pid"
	stop "$xvfb_pid"
}

peer_weston() {
	command -v weston >/dev/null ||
		{ not_measured serve weston "weston not installed (tools/install-deps --bench)"; return; }
	command -v Xwayland >/dev/null ||
		{ not_measured serve weston "Xwayland not installed (tools/install-deps --bench)"; return; }
	wdir=$work/weston
	mkdir -p -m 700 "$wdir/xdg"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bench \
		-keyout "$wdir/key.pem" -out "$wdir/cert.pem" >/dev/null 2>&1 ||
		{ not_measured serve weston "openssl could not make a certificate"; return; }
	port=$(free_port 37100 37199)
	XDG_RUNTIME_DIR=$wdir/xdg bg weston weston --backend=rdp-backend.so \
		--width=1024 --height=768 --address=127.0.0.1 --port="$port" \
		--rdp-tls-cert="$wdir/cert.pem" --rdp-tls-key="$wdir/key.pem" \
		--no-clients-resize --shell=kiosk-shell.so --xwayland \
		--socket="vireo-bench-$$" --no-config --log="$wdir/weston.log"
	weston_pid=$bg_pid
	wdisp=
	for _i in $(seq 100); do
		wdisp=$(sed -n 's/.*xserver listening on display :\([0-9]*\).*/\1/p' \
			"$wdir/weston.log" 2>/dev/null | head -n1)
		[ -n "$wdisp" ] && break
		sleep 0.1
	done
	if [ -z "$wdisp" ] || ! wait_port "$port" 20; then
		not_measured serve weston "weston did not start (see $wdir/weston.log)"
		stop "$weston_pid"
		return
	fi
	# Xwayland starts on the first X client.
	# shellcheck disable=SC2046 # scene_card_args is words
	DISPLAY=:$wdisp bg xanim-weston "$xanim" --override $(scene_card_args)
	xanim_pid=$bg_pid
	sleep 2
	log "weston: measuring on port $port (Xwayland :$wdisp)"
	measure_rdp weston "$weston_pid" "$port"
	want scaling && scaling_levels weston "$weston_pid" "$port" \
		"$(cpu_rate "$weston_pid" 3)"
	note weston "Typed keys do not reach the X client: Weston's kiosk shell gives the RDP seat's keyboard to no Xwayland window, so there is no input-to-display latency for Weston. Weston draws its own pointer into the picture. CPU is the weston process only (not Xwayland)."
	stop "$xanim_pid"
	stop "$weston_pid"
}

if [ ! -x "$rw" ]; then
	not_measured serve peers "bench/rdp-watch was not built"
elif [ ! -x "$xanim" ]; then
	not_measured serve shadow "bench/xanim was not built (needs libx11-dev)"
	not_measured serve weston "bench/xanim was not built (needs libx11-dev)"
else
	peer_shadow
	peer_weston
fi
[ -f "$srcdir/part-qemu.sh" ] && . "$srcdir/part-qemu.sh"
