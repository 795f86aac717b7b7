#!/bin/sh
# Run one stage of a job and print how long it took.
# Usage: stage.sh <name> <command> [args...]
set -eu

name=$1
shift
start=$(date +%s)
rc=0
"$@" || rc=$?
echo "stage $name: $(($(date +%s) - start))s$([ $rc = 0 ] || echo " (failed: $rc)")"
exit $rc
