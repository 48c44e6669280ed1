# lib.sh - helpers for the vnc area's shell tests; source after tap.sh.
# Builds on rdp/lib.sh (e2e_setup, e2e_viewer_setup, e2e_start, e2e_stop,
# viewer_display, picture_diff, picture_diag).
#
#   vnc_vm NAME [modifyvm options]   a testcard VM served by the VNC module
#   vnc_passwd FILE PASSWORD         a vncpasswd(1) file, mode 0600
#   vnc_viewer NAME ARGS...          xtigervncviewer in the background
#                                    (sets VIEWER), its log in $TMPD/NAME.log
#   vnc_window TITLE                 wait for the viewer's window; sets WIN
#   vnc_same_picture VM              pause VM, wait until $WIN shows
#                                    exactly the guest's screenshot; prints
#                                    how many pixels differ; resumes
#   vnc_wait_log REGEX [N]           wait until the VM's log has N lines
#   vnc_keys_since N                 COM1 key lines after the first N
#   vnc_key_count                    how many key lines COM1 showed
#   vnc_shift_state FILE             each key press in FILE with 1 when a
#                                    Shift key was held, else 0
. "$srcdir/rdp/lib.sh"

VNC_PORTS=37000-37999

vnc_vm() {
	name=$1
	shift
	timeout 60 vireo-manage createvm --name "$name" --register \
		--basefolder "$TMPD/vms" >/dev/null &&
		timeout 60 vireo-manage modifyvm "$name" --hwvirtex off \
			--vrde on --vrdeport "$VNC_PORTS" --vrde-extpack VNC "$@"
}

vnc_passwd() {
	(umask 077 && printf '%s\n' "$2" | vncpasswd -f >"$1")
}

vnc_viewer() {
	vname=$1
	shift
	HOME=$VHOME xtigervncviewer -AlertOnFatalError=0 \
		-ReconnectOnError=0 "$@" >"$TMPD/$vname.log" 2>&1 &
	VIEWER=$!
}

vnc_window() {
	WIN=
	for _ in $(seq 100); do
		WIN=$(xdotool search --name "$1" 2>/dev/null | head -n 1)
		[ -n "$WIN" ] && import -window "$WIN" "$TMPD/probe.png" \
			2>/dev/null && return 0
		kill -0 "$VIEWER" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

vnc_same_picture() {
	timeout 60 vireo-manage controlvm "$1" pause >/dev/null
	timeout 60 vireo-manage controlvm "$1" screenshotpng "$TMPD/guest.png" \
		>/dev/null
	got=no-window
	for _ in $(seq 60); do
		if [ -n "$WIN" ] && import -window "$WIN" "$TMPD/shot.png" \
			2>/dev/null; then
			got=$(picture_diff "$TMPD/shot.png" "$TMPD/guest.png")
			[ "$got" = 0 ] && break
		fi
		sleep 0.25
	done
	timeout 60 vireo-manage controlvm "$1" resume >/dev/null
	echo "$got"
}

vnc_wait_log() {
	hl_n=${2:-1}
	for _ in $(seq 200); do
		[ "$(grep -Ec -- "$1" "$E2E_DIR/Logs/vireo.log")" -ge "$hl_n" ] &&
			return 0
		sleep 0.1
	done
	return 1
}

# The key lines COM1 showed after its first N of them.
vnc_keys_since() {
	grep '^key ' "$E2E_DIR/Logs/serial.log" | tail -n "+$(($1 + 1))"
}

vnc_key_count() {
	grep -c '^key ' "$E2E_DIR/Logs/serial.log"
}

vnc_shift_state() {
	awk 'BEGIN { s = 0 }
	     /^key (2a|36) down/ { s = 1; next }
	     /^key (2a|36) up/ { s = 0; next }
	     / down$/ { print $2, s }' "$1"
}

# vnc_wait_file FILE SECONDS: wait until FILE exists.
vnc_wait_file() {
	for _ in $(seq $(($2 * 10))); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
