#!/bin/sh
# codecs.sh - every encoding path shows the right pixels, follows changes
# and follows a resize of the VM screen: graphics pipeline planar, legacy
# planar without alpha, planar with alpha (what rdesktop gets),
# interleaved at 24, 16 and 15 bpp, and RemoteFX (pipeline and
# SurfaceBits).
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
plan 32
tap_tmpdir

PIX="--wait-pixel 100,100,ff0000 --wait-pixel 700,100,00ff00 --wait-pixel 100,500,0000ff --wait-pixel 799,599,ffffff --wait-pixel 20,20,101010"
# The codec a client is served, once it is settled: query_info(CODEC) is
# empty until the client is activated, and a pipeline client is on the
# bitmap path until its graphics channel is open.  Polls up to 10 s for
# @2, then prints the last answer (which the caller compares).
codec_of() {
	for _ in $(seq 100); do
		got=$(host_cmd info 20 "$1")
		[ "$got" = "$2" ] && break
		sleep 0.1
	done
	echo "$got"
}

host_start
n=0
for mode in "--gfx:gfx-planar" "--no-gfx:bitmap-planar" \
	"--no-gfx --no-skip-alpha:bitmap-planar-alpha" \
	"--no-gfx --bpp 24:bitmap-interleaved-24" \
	"--no-gfx --bpp 16:bitmap-interleaved-16" \
	"--no-gfx --bpp 15:bitmap-interleaved-15"; do
	args=${mode%%:*}
	codec=${mode#*:}
	n=$((n + 1))
	# components 00/ff only: exact at 15 and 16 bpp too
	c=$(echo ff00ff 00ffff ffff00 000000 ff00ff 00ffff | cut -d' ' -f$n)
	# shellcheck disable=SC2086
	probe --sec tls $args $PIX --wait-pixel 230,130,$c --wait-stable 300 \
		--dump "$TMPD/d$n.png" --sleep 200 >"$TMPD/p$n.json" &
	pp=$!
	sleep 1.5
	host_cmd fill 0 200 100 50 50 $c
	wait $pp
	rc=$?
	tap_result $rc "$codec: picture and a change arrive"
	[ $rc = 0 ] || sed 's/^/#   /' "$TMPD/p$n.json" | cut -c1-600
	# the lossless ones (32 and 24 bpp): the whole picture, every pixel
	if [ $n -le 4 ]; then
		rdp_host_picture "$TMPD/want.png"
		convert "$TMPD/want.png" -fill "#$c" \
			-draw 'rectangle 200,100 249,149' "PNG24:$TMPD/want.png"
		d=$(picture_diff "$TMPD/d$n.png" "$TMPD/want.png")
		is "$d" 0 "$codec: the client's whole picture is exact (pixels that differ)"
		[ "$d" = 0 ] || picture_diag "$TMPD/d$n.png" "$TMPD/want.png"
	fi
	ids=$(grep -c '^connect client' "$TMPD/host.out")
	like "$(cat "$TMPD/host.err")" "client $ids \\(127.0.0.1\\) user" \
		"$codec: client $ids logged on"
done
host_cmd fill 0 200 100 50 50 ff0000

# The same picture and change cost the graphics pipeline no more bytes
# than bitmap updates (FreeRDP's pipeline sends PDUs uncompressed: this
# module compresses them itself; without that, several times more).
bytes_of() {
	sed -n 's/.*"bytes_received":\([0-9]*\).*/\1/p' "$1"
}
gb=$(bytes_of "$TMPD/p1.json")
bb=$(bytes_of "$TMPD/p2.json")
ok "graphics pipeline bytes ($gb) <= bitmap update bytes ($bb)" \
	test "${gb:-0}" -gt 0 -a "${bb:-0}" -gt 0 -a "${gb:-0}" -le "${bb:-0}"
# Channel data (the pipeline's frames) goes in chunks of the size the
# server announces; at the default 1,600 bytes each chunk's own headers
# and TLS record cost the pipeline about 3 % against fast-path bitmaps.
like "$(cat "$TMPD/p1.json")" '"vc_chunk":16256' \
	"the server announces virtual channel chunks of 16,256 bytes"

# Resize while connected: the client follows (DesktopResize or
# ResetGraphics) and sees the new picture at the new size.
for mode in "--gfx:gfx" "--no-gfx:bitmap"; do
	args=${mode%%:*}
	host_cmd resize 0 800 600
	up=$(grep -c 'session up' "$TMPD/host.err")
	# shellcheck disable=SC2086
	# (350,100) is red at 800x600 and green at 640x480
	probe --sec tls $args --wait-pixel 700,100,00ff00 \
		--wait-pixel 350,100,00ff00 --wait-pixel 639,479,ffffff \
		--wait-pixel 100,400,0000ff --sleep 300 >"$TMPD/r.json" &
	pp=$!
	# resize only once the client has its session at 800x600 (on a
	# loaded machine 2 s were not always enough to get there)
	for _ in $(seq 300); do
		[ "$(grep -c 'session up' "$TMPD/host.err")" -gt "$up" ] && break
		sleep 0.1
	done
	sleep 2
	host_cmd resize 0 640 480
	wait $pp
	tap_result $? "${mode#*:}: follows a resize to 640x480"
	like "$(cat "$TMPD/r.json")" '"width":640,"height":480' \
		"${mode#*:}: session size is now 640x480"
	host_cmd resize 0 800 600
done

# Sharing: two clients with the same configuration see the same bytes.
probe --sec tls --no-gfx --wait-pixel 100,100,ff0000 --sleep 3000 \
	>/dev/null &
p1=$!
probe --sec tls --no-gfx --wait-pixel 100,100,ff0000 --sleep 3000 \
	>/dev/null &
p2=$!
for _ in $(seq 100); do
	ids=$(host_cmd info 3)
	[ "${ids#* }" != "$ids" ] && break # two ids
	sleep 0.1
done
codec=$(codec_of "${ids%% *}" bitmap-planar)
is "$codec" bitmap-planar "query_info(CODEC) names the encoding path"
like "$(host_cmd info 11 "${ids%% *}")" '^[1-9][0-9]{3,}$' \
	"query_info(BYTES_SENT) counts the client's bytes"
like "$(host_cmd info 12 "${ids%% *}")" '^[1-9][0-9]{2,}$' \
	"query_info(BYTES_RECEIVED) counts the client's bytes"
wait $p1
tap_result $? "first of two sharing clients"
wait $p2
tap_result $? "second of two sharing clients"
host_stop

# RemoteFX on the graphics pipeline (Property/GfxCodec): lossy, so the
# pixels are compared within a tolerance.
host_start --prop Property/GfxCodec=remotefx
probe --sec tls --gfx --wait-pixel 100,100,ff0000~8 \
	--wait-pixel 700,100,00ff00~8 --wait-pixel 100,500,0000ff~8 \
	--wait-pixel 20,20,101010~8 --wait-pixel 230,130,ff00ff~8 \
	--sleep 1500 >"$TMPD/rfx.json" &
pp=$!
# the client must be there first (bounded: a loaded machine is slow)
for _ in $(seq 200); do
	ids=$(host_cmd info 3)
	[ -n "$ids" ] && break
	sleep 0.1
done
host_cmd fill 0 200 100 50 50 ff00ff
is "$(codec_of "${ids%% *}" gfx-remotefx)" gfx-remotefx \
	"RemoteFX: query_info(CODEC) says so"
wait $pp
rc=$?
tap_result $rc "RemoteFX: picture and a change arrive"
[ $rc = 0 ] || cut -c1-600 "$TMPD/rfx.json" | sed 's/^/#   /'
# A bitmap-path client that offers RemoteFX gets it as SurfaceBits; one
# that does not still gets exact planar bitmaps from the same server.
probe --sec tls --rfx --wait-pixel 100,100,ff0000~8 \
	--wait-pixel 230,130,ff00ff~8 --wait-pixel 20,20,101010~8 \
	--sleep 1500 >"$TMPD/sb.json" &
pp=$!
for _ in $(seq 100); do
	ids=$(host_cmd info 3)
	[ -n "$ids" ] && break
	sleep 0.1
done
is "$(codec_of "${ids%% *}" surfacebits-remotefx)" surfacebits-remotefx \
	"RemoteFX SurfaceBits: query_info(CODEC) says so"
wait $pp
tap_result $? "RemoteFX SurfaceBits: the picture arrives"
probe_ok "a client without RemoteFX still gets exact planar bitmaps" \
	--sec tls --wait-pixel 100,100,ff0000 --wait-pixel 230,130,ff00ff
done_testing
