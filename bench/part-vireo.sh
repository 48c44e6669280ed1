# part-vireo.sh - (sourced by bench/run) not written yet.
not_measured vireo all "harness not written yet"
