#!/bin/sh
# Saved state through the VMM, on each accelerator: the testcard with
# two heads runs, a key goes through COM1, the VM is paused and saved and
# the process ends; a second process restores the state (paused) and
# shows every head pixel for pixel as it was, the frame counter where it
# stopped, then continues it (one frame on, not a fresh boot); COM1 is one
# sequence across both processes (one "testcard ready", the key typed
# before, a key and a pointer event queued while paused - saved with the
# devices and delivered after the restore - and the key typed after).
# The pointer's line may come before or after the queued key's: the
# save may land between the guest's keyboard and pointer polls.
# Truncated and corrupted copies of the file are refused with the reason,
# and the files are left as they were.
. "$srcdir/vmm/vmm-lib.sh"
tap_tmpdir

for a in $VMM_ACCELS; do
	vmm_usable "$a" || continue
	S=$TMPD/$a.sav
	LOG=$TMPD/$a-com1.log
	out=$(timeout "$VMM_TIMEOUT" "$VMM_RUN" -A "$a" -H 2 -s "$LOG" \
		"serial:testcard ready heads=2\n" card:0 card:1 damage:0 \
		key:1e,down key:1e,up "serial:key 1e up\n" pause \
		key:1f,down key:1f,up ptr:1,30,40,0 \
		"save:$S" "dumpall:$TMPD/$a-before" poweroff exit:host-poweroff)
	st=$?
	vmm_merge "$a: save" "$out"
	is "$st" 0 "$a: save run exit status"
	frame=$(echo "$out" | sed -n 's/^# saved at frame \([0-9]*\)$/\1/p')
	like "$frame" '^[0-9]+$' "$a: the save reported head 0's frame ($frame)"
	ok "$a: the state file is mode 0600" \
		[ "$(stat -c %a "$S" 2>/dev/null)" = 600 ]

	out=$(timeout "$VMM_TIMEOUT" "$VMM_RUN" -A "$a" -H 2 -s "$LOG" -R "$S" \
		refresh "dumpall:$TMPD/$a-after" "frame:$frame" resume \
		card:0 "serial:ptr 30 40 0 head=1\n" pixel:1,30,40,ff8000 \
		key:30,down key:30,up "serial:key 30 up\n" \
		poweroff exit:host-poweroff)
	st=$?
	vmm_merge "$a: restore" "$out"
	is "$st" 0 "$a: restore run exit status"
	for h in 0 1; do
		ok "$a: head $h is pixel for pixel what it was when saved" \
			cmp -s "$TMPD/$a-before-$h.ppm" "$TMPD/$a-after-$h.ppm"
	done
	# the keyboard's and the pointer's queues are the guest's to poll
	# in its own order, and the save may land between the two polls:
	# the pointer line may come before or after the queued keys
	is "$(grep -v -e '^testcard rtc ' -e '^ptr ' "$LOG" | tr '\n' '|')" \
		"testcard ready heads=2|key 1e down|key 1e up|key 1f down|key 1f up|key 30 down|key 30 up|" \
		"$a: COM1 is one sequence across save and restore, with the keys queued while paused"
	is "$(grep -v -e '^testcard rtc ' -e '^key 1f ' "$LOG" | tr '\n' '|')" \
		"testcard ready heads=2|key 1e down|key 1e up|ptr 30 40 0 head=1|key 30 down|key 30 up|" \
		"$a: COM1: the pointer event queued while paused came once, after the restore, before the next key"

	# damaged copies: refused, with the reason, and left unchanged
	size=$(stat -c %s "$S")
	head -c $((size / 2)) "$S" >"$TMPD/trunc.sav"
	cp "$S" "$TMPD/corrupt.sav"
	printf 'X' | dd of="$TMPD/corrupt.sav" bs=1 seek=$((size / 3)) \
		conv=notrunc 2>/dev/null
	printf 'this is not a state\n' >"$TMPD/other.sav"
	for bad in trunc:truncated corrupt:corrupted "other:not a vireo saved state"; do
		f=$TMPD/${bad%%:*}.sav
		cp "$f" "$f.orig"
		timeout "$VMM_TIMEOUT" "$VMM_RUN" -A "$a" -H 2 -R "$f" \
			poweroff >"$TMPD/out" 2>"$TMPD/err"
		is "$?" 3 "$a: ${bad%%:*} state: vmm-run says the restore was refused"
		like "$(cat "$TMPD/err")" "cannot restore .*${bad#*:}" \
			"$a: ${bad%%:*} state: the reason is given"
		ok "$a: ${bad%%:*} state: the file is unchanged" cmp -s "$f" "$f.orig"
	done
	# the same state on a VM of another shape
	timeout "$VMM_TIMEOUT" "$VMM_RUN" -A "$a" -H 1 -R "$S" poweroff \
		>"$TMPD/out" 2>"$TMPD/err"
	is "$?" 3 "$a: a 1-head VM refuses the 2-head state"
	like "$(cat "$TMPD/err")" "monitor count 2, this VM has 1" \
		"$a: and says why"
done
vmm_end
