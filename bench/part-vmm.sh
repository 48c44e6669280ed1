# part-vmm.sh - (sourced by bench/run) not written yet.
not_measured vmm all "harness not written yet"
