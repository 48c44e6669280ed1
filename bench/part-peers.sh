# part-peers.sh - (sourced by bench/run) not written yet.
not_measured peers all "harness not written yet"
