# part-encoders.sh - codec micro-benchmarks (sourced by bench/run).
# One process per repetition; each prints one JSON line per cell.
enc=$builddir/encoders
if [ -x "$enc" ]; then
	rep=1
	while [ "$rep" -le "$reps" ]; do
		log "encoders: repetition $rep/$reps"
		record "$rep" timeout 600 "$enc" --seconds "$enc_seconds" ||
			log "encoders: exit status $? (see $work/stderr.log)"
		rep=$((rep + 1))
	done
else
	not_measured encoder all "bench/encoders was not built (make bench builds it)"
fi
