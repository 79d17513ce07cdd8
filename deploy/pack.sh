#!/bin/sh
# Packs the already-built project (npm run build, or the `prepare` step of npm ci) into
# switchboard-<version>.tgz in DIR and prints the tarball's path. The Docker image's build stage
# and the pack-and-install test both run this script, so what the test installs is what ships.
set -eu
dir=${1:?usage: deploy/pack.sh DIR}
cd "$(dirname "$0")/.."
mkdir -p "$dir"
# --ignore-scripts: the build already ran; packing must not rebuild (or run tests) again.
name=$(npm pack --ignore-scripts --silent --pack-destination "$dir")
echo "$dir/$name"
