#!/bin/sh
# The CMOS RTC gives the guest the host's time: the testcard prints what
# it read ("testcard rtc ..."), which must be within two minutes of the
# host's UTC clock.  The serial log file and stdout get COM1 too.
. "$srcdir/vmm/vmm-lib.sh"
tap_tmpdir
for a in $VMM_ACCELS; do
	vmm_usable "$a" || continue
	rm -f "$TMPD/com1.log"
	before=$(date -u +%s)
	timeout 60 "$VMM_RUN" -A "$a" -O -s "$TMPD/com1.log" \
		"serial:testcard ready" poweroff exit:host-poweroff >"$TMPD/out" 2>&1
	is "$?" 0 "$a: vmm-run exit status"
	line=$(grep '^testcard rtc ' "$TMPD/com1.log")
	like "$line" '^testcard rtc [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$' \
		"$a: serial log has the RTC line"
	t=$(date -u -d "${line#testcard rtc }" +%s 2>/dev/null || echo 0)
	d=$((t - before))
	[ "$d" -lt 0 ] && d=$((-d))
	ok "$a: RTC within 120 s of the host clock (off by ${d} s)" [ "$d" -le 120 ]
	ok "$a: COM1 also went to stdout" grep -q "^testcard rtc 2" "$TMPD/out"
done
vmm_end
