#!/bin/sh
# valgrind.sh - the module under valgrind: good clients over TLS, NLA,
# RDP and the graphics pipeline, a refused client, scripted bad clients
# and shutdown, then no invalid access and no leak that the module owns.
# Slow (minutes), so it runs only with VIREO_VALGRIND=1
# (make -C testsuite check TESTS=rdp/valgrind.sh VIREO_VALGRIND=1).
# Leaks inside FreeRDP/WinPR/OpenSSL themselves are listed in
# rdp/valgrind.supp with the reason.
. "$srcdir/tap.sh"
. "$srcdir/rdp/lib.sh"
[ "${VIREO_VALGRIND:-0}" = 1 ] ||
	skip_all "valgrind run is opt-in: set VIREO_VALGRIND=1 (takes minutes)"
command -v valgrind >/dev/null 2>&1 || skip_all "valgrind is not installed"
# Valgrind must be able to run FreeRDP's libraries at all on this CPU:
# Debian 12's valgrind 3.19 stops with SIGILL on an instruction it cannot
# decode (rdtscp, 0f 01 f9) in libhwy, which libavcodec pulls in, on
# some CPUs, before any code of ours runs.  The probe links the same
# libraries; where valgrind cannot run it, the sanitizer build
# (tools/test-sanitizers) is what checks the module's memory use.
vg_pre=$(timeout 120 valgrind "$RDP_PROBE" --help 2>&1)
case $vg_pre in
*"unhandled instruction bytes"*)
	skip_all "valgrind cannot run FreeRDP's libraries on this CPU: $(printf '%s\n' "$vg_pre" | grep -m1 'unhandled instruction bytes')"
	;;
esac
plan 13
tap_tmpdir

RDP_HOST_NO_DLCLOSE=1
PROBE_LIMIT=300
export RDP_HOST_NO_DLCLOSE
REAL_HOST=$RDP_HOST
RDP_HOST=$TMPD/vg-host
cat >"$RDP_HOST" <<EOT
#!/bin/sh
exec valgrind --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite \
	--num-callers=40 --suppressions="$srcdir/rdp/valgrind.supp" \
	--log-file="$TMPD/valgrind.log" "$REAL_HOST" "\$@"
EOT
chmod +x "$RDP_HOST"
# valgrind needs time to start: wait longer than host_start does
host_start --usb --user alice:secret --prop Host/AuthHasNtHashes=1 ||
	PORT=$(vrde_wait_port "$TMPD/host.out" "$HOST_PID" 600)
ok "module listens under valgrind" test -n "$PORT"
for sec in tls nla; do
	probe_ok "$sec client" --sec $sec --timeout 200 --user alice \
		--password secret --wait-pixel 100,100,ff0000
done
probe_ok "graphics pipeline client" --sec tls --gfx --timeout 200 \
	--user alice --password secret --wait-pixel 100,100,ff0000
out=$(probe --sec tls --timeout 200 --user alice --password bad --expect-fail logon)
tap_result $? "refused client"
bad=0
for mode in garbage truncated badtls hugetpkt; do
	"$builddir/rdp/rdp-badclient" "$PORT" $mode 60 || bad=1
done
is "$bad" 0 "bad clients connected and were dropped"
probe_ok "a client after the bad ones" --sec tls --timeout 200 --user alice \
	--password secret --wait-pixel 100,100,ff0000
# remote USB: a loopback device, then one whose client answers with a
# malformed completion, then one whose client vanishes mid-transfer
usb_dev() {
	for _ in $(seq 600); do
		[ "$(grep -c '^usb-added' "$TMPD/host.out")" -ge "$1" ] && break
		sleep 0.1
	done
	grep '^usb-added' "$TMPD/host.out" | sed -n "${1}p" |
		sed 's/^usb-added dev=\([0-9]*\) .*/\1/'
}
probe --sec tls --timeout 200 --user alice --password secret \
	--freerdp /dvc:urbdrc,loopback --wait-urbdrc registered=1 \
	--wait-urbdrc retracts=1 >/dev/null &
pu=$!
d=$(usb_dev 1)
vrde_host_cmd usb-ctrl "$d" 0009010000000000 >/dev/null
is "$(vrde_host_cmd usb-loop "$d" 16384 8192)" "ok bytes=16384" \
	"USB loopback under valgrind"
vrde_host_cmd usb-in "$d" bulk 81 64 100 >/dev/null
vrde_host_cmd usb-release "$d" >/dev/null
wait $pu
for m in malformed drop; do
	probe --sec tls --timeout 200 --user alice --password secret \
		--freerdp /dvc:urbdrc,loopback,$m --wait-urbdrc registered=1 \
		--sleep 8000 >/dev/null &
	pu=$!
	[ $m = malformed ] && d=$(usb_dev 2) || d=$(usb_dev 3)
	vrde_host_cmd usb-ctrl "$d" 0009010000000000 >/dev/null
	vrde_host_cmd usb-in "$d" bulk 81 64 8000 >"$TMPD/usb-$m"
	like "$(cat "$TMPD/usb-$m")" "status=2" "USB $m under valgrind: device gone"
	wait $pu
done
like "$(vrde_host_cmd usb-count)" "outstanding=0 bogus=0" \
	"USB under valgrind: every URB completed once"
echo quit >&9
exec 9>&-
rc=0
wait "$HOST_PID" || rc=$?
HOST_PID=
is "$rc" 0 "no valgrind error (exit status)"
ok "no definitely lost block" \
	grep -q 'definitely lost: 0 bytes\|no leaks are possible' \
	"$TMPD/valgrind.log"
[ "$rc" = 0 ] || grep -A25 'Invalid\|definitely lost in' \
	"$TMPD/valgrind.log" | sed 's/^/#   /' | head -80
done_testing
