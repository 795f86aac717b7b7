#!/bin/sh
# Build the test modules against one kernel build, pack them with the
# selftests, and run the boots that tools/testsets.py plans: one VM boot per
# test set, or per test where a set asks for it, each in its own run dir.
# With --shared, one boot per VM (hot-plug mode and topology) runs every
# test (with --judged, every test declared to pass on base), and each test
# that did not pass cleanly there runs again in a boot of its own, which
# says what failed (report.py rerun).
#
# Usage: run-suite.sh <kernel build dir> <run dir> <selftests dir> [plan options]
#        (plan options go to 'testsets.py plan', e.g. --tests <glob>,<id>)
# Env:   PRT_APPEND, more kernel parameters for every boot;
#        PRT_MODULES, test modules built already against a kernel whose
#        headers and config are those of this one, to use instead;
#        VM_JOBS, how many guests boot at once (1);
#        SUITE_STEP, "prepare" to stop before the boots, so that the kernel
#        build may change, or "boot" to boot a run dir prepared so.
set -eu

kbuild=$(realpath "$1")
run=$(realpath -m "$2")
tests=$(realpath "$3")
shift 3
top=$(cd "$(dirname "$0")/.." && pwd)
# Lanes in the background ignore SIGINT: stop them, and their guests, too.
trap 'trap - INT TERM; kill -TERM 0' INT TERM

# The test modules built against the kernel, the initramfs, the plan and
# a copy of the kernel, in a new run dir: the boots need nothing else of
# the build. Exits if the run dir holds the results of the same already.
prepare() {
	new=$run.new
	rm -rf "$new"
	mkdir -p "$new/module"
	if [ -n "${PRT_MODULES:-}" ]; then
		cp -R "$PRT_MODULES/." "$new/module"
	else
		# From scratch: kbuild does not rebuild an external module whose
		# kernel changed config, and a stale module does not load.
		make -s -C "$kbuild" M="$top" MO="$new/module" modules
	fi
	"$top/tools/testsets.py" index >"$new/index"
	"$top/tools/testsets.py" plan "$@" >"$new/plan"
	# shellcheck disable=SC2046
	"$top/tools/vm/mkinitramfs.sh" "$kbuild" "$new/initramfs.gz" \
		$(find "$new/module" -name '*.ko') "$new/index" \
		$(find "$tests" -maxdepth 1 -type f -perm -u+x)

	# The same kernel, initramfs, plan and VM as a complete earlier run: keep
	# its results (make check after make test).
	# shellcheck disable=SC2046
	key=$(cat "$kbuild/arch/x86/boot/bzImage" $(find "$new/module" -name '*.ko' | sort) \
		"$new/index" "$new/plan" $(find "$tests" -maxdepth 1 -type f -perm -u+x | sort) \
		"$top"/tools/vm/* - <<-EOF | sha256sum
		${PRT_APPEND:-}
		EOF
	)
	if [ "$(cat "$run/complete" 2>/dev/null)" = "$key" ]; then
		rm -rf "$new"
		echo "run-suite: $run has the results of these boots already"
		exit 0
	fi
	rm -rf "$run"
	mv "$new" "$run"
	cp "$kbuild/arch/x86/boot/bzImage" "$run/bzImage"
	echo "$key" >"$run/key"
}

step=${SUITE_STEP:-all}
# Not "|| prepare": set -e would not stop a failed build inside it.
if [ "$step" != boot ]; then
	prepare "$@"
fi
[ "$step" != prepare ] || exit 0
key=$(cat "$run/key")
[ "$(cat "$run/complete" 2>/dev/null)" != "$key" ] || exit 0

# A boot whose tests are all declared to hang the base kernel ends once
# the hung-task detector proves the hang, with a timeout short enough to
# keep that quick and long enough that the patched kernel's waits in those
# tests never trip it (Documentation/test-environment.rst). A boot of one
# test declared to fail with other reports ends at the first whole report
# of a declared kind ("end:<kinds>"). Other boots keep the config's 10 s
# and wait for their tests to end.
hung_task_secs() { case $1 in proof) echo 5 ;; *) echo 10 ;; esac; }
end_on() {
	case $1 in
	proof) echo hung_task ;;
	end:*) echo "${1#end:}" ;;
	esac
}

boot_vm() {
	HOTPLUG=$hotplug TOPOLOGY=$topology \
	VM_END_ON=$(end_on "$hang") \
	VM_APPEND="${PRT_APPEND:+$PRT_APPEND }prt.tests=$globs \
sysctl.kernel.hung_task_timeout_secs=$(hung_task_secs "$hang") \
sysctl.kernel.hung_task_check_interval_secs=1" \
		"$top/tools/vm/run.sh" "$run/bzImage" \
		"$run/initramfs.gz" "$run/$boot" </dev/null
}

# QEMU itself dying of a signal (exit > 128: a guest that panics powers
# off, exit 0) before any test began, or a guest whose kernel never
# started /init, leaves no result to lose: boot once more, and keep the
# first console and status, which report.py reads. A v7.3.4 guest once
# stopped printing at its HPET's late init and waited out VM_TIMEOUT,
# with no test run.
boot_lost() {
	case $(cat "$run/$boot/vm-status") in
	'killed: no /init'*) return 0 ;;
	esac
	rc=$(sed -n 's/^exit //p' "$run/$boot/vm-status")
	[ "${rc:-0}" -gt 128 ] && ! grep -q '^PRT-BEGIN' "$run/$boot/results.log"
}

# The boots of plan file $1, VM_JOBS (1) guests at a time: each of that
# many lanes takes the next boot that no other lane has claimed.
run_boots() {
	claims=$run/.claims-$(basename "$1")
	mkdir -p "$claims"
	lane=1
	while [ "$lane" -lt "${VM_JOBS:-1}" ]; do
		run_lane "$1" "$claims" &
		lane=$((lane + 1))
	done
	run_lane "$1" "$claims"
	wait
	rm -rf "$claims"
}

run_lane() {
	i=0
	while read -r boot hotplug globs hang topology; do
		i=$((i + 1))
		mkdir "$2/$i" 2>/dev/null || continue
		start=$(date +%s)
		boot_vm
		if boot_lost; then
			echo "run-suite: $boot: $(cat "$run/$boot/vm-status") before any test; again"
			mv "$run/$boot/console.log" "$run/$boot/console.lost.log"
			mv "$run/$boot/vm-status" "$run/$boot/vm-status.lost"
			boot_vm
		fi
		echo "$boot $hotplug $globs $hang $topology $(($(date +%s) - start))" >>"$run/boots"
	done <"$1"
}

: >"$run/boots"
run_boots "$run/plan"
# Shared boots (--shared, or the base plan's boots of passing tests).
if grep -q '^shared@' "$run/plan"; then
	"$top/tools/report.py" rerun "$run" >"$run/rerun"
	if grep -q . "$run/rerun"; then
		echo "run-suite: $(wc -l <"$run/rerun") tests again, one boot each"
		"$top/tools/testsets.py" plan --isolated --tests "$(paste -sd, "$run/rerun")" \
			>"$run/plan-rerun"
		run_boots "$run/plan-rerun"
	fi
fi
echo "$key" >"$run/complete"
echo "run-suite: $(wc -l <"$run/boots") boots, $(awk '{ s += $6 } END { print s }' "$run/boots")s in the VM"
