#!/bin/sh
# A guest triple fault is reported as such (VMM_EXIT_TRIPLE_FAULT), and a
# guest power-off through the port as a power off, not as a crash.
. "$srcdir/vmm/vmm-lib.sh"
vmm_run -a triplefault "serial:testcard ready" exit:triple-fault
vmm_run -a poweroff "serial:testcard poweroff\n" exit:poweroff
vmm_end
