#!/bin/sh
# install-deps.sh - installs the Debian/Ubuntu packages needed to build
# sigmakql when they are missing (libyaml, utf8proc, RE2, pkg-config, C
# and C++ compilers and make), plus any packages named as arguments
# (`make fuzz` adds clang). Uses sudo when not run as root.
set -eu
missing=""
for pkg in libyaml-dev libutf8proc-dev libre2-dev pkg-config gcc g++ make "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
echo "installing:$missing"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
