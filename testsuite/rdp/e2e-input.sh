#!/bin/sh
# e2e-input.sh - keyboard and pointer from the probe reach the testcard
# guest exactly: its COM1 log shows every key (with the E0 prefix) and
# every pointer and wheel event, each device's in order; a typed "I" appears on the
# guest's text line, which the probe then sees.  On the software CPU, and
# on KVM where it is usable (the one end-to-end RDP test run on both).
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
e2e_setup

for E2E_ACCEL in software kvm; do
	[ "$E2E_ACCEL" = kvm ] && ! e2e_kvm_usable && continue
	e2e_vm "kb-$E2E_ACCEL"
	e2e_start "kb-$E2E_ACCEL"
	ok "$E2E_ACCEL: VM is up" test -n "$PORT"
	like "$(grep 'accelerator' "$E2E_DIR/Logs/vireo.log")" "accelerator: $E2E_ACCEL" \
		"$E2E_ACCEL: the VM runs on it"
	probe_ok "$E2E_ACCEL: probe types, moves, clicks and scrolls" --sec tls \
		--user $E2E_USER --password $E2E_PASS --wait-pixel 32,100,ffffff \
		--keys 1e,e0:48 --unicode 'aZ' --move 10,20 --click 30,40,l \
		--click 31,41,r --click 32,42,m --wheel 1 --wheel -2 --hwheel 1 \
		--keys 17 --wait-pixel 21,439,ffff00 --sleep 300
	sed -n '/^testcard ready/,$p' "$E2E_DIR/Logs/serial.log" | sed 1d \
		>"$TMPD/got"
	cat >"$TMPD/want" <<'EOT'
key 1e down
key 1e up
key e048 down
key e048 up
key 1e down
key 1e up
key 2a down
key 2c down
key 2c up
key 2a up
ptr 10 20 0
ptr 30 40 1
ptr 30 40 0
ptr 31 41 2
ptr 31 41 0
ptr 32 42 4
ptr 32 42 0
ptr 32 42 0
wheel 1 0
ptr 32 42 0
wheel -2 0
ptr 32 42 0
wheel 0 1
key 17 down
key 17 up
EOT
	# The client may move the pointer on its own when it connects: compare
	# from the first key on.  Keys (the i8042) and pointer events (the
	# display's queue) are two devices the card polls in turn, so only
	# each one's own order is certain: a key sent after a burst of wheel
	# events may be polled before the last of them (seen under ASan).
	sed -n '/^key 1e down/,$p' "$TMPD/got" >"$TMPD/got2"
	for f in want got2; do
		grep '^key ' "$TMPD/$f" >"$TMPD/$f.keys"
		grep -v '^key ' "$TMPD/$f" >"$TMPD/$f.ptr"
	done
	if diff "$TMPD/want.keys" "$TMPD/got2.keys" >"$TMPD/diff" &&
		diff "$TMPD/want.ptr" "$TMPD/got2.ptr" >>"$TMPD/diff"; then
		tap_result 0 "$E2E_ACCEL: COM1 shows exactly the events sent, each device in order"
	else
		tap_result 1 "$E2E_ACCEL: COM1 shows exactly the events sent, each device in order"
		sed 's/^/#   /' "$TMPD/diff"
	fi
	e2e_stop
	is "$E2E_RC" 0 "$E2E_ACCEL: vireo-headless stops cleanly"
done
echo "1..$tap_n"
done_testing
