#!/bin/sh
# Installs a packed Switchboard tarball into DEST with its runtime dependencies only (no dev
# dependencies, no build tools): DEST/node_modules/.bin/switchboard is the server. The Docker
# image's runtime stage and the pack-and-install test both run this script.
set -eu
tarball=${1:?usage: deploy/install-package.sh TARBALL DEST}
dest=${2:?usage: deploy/install-package.sh TARBALL DEST}
case $tarball in /*) ;; *) tarball=$(pwd)/$tarball ;; esac
mkdir -p "$dest"
cd "$dest"
[ -f package.json ] || printf '{ "name": "switchboard-install", "private": true }\n' >package.json
npm install --omit=dev --no-audit --no-fund --prefer-offline --loglevel=error "$tarball"
test -x node_modules/.bin/switchboard
