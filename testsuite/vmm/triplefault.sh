#!/bin/sh
# A guest triple fault is reported as such (VMM_EXIT_TRIPLE_FAULT), and a
# guest power-off through the port as a power off, not as a crash.
. "$srcdir/vmm/vmm-lib.sh"
out=$(timeout 60 "$VMM_RUN" -S -a triplefault "serial:testcard ready" \
	exit:triple-fault)
st=$?
out2=$(timeout 60 "$VMM_RUN" -S -a poweroff "serial:testcard poweroff\n" \
	exit:poweroff)
st2=$?
plan 4
printf '%s\n%s\n' "$out" "$out2" | grep '^#'
is "$st" 0 "vmm-run exits 0 after a triple fault"
like "$out" "ok 2 - VM stopped with reason triple-fault" "triple fault reported"
is "$st2" 0 "vmm-run exits 0 after a guest power off"
like "$out2" "ok 2 - VM stopped with reason poweroff" "guest power off reported"
done_testing
