# part-video.sh - the video delivery paths (sourced by bench/run): runs
# bench/video.sh (the video area's own benchmark: bytes per second and
# server CPU per path and quality for a 640x360 area at 25 fps), which
# writes video-<date>-<host>.{json,md} next to the other results.
vs=$srcdir/video.sh
if [ ! -f "$vs" ]; then
	not_measured video all "bench/video.sh is not in this tree"
elif [ ! -x "$top_builddir/testsuite/video/video-host" ] ||
	[ ! -x "$top_builddir/testsuite/rdp-probe/rdp-probe" ] ||
	[ ! -e "$top_builddir/src/vrde/rdp/.libs/vireo-vrde-rdp.so" ]; then
	not_measured video all "video-host, rdp-probe or the RDP module not built"
else
	log "video: bench/video.sh --seconds $serve_seconds"
	if sh "$vs" --seconds "$serve_seconds" --out "$out" \
		>>"$work/video.log" 2>&1; then
		note video "Video delivery paths: see video-$date-$host.md and .json beside this file (written by bench/video.sh --seconds $serve_seconds)."
	else
		not_measured video all "bench/video.sh failed (exit $?)"
	fi
fi
