# lib.sh - helpers for the headless shell tests; source after tap.sh.
#
#   hl_setup                     VIREO_HOME in $TMPD, empty registry
#   hl_vm NAME [ATTRS] [PROPS] [EXTRA]   write + register NAME.vbox:
#       ATTRS  extra <RemoteDisplay> attributes (authType="External" ...)
#       PROPS  extra <Property .../> elements
#       EXTRA  extra <ExtraDataItem .../> elements
#   hl_start NAME [ARGS]         start vireo-headless in the background,
#                                wait for its VRDE line; sets HL_PID,
#                                HL_PORT, HL_OUT, HL_REC, HL_CMD
#   hl_cmd LINE                  one command to the recording module
#   hl_wait_rec REGEX [N]        wait until the record has N matching lines
#   hl_wait_file FILE REGEX      wait until FILE has a matching line
#   hl_ctl REQ...                ctl-send to the running VM's socket
#   hl_stop [SIGNAL]             signal vireo-headless, wait; sets HL_RC
#   hl_manage_vm NAME [MODIFYVM ARGS]  vireo-manage createvm (registered,
#                                in $TMPD/vms) and modifyvm; sets HL_UUID
#   hl_vminfo NAME KEY           KEY's value in showvminfo --machinereadable
#   hl_state NAME                its VMState; hl_wait_state NAME STATE
#   hl_gone PID                  wait up to 20 s for PID to exit
#   hl_counter PNG               head 0's frame counter in a screenshot
. "$srcdir/lib/vhost.sh"

HL_UUIDN=0

hl_setup() {
	tap_tmpdir
	export VIREO_HOME="$TMPD/home"
	export VIREO_LOG_LEVEL=debug
	mkdir -p "$VIREO_HOME"
	HL_MACHINES=
	HL_GLOBAL=${HL_GLOBAL:-}
	hl_registry
	trap 'hl_cleanup' EXIT
}

hl_cleanup() {
	if [ -n "${HL_PID:-}" ] && kill -0 "$HL_PID" 2>/dev/null; then
		kill -KILL "$HL_PID" 2>/dev/null
	fi
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMPD"
}

hl_registry() {
	{
		echo '<?xml version="1.0"?>'
		echo '<VirtualBox xmlns="http://www.virtualbox.org/" version="1.16-linux">'
		echo ' <Global>'
		echo "  <ExtraData>${HL_GLOBAL_EXTRA:-}</ExtraData>"
		echo "  <MachineRegistry>$HL_MACHINES</MachineRegistry>"
		echo "  <SystemProperties ${HL_GLOBAL:-}/>"
		echo ' </Global>'
		echo '</VirtualBox>'
	} >"$VIREO_HOME/vireo.xml"
}

hl_vm() {
	name=$1
	HL_UUIDN=$((HL_UUIDN + 1))
	uuid=$(printf '{5e1ec7ed-0000-4000-8000-%012d}' "$HL_UUIDN")
	dir="$TMPD/vms/$name"
	mkdir -p "$dir"
	case "${2:-}" in
	*enabled=*) on= ;;
	*) on='enabled="true"' ;;
	esac
	case "${2:-}" in
	*VRDEExtPack=*) ;;
	*) on="$on VRDEExtPack=\"record\"" ;;
	esac
	cat >"$dir/$name.vbox" <<XML
<?xml version="1.0"?>
<VirtualBox xmlns="http://www.virtualbox.org/" version="1.16-linux">
 <Machine uuid="$uuid" name="$name" OSType="Other">
  <ExtraData>${4:-}</ExtraData>
  <Hardware>
   <Memory RAMSize="64"/>
   <Display VRAMSize="${HL_VRAM:-16}" monitorCount="${HL_MONITORS:-1}"/>
   <RemoteDisplay $on ${2:-}>
    <VRDEProperties>
     <Property name="TCP/Ports" value="${HL_PORTS:-34000-34999}"/>
     ${3:-}
    </VRDEProperties>
   </RemoteDisplay>
  </Hardware>
 </Machine>
</VirtualBox>
XML
	HL_MACHINES="$HL_MACHINES<MachineEntry uuid=\"$uuid\" src=\"$dir/$name.vbox\"/>"
	hl_registry
}

# Wait up to ${2:-20} s for FILE to match REGEX (at least N=${3:-1} lines).
hl_wait_file() {
	i=0
	while [ $i -lt $((${3:-20} * 10)) ]; do
		if [ -f "$1" ] && [ "$(grep -Ec -- "$2" "$1")" -ge "${4:-1}" ]; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

hl_wait_rec() {
	hl_wait_file "$HL_REC" "$1" 20 "${2:-1}"
}

hl_start() {
	name=$1
	shift
	HL_DIR="$TMPD/vms/$name"
	HL_REC="$TMPD/$name.rec"
	HL_CMD="$TMPD/$name.cmd"
	HL_OUT="$TMPD/$name.out"
	HL_SOCK="$HL_DIR/vireo.ctl"
	rm -f "$HL_REC" "$HL_CMD"
	mkfifo "$HL_CMD"
	# the software CPU, which every host has, unless HL_ACCEL says
	# otherwise (empty: no --accel at all)
	hl_accel=${HL_ACCEL-software}
	vireo-headless --startvm "$name" ${hl_accel:+--accel "$hl_accel"} \
		--vrdeproperty "Record/Log=$HL_REC" \
		--vrdeproperty "Record/Commands=$HL_CMD" "$@" \
		>"$HL_OUT" 2>&1 &
	HL_PID=$!
	# the VRDE line comes first, the control socket just before the
	# VM starts; stop waiting when the process is gone
	i=0
	while [ $i -lt 300 ] && [ ! -S "$HL_SOCK" ] &&
		kill -0 "$HL_PID" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	HL_PORT=$(vrde_port "$HL_OUT")
}

# A FIFO write blocks while nobody reads it: bounded by timeout.
hl_cmd() {
	timeout 10 sh -c 'printf "%s\n" "$1" >"$2"' hl_cmd "$*" "$HL_CMD" || {
		tap_bail "hl_cmd: the module read no command in 10 s ($*)"
		return 1
	}
}

hl_ctl() {
	timeout 30 "$builddir/headless/ctl-send" "$HL_SOCK" "$@"
}

hl_stop() {
	tap_stop "$HL_PID" vireo-headless 30 "${1:-TERM}"
	HL_RC=$tap_stop_rc
	HL_PID=
}

# Wait for the running VM's guest to print "testcard ready".
hl_wait_guest() {
	hl_wait_file "$HL_DIR/Logs/serial.log" '^testcard ready' 60
}

# VMs made the way users make them (vireo-manage), on the software CPU
# unless modifyvm says otherwise.
hl_manage_vm() {
	hl_name=$1
	shift
	timeout 120 vireo-manage createvm --name "$hl_name" --register \
		--basefolder "$TMPD/vms" >/dev/null
	[ $# = 0 ] || timeout 120 vireo-manage modifyvm "$hl_name" "$@"
	HL_UUID=$(hl_vminfo "$hl_name" UUID)
}

hl_vminfo() {
	timeout 120 vireo-manage showvminfo "$1" --machinereadable |
		sed -n "s/^$2=\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p"
}

hl_state() {
	hl_vminfo "$1" VMState 2>/dev/null
}

# Wait up to 60 s for VM $1 to be in state $2.
hl_wait_state() {
	i=0
	while [ $i -lt 300 ]; do
		[ "$(hl_state "$1")" = "$2" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

hl_gone() {
	i=0
	while [ $i -lt 200 ] && kill -0 "$1" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	! kill -0 "$1" 2>/dev/null
}

# 32 blocks of 16 pixels at y = 8, white = 1, most significant first
# (testcard.h)
hl_counter() {
	convert "$1" -crop 512x1+0+8 -depth 8 txt:- |
		awk -F'[,: ]+' '$1 % 16 == 8 {
			v = v * 2 + ($0 ~ /#FFFFFF/ ? 1 : 0)
		} END { print v + 0 }'
}
