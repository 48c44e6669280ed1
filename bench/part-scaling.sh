# part-scaling.sh - (sourced by bench/run) not written yet.
not_measured scaling all "harness not written yet"
