# Sourced by the build scripts, with $top the project directory: $ccache is
# "ccache " when it is installed (empty otherwise), to put before the
# compiler, with its cache in .cache/ccache.
ccache=
if command -v ccache >/dev/null 2>&1; then
	ccache="ccache "
	export CCACHE_DIR="${CCACHE_DIR:-$top/.cache/ccache}"
	# Hash paths below .cache as relative ones, and not the build
	# directory (no debug info is built): a moved clone keeps its cache.
	export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$top/.cache}"
	export CCACHE_NOHASHDIR=1
fi
