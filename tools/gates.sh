#!/bin/sh
# Static gates on the series. Writes one "ok|FAIL <gate>: <detail>" line
# per check to <items file> and the findings to stdout; exits 1 if any
# gate fails.
#
# Env (from the Makefile): SRC (the build worktree, left at BRANCH),
# SRC_CROSS (a second worktree of the same tree, made when missing), BASE,
# BRANCH, SERIES, O_BASE (a configured base build), OUT.
# Usage: gates.sh <items file>
set -eu

items=$1
top=$(cd "$(dirname "$0")/.." && pwd)
: >"$items"
say() { echo "$1 $2" >>"$items"; echo "$1 $2"; }

scratch=$OUT/build/scratch
cross_src=${SRC_CROSS:-$SRC-cross}
finished='' cross_pid=''
# A gate that stops the script must not pass for one that was not run.
trap 'st=$?; [ -z "$cross_pid" ] || wait "$cross_pid" || true
	git -C "$SRC" checkout -q -f "$BRANCH"
	[ -n "$finished" ] || say FAIL "gates: stopped early (exit $st)"' EXIT
sdir=$(cd "$top" && realpath "$SERIES")
patches=$(grep -v '^#' "$sdir/series" | grep . || true)
commits=$(git -C "$SRC" rev-list --reverse "$BASE..$BRANCH")

# 1. The cover letter's subject is whole (tools/check-cover.sh), and the
# check rejects the truncated subject of the sample.
line=$("$top/tools/check-cover.sh" "$sdir/0000-cover-letter.patch" || true)
say "${line%% *}" "${line#* }"
if "$top/tools/check-cover.sh" "$top/tools/samples/bad-cover-letter.patch" >/dev/null; then
	say FAIL "cover-subject accepts tools/samples/bad-cover-letter.patch"
else
	say ok "cover-subject rejects tools/samples/bad-cover-letter.patch"
fi

# Files the x86 kernel does not build are left to the powerpc gate, but
# for the vfio-pci migration drivers: gate 7 builds them on x86.
vfio_drivers="mlx5 virtio xe hisilicon pds qat"
vfio_driver() {
	for d in $vfio_drivers; do
		case $1 in drivers/vfio/pci/$d/*) return 0 ;; esac
	done
	return 1
}
files= cross=
for f in $(git -C "$SRC" diff --name-only "$BASE..$BRANCH" -- '*.c'); do
	if [ -f "$O_BASE/${f%.c}.o" ]; then
		files="$files $f"
	elif ! vfio_driver "$f"; then
		cross="$cross ${f%.c}.o"
	fi
done
# Did the kernel accept the checker in the warnings of $1 (gates 4 and 7)?
checker_ok() {
	if grep -q 'not available' "$1"; then
		say FAIL "sparse+W=1: the kernel refused the checker: $(head -n1 "$1")"
		return 1
	fi
}
# Does commit $1 touch a path that one of the globs after it matches?
touches() {
	t_commit=$1
	shift
	for path in $(git -C "$SRC" diff --name-only "$t_commit~" "$t_commit"); do
		for glob; do
			# shellcheck disable=SC2254
			case $path in $glob) return 0 ;; esac
		done
	done
	return 1
}

# The gates that build what the x86 test kernel does not, and those that
# only read, run in a worktree of their own (SRC_CROSS), beside the x86
# bisect: a patch's x86 build mostly compiles a file or two and links,
# with a core idle. Their lines go to $cross_items, their findings to
# $cross_log, and each patch's builds to $cross_bisect: "<n> <tab> what
# was built <tab> what failed".
cross_items=$OUT/gates-cross.txt cross_log=$OUT/gates-cross.log
cross_bisect=$OUT/bisect-cross.txt
cross_gates() {
	items=$cross_items
	: >"$items"
	: >"$cross_bisect"
	if [ ! -d "$cross_src" ]; then
		git -C "$SRC" worktree prune
		git -C "$SRC" worktree add -q --detach "$cross_src" "$BASE"
	fi
	cross_at() { git -C "$cross_src" checkout -q -f --detach "$1"; }

	# 2. checkpatch --strict on every patch. The base tree carries no
	# upstream history, so commit ids in Fixes: tags cannot be looked up
	# here.
	for p in $patches; do
		out=$(cd "$cross_src" && perl scripts/checkpatch.pl --strict --quiet \
			--ignore UNKNOWN_COMMIT_ID "$sdir/$p" 2>&1 || true)
		if [ -z "$out" ]; then
			say ok "checkpatch: $p"
		else
			echo "$out"
			say FAIL "checkpatch: $p: $(echo "$out" | grep -cE '^(ERROR|WARNING|CHECK)') findings"
		fi
	done

	# 3, the part that x86 does not build: a patch that touches the
	# vfio-pci migration drivers, or what they build on, builds them as
	# gate 7 does; one that touches what the powerpc objects build on
	# builds them as gate 6 does. No patch is said to build what no
	# compiler saw.
	n=0
	for c in $commits; do
		n=$((n + 1))
		log=$OUT/bisect-$n-cross.log
		: >"$log"
		also='' failed=''
		# All the drivers after a change of the headers they share.
		if touches "$c" 'include/linux/vfio*' 'include/uapi/linux/vfio.h'; then
			drivers=$vfio_drivers
		else
			drivers=$(for d in $vfio_drivers; do
				! touches "$c" "drivers/vfio/pci/$d/*" || printf '%s ' "$d"
			done)
		fi
		if [ -n "$drivers" ]; then
			cross_at "$c"
			also="$also, vfio-pci's ${drivers% }"
			# shellcheck disable=SC2086
			"$top/tools/build-vfio-drivers.sh" "$cross_src" "$OUT/build/vfio-drivers" \
				$drivers >/dev/null 2>>"$log" || failed="vfio-pci drivers"
		fi
		# shellcheck disable=SC2046,SC2086
		if [ -z "$failed" ] && [ -n "$cross" ] && touches "$c" 'arch/powerpc/*' \
			'include/linux/pci.h' $(for o in $cross; do echo "${o%.o}.c"; done); then
			cross_at "$c"
			also="$also, powerpc's$cross"
			"$top/tools/build-powerpc.sh" "$cross_src" "$OUT/build/powerpc" $cross \
				>>"$log" 2>&1 || failed=powerpc
		fi
		printf '%s\t%s\t%s\n' "$n" "$also" "$failed" >>"$cross_bisect"
	done

	# 5. No reset result ignored in drivers/pci.
	cocci() { "$top/tools/coccinelle/run.sh" ignored_reset_result "$cross_src" drivers/pci | wc -l; }
	cross_at "$BASE"
	nb=$(cocci)
	cross_at "$BRANCH"
	np=$(cocci)
	if [ "$nb" -ge 8 ] && [ "$np" -eq 0 ]; then
		say ok "coccinelle: ignored reset results in drivers/pci: base $nb, patched $np"
	else
		"$top/tools/coccinelle/run.sh" ignored_reset_result "$cross_src" drivers/pci
		say FAIL "coccinelle: ignored reset results in drivers/pci: base $nb (want >= 8), patched $np (want 0)"
	fi

	# 6. What x86 does not build, cross-built for powerpc powernv with W=1:
	# it builds, and adds no warnings to base.
	if [ -n "$cross" ]; then
		ppc() {
			cross_at "$1"
			[ ! -d "$OUT/build/powerpc" ] || (cd "$OUT/build/powerpc" && rm -f $cross)
			# shellcheck disable=SC2086
			"$top/tools/build-powerpc.sh" "$cross_src" "$OUT/build/powerpc" $cross 2>&1 |
				grep -E 'warning|error' | sed -E 's/:[0-9]+(:[0-9]+)?:/:/' | sort
		}
		ppc "$BASE" >"$OUT/warn-ppc-base.txt"
		ppc "$BRANCH" >"$OUT/warn-ppc-patched.txt"
		objs=$(for o in $cross; do [ -f "$OUT/build/powerpc/$o" ] || echo "$o"; done)
		new=$(comm -13 "$OUT/warn-ppc-base.txt" "$OUT/warn-ppc-patched.txt")
		if [ -n "$objs" ]; then
			cat "$OUT/warn-ppc-patched.txt"
			say FAIL "powerpc: not built: $(echo $objs)"
		elif [ -n "$new" ]; then
			echo "$new"
			say FAIL "powerpc: $(echo "$new" | wc -l) new W=1 warnings in$cross"
		else
			say ok "powerpc: builds$cross with no new W=1 warnings ($(wc -l <"$OUT/warn-ppc-base.txt") on base)"
		fi
	fi

	# 7. The vfio-pci migration drivers, which neither kernel builds, in a
	# configuration of their own (tools/build-vfio-drivers.sh): each builds,
	# and W=1 and sparse find nothing in it that they do not find on base. On
	# every run, as the series changes the vfio-pci core they build on.
	vfio() {
		cross_at "$1" || return 3
		# shellcheck disable=SC2086
		"$top/tools/build-vfio-drivers.sh" "$cross_src" "$OUT/build/vfio-drivers" \
			$vfio_drivers >"$OUT/warn-vfio-$2.txt" 2>"$OUT/vfio-$2.log"
	}
	vb=0 vp=0
	vfio "$BASE" base || vb=$?
	vfio "$BRANCH" patched || vp=$?
	if [ "$vb" -gt 1 ] || [ "$vp" -gt 1 ]; then
		cat "$OUT/vfio-base.log" "$OUT/vfio-patched.log"
		say FAIL "vfio-drivers: no build (base exit $vb, patched exit $vp; $OUT/vfio-*.log)"
	elif checker_ok "$OUT/warn-vfio-base.txt" && checker_ok "$OUT/warn-vfio-patched.txt"; then
		for d in $vfio_drivers; do
			for t in base patched; do
				grep "^$d: " "$OUT/warn-vfio-$t.txt" |
					sed -E 's/:[0-9]+(:[0-9]+)?:/:/' | sort >"$OUT/warn-vfio-$t-$d.txt"
			done
			base=$OUT/warn-vfio-base-$d.txt
			new=$(comm -13 "$base" "$OUT/warn-vfio-patched-$d.txt")
			if grep -q "^build-vfio-drivers: $d:" "$OUT/vfio-patched.log"; then
				say FAIL "vfio-drivers: $d does not build ($OUT/build/vfio-drivers/$d.log)"
			elif grep -q "^build-vfio-drivers: $d:" "$OUT/vfio-base.log"; then
				say FAIL "vfio-drivers: $d does not build on base ($OUT/vfio-base.log)"
			elif [ -n "$new" ]; then
				echo "$new"
				say FAIL "vfio-drivers: $d: $(echo "$new" | wc -l) new W=1+sparse warnings"
			else
				say ok "vfio-drivers: $d builds, W=1+sparse: no new warnings ($(wc -l <"$base") on base)"
			fi
		done
	fi

	# The modules as a distribution builds them, against its own config.
	want="pci_reset_test.ko prt_sriov_pf.ko prt_vf.ko prt_vfio_mig.ko"
	got=$("$top/tools/build-distro-modules.sh" "$cross_src" "$OUT/build/distro" \
		"$OUT/distro-modules.log" 2>&1 | sort | tr '\n' ' ' | sed 's/ $//' || true)
	if [ "$got" = "$want" ]; then
		say ok "distro-modules: $want build against Debian's linux-config-7.3 (no fault injection, no KUnit)"
	else
		tail -n 20 "$OUT/distro-modules.log"
		say FAIL "distro-modules: built '$got', want '$want' against Debian's config ($OUT/distro-modules.log)"
	fi

	echo done >"$OUT/gates-cross.done"
}
rm -f "$OUT/gates-cross.done"
cross_gates >"$cross_log" 2>&1 &
cross_pid=$!

# 3. Every patch builds on top of the previous ones (bisectability). A
# first run starts from a copy of the base kernel's build: same config,
# same sources but the first patch's, so that its build compiles those
# files and does not fetch every other object from ccache again.
[ -d "$scratch" ] || cp -a "$O_BASE" "$scratch"
# Does commit $1 change only files that the x86 kernel does not build: the
# vfio-pci migration drivers' and .c files with no object in its build?
# Then its x86 build is the previous commit's, and is not run again.
x86_unchanged() {
	for path in $(git -C "$SRC" diff --name-only "$1~" "$1"); do
		vfio_driver "$path" && continue
		case $path in *.c) [ ! -f "$O_BASE/${path%.c}.o" ] && continue ;; esac
		return 1
	done
}
n=0 x86_failed=''
for c in $commits; do
	n=$((n + 1))
	git -C "$SRC" checkout -q --detach "$c"
	log=$OUT/bisect-$n.log
	if x86_unchanged "$c"; then
		echo "x86: no file of its build changed" >"$log"
	else
		"$top/tools/build-kernel.sh" "$SRC" "$scratch" >"$log" 2>&1 ||
			x86_failed="$x86_failed $n"
	fi
done

# 4. sparse (C=2) and W=1 warnings in the touched files, base vs patched.
# Debian 12's sparse 0.6.4 predates __typeof_unqual__, which the kernel
# uses under __CHECKER__ and probes for (scripts/checker-valid.sh). Reading
# it as __typeof__ adds the same warnings to both trees. Nor can it
# evaluate __builtin_strlen() in the static_assert() of MODULE_INFO(), and
# after that error it prints no more warnings for the file.
check="sparse -D__typeof_unqual__=__typeof__ '-D__builtin_strlen(s)=(sizeof(s)-1)'"
# One make for all the objects: each make costs seconds before it builds.
# Their compiles run in parallel, each one's messages kept whole
# (-Otarget): the same warnings as one at a time.
warnings() {
	w_src=$1 w_out=$2
	shift 2
	make -s -j"$(($(nproc) + 1))" -Otarget -C "$w_src" O="$w_out" C=2 W=1 \
		CHECK="$check" "$@" 2>&1 >/dev/null |
		grep -E 'warning|error|not available' |
		# Line numbers move between trees; compare the messages.
		sed -E 's/:[0-9]+(:[0-9]+)?:/:/' | sort
}
objs=$(for f in $files; do echo "${f%.c}.o"; done)
git -C "$SRC" checkout -q --detach "$BASE"
# shellcheck disable=SC2086
warnings "$SRC" "$O_BASE" $objs >"$OUT/warn-base.txt"
# The bisect gate left the scratch build configured, at the tip.
git -C "$SRC" checkout -q -f "$BRANCH"
# shellcheck disable=SC2086
warnings "$SRC" "$scratch" $objs >"$OUT/warn-patched.txt"
# The warnings of each touched file, and then ("") of the headers they include.
pick() {
	if [ -n "$1" ]; then
		grep "^$SRC/$1:" "$2" || true
	else
		for file in $files; do echo "^$SRC/$file:"; done | grep -v -f - "$2" || true
	fi
}
if checker_ok "$OUT/warn-base.txt" && checker_ok "$OUT/warn-patched.txt"; then
	for f in $files ""; do
		pick "$f" "$OUT/warn-base.txt" >"$OUT/warn-base-f.txt"
		pick "$f" "$OUT/warn-patched.txt" >"$OUT/warn-patched-f.txt"
		new=$(comm -13 "$OUT/warn-base-f.txt" "$OUT/warn-patched-f.txt")
		what=${f:-the headers they include}
		if [ -z "$new" ]; then
			say ok "sparse+W=1: $what: no new warnings ($(wc -l <"$OUT/warn-base-f.txt") on base)"
		else
			echo "$new"
			say FAIL "sparse+W=1: $what: $(echo "$new" | wc -l) new warnings"
		fi
	done
fi

wait "$cross_pid" || true
cross_pid=
# The verdict of each patch: its x86 build, and what the cross gates built.
n=0
for c in $commits; do
	n=$((n + 1))
	subj=$(git -C "$SRC" log -1 --format=%s "$c")
	row=$(awk -F '\t' -v n="$n" '$1 == n' "$cross_bisect")
	also=$(echo "$row" | cut -f 2) failed=$(echo "$row" | cut -f 3) log=$OUT/bisect-$n-cross.log
	[ -n "$row" ] || failed="no cross build"
	case " $x86_failed " in *" $n "*) failed=x86 log=$OUT/bisect-$n.log ;; esac
	if [ -z "$failed" ]; then
		say ok "bisect: patch $n builds$also: $subj"
	else
		tail -n 20 "$log"
		say FAIL "bisect: patch $n does not build ($failed): $subj (see $log)"
	fi
done
cat "$cross_log"
cat "$cross_items" >>"$items"
[ -f "$OUT/gates-cross.done" ] || say FAIL "gates: the cross gates stopped early ($cross_log)"

finished=1
! grep -q '^FAIL' "$items"
