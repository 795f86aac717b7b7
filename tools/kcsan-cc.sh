#!/bin/sh
# The C compiler of the test kernels (tools/build-kernel.sh, as CC): runs
# $PRT_CC, with KCSAN's instrumentation only in the code that the tests
# drive. Every test kernel has KCSAN built in and off at boot, so that one
# build serves the lockdep boots and the KCSAN boots (tools/kcsan-check.sh);
# instrumenting all of it slowed the boots with KCSAN off by a third
# (Documentation/test-environment.rst). Leaving a file out is what the
# kernel's own KCSAN_SANITIZE := n does; compiler probes, which name no
# .c file, keep every flag.
#
# Assembler sources skip ccache: it hashes their text, not what their
# .incbin directives pull in. piggy.S, which holds the compressed kernel,
# names only its sizes, so a kernel whose compressed size matched one
# built before got that build's cached piggy.o: a bzImage with the other
# kernel inside.
set -eu

src=
for arg; do
	case $arg in *.c | *.S) src=$arg ;; esac
done
case $src in
*.S)
	exec ${PRT_CC#ccache } "$@" ;;
'' | */drivers/pci/* | */drivers/iommu/* | */drivers/vfio/* | */drivers/base/* | \
*/fs/kernfs/* | */fs/sysfs/* | */lib/kobject.c)
	exec $PRT_CC "$@" ;;
esac
# Drop -fsanitize=thread and the "--param tsan-..." pairs of
# scripts/Makefile.kcsan. -fno-optimize-sibling-calls stays: frame
# pointers ask for it too.
param=
for arg; do
	shift
	case $param$arg in
	-fsanitize=thread | --param) ;;
	--paramtsan-*) ;;
	*) set -- "$@" ${param:+"$param"} "$arg" ;;
	esac
	param=
	[ "$arg" != --param ] || param=--param
done
exec $PRT_CC "$@"
