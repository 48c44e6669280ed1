# part-vireo.sh - vireo end to end: vireo-headless running the testcard
# guest with the RDP module, measured by rdp-watch like the peers
# (sourced by bench/run; part-scaling.sh reuses its functions).
#
# The server's CPU figure is vireo-headless's CPU time minus what it
# spends with no client at all (measured first): the guest's vCPU draws
# the test card in the same process, and that is not serving work.
#
# Paths can be overridden to measure a build elsewhere:
#   VIREO_BENCH_HEADLESS (vireo-headless), VIREO_BENCH_MODULE_DIR
#   (directory with vireo-vrde-rdp.so and vireo-auth-null.so),
#   VIREO_BENCH_TESTCARD (testcard.elf).

vh_bin=${VIREO_BENCH_HEADLESS:-$top_builddir/src/headless/vireo-headless}
vh_card=${VIREO_BENCH_TESTCARD:-$top_builddir/src/guest/testcard.elf}
vh_moddir=${VIREO_BENCH_MODULE_DIR:-}
rw=$builddir/rdp-watch

# The module directory vireo-headless is given: links into the build tree.
if [ -z "$vh_moddir" ]; then
	vh_moddir=$work/modules
	mkdir -p "$vh_moddir"
	for so in "$top_builddir"/src/vrde/rdp/.libs/vireo-vrde-*.so \
		"$top_builddir"/src/vrde/vnc/.libs/vireo-vrde-*.so \
		"$top_builddir"/src/auth/.libs/vireo-auth-*.so; do
		[ -f "$so" ] && ln -sf "$so" "$vh_moddir/"
	done
fi

# vireo_missing [VNC]: prints why vireo with its RDP module (with VNC:
# its VNC module, measured by vnc-probe) cannot be measured, or nothing.
vireo_missing() {
	[ -x "$vh_bin" ] || { echo "vireo-headless not built ($vh_bin)"; return; }
	[ -f "$vh_card" ] || { echo "testcard guest not built ($vh_card)"; return; }
	if [ "${1:-}" = VNC ]; then
		[ -x "$builddir/vnc-probe" ] || { echo "bench/vnc-probe was not built (needs libvncserver-dev)"; return; }
		[ -e "$vh_moddir/vireo-vrde-vnc.so" ] || { echo "VNC module not built (src/vrde/vnc)"; return; }
	else
		[ -x "$rw" ] || { echo "bench/rdp-watch not built"; return; }
		[ -e "$vh_moddir/vireo-vrde-rdp.so" ] || { echo "RDP module not built (src/vrde/rdp)"; return; }
	fi
	[ -e "$vh_moddir/vireo-auth-null.so" ] || { echo "null auth library not built (src/auth)"; return; }
}

# vireo_machine [PACK]: a registered VM "bench" (testcard, 64 MiB, one
# screen, null authentication, several clients allowed), served by the
# remote-display module PACK (VNC; the RDP module when empty).  With null
# authentication and no TCP/Address both modules listen on loopback
# only.
vireo_machine() {
	_pack=${1:+ VRDEExtPack=\"$1\"}
	export VIREO_HOME=$work/vhome
	_dir=$work/vms/bench
	mkdir -p "$VIREO_HOME" "$_dir"
	_uuid='{be4c0000-0000-4000-8000-000000000001}'
	cat >"$_dir/bench.vbox" <<XML
<?xml version="1.0"?>
<VirtualBox xmlns="http://www.virtualbox.org/" version="1.16-linux">
 <Machine uuid="$_uuid" name="bench" OSType="Other">
  <ExtraData>
   <ExtraDataItem name="vireo/Boot/Source" value="testcard"/>
   <ExtraDataItem name="vireo/Boot/Kernel" value="$vh_card"/>
   <ExtraDataItem name="vireo/Boot/Cmdline" value="$(scene_guest_cmdline)"/>
  </ExtraData>
  <Hardware>
   <Memory RAMSize="64"/>
   <Display VRAMSize="16" monitorCount="1"/>
   <RemoteDisplay enabled="true" authType="Null" allowMultiConnection="true"$_pack>
    <VRDEProperties>
     <Property name="TCP/Ports" value="37300-37399"/>
     <!-- the scaling bench connects 32 clients from one address at once -->
     <Property name="Security/MaxPendingPerAddress" value="64"/>
     <Property name="Security/MaxPendingConnections" value="64"/>
    </VRDEProperties>
   </RemoteDisplay>
  </Hardware>
 </Machine>
</VirtualBox>
XML
	cat >"$VIREO_HOME/vireo.xml" <<XML
<?xml version="1.0"?>
<VirtualBox xmlns="http://www.virtualbox.org/" version="1.16-linux">
 <Global>
  <ExtraData/>
  <MachineRegistry><MachineEntry uuid="$_uuid" src="$_dir/bench.vbox"/></MachineRegistry>
  <SystemProperties/>
 </Global>
</VirtualBox>
XML
}

# vireo_start [PACK]: starts vireo-headless on whichever accelerator it
# picks (KVM where it works, else the software CPU) with the module PACK
# (vireo_machine); sets vireo_pid, vireo_port and vireo_accel (from the
# VMM's "accelerator: ..." line in the VM's log, <machine
# folder>/Logs/vireo.log).
vireo_start() {
	vireo_machine "${1:-}"
	rm -f "$work/vms/bench/Logs/vireo.log"
	VIREO_MODULE_DIR=$vh_moddir VIREO_TESTCARD=$vh_card \
		bg vireo "$vh_bin" --startvm bench --vrde on
	vireo_pid=$bg_pid
	vireo_port=$(vrde_wait_port "$work/vireo.log" "$vireo_pid" 300)
	vireo_accel=$(accel_of_log "$work/vms/bench/Logs/vireo.log")
	[ -n "$vireo_accel" ] || vireo_accel=unknown
	[ -n "$vireo_port" ]
}

vireo_e2e() {
	_why=$(vireo_missing)
	if [ -n "$_why" ]; then
		not_measured serve vireo "$_why"
		return
	fi
	if ! vireo_start; then
		not_measured serve vireo "vireo-headless did not start its RDP server (see $work/vireo.log)"
		stop "$vireo_pid"
		return
	fi
	sleep 2 # the guest boots and draws
	vireo_idle=$(cpu_rate "$vireo_pid" 3)
	log "vireo: measuring on port $vireo_port, accelerator $vireo_accel (idle CPU $vireo_idle s/s)"
	record_accel=$vireo_accel
	_rep=1
	while [ "$_rep" -le "$reps" ]; do
		# shellcheck disable=SC2046 # scene_watch_args is words
		record "$_rep" timeout $((serve_seconds + 60)) "$rw" \
			--server vireo $(scene_watch_args) --server-pid "$vireo_pid" \
			--cpu-baseline "$vireo_idle" --seconds "$serve_seconds" \
			--timeout 30 "/v:127.0.0.1:$vireo_port" /cert:ignore \
			/u:bench /p:bench /sec:tls ||
			log "vireo: rdp-watch failed (exit $?)"
		_rep=$((_rep + 1))
	done
	record_accel=
	note vireo "vireo-headless with the testcard guest (its own code, 1024x768, 30 frames per second) and the RDP module, null authentication, TLS, on the $vireo_accel accelerator (column accel); server CPU is vireo-headless minus its CPU with no client ($vireo_idle s/s here: the guest's vCPU and the VMM).  On the software CPU the guest may draw fewer than 30 frames per second (see the VMM table), which caps the frames any client can get."
	stop "$vireo_pid"
}

# module_start: card-host with the RDP module; sets module_pid, module_port.
module_start() {
	mkdir -p "$work/card-host"
	# shellcheck disable=SC2046 # scene_card_args is words
	bg card-host "$builddir/card-host" --module "$vh_moddir/vireo-vrde-rdp.so" \
		--folder "$work/card-host" --prop TCP/Ports=37400-37499 \
		$(scene_card_args)
	module_pid=$bg_pid
	module_port=$(vrde_wait_port "$work/card-host.log" "$module_pid" 300)
}

# module_missing: why the RDP module cannot be measured alone, or nothing.
module_missing() {
	[ -x "$builddir/card-host" ] || { echo "bench/card-host not built"; return; }
	[ -x "$rw" ] || { echo "bench/rdp-watch not built"; return; }
	[ -e "$vh_moddir/vireo-vrde-rdp.so" ] || echo "RDP module not built (src/vrde/rdp)"
}

# The RDP module alone, serving the card from card-host (no VM): what
# the module costs, measured exactly like the peers.
module_e2e() {
	_why=$(module_missing)
	if [ -n "$_why" ]; then
		not_measured serve vireo-module "$_why"
		return
	fi
	if ! module_start; then
		not_measured serve vireo-module "card-host did not start the RDP module (see $work/card-host.log)"
		stop "$module_pid"
		return
	fi
	sleep 1
	log "vireo-module: measuring on port $module_port"
	measure_rdp vireo-module "$module_pid" "$module_port"
	note vireo-module "vireo's RDP module (vireo-vrde-rdp.so) loaded by bench/card-host, a minimal VRDE host drawing the test card with the guest's own draw.c at 30 frames per second: no VM, so the CPU figure is the module's serving work plus card-host's drawing (a few hundred microseconds per frame)."
	# the same module and picture through bitmap updates, the path of
	# viewers without the graphics pipeline (rdesktop, older mstsc): the
	# pipeline must not cost more bytes than this row
	measure_rdp vireo-module-bitmap "$module_pid" "$module_port" --no-gfx
	note vireo-module-bitmap "the same module and card-host as vireo-module, the client asking for bitmap updates instead of the graphics pipeline (rdp-watch --no-gfx: FreeRDP 2.11's own -gfx leaves the pipeline on)."
	want scaling && scaling_levels vireo-module "$module_pid" "$module_port" \
		"$(cpu_rate "$module_pid" 3)"
	stop "$module_pid"
}

if [ "${vireo_functions_only:-0}" != 1 ]; then
	module_e2e
	vireo_e2e
fi
