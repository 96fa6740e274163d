#!/bin/sh
# install-deps.sh - installs the Debian/Ubuntu packages needed to build
# sigmakql when they are missing (libyaml, utf8proc, pkg-config, a C
# compiler and make). Uses sudo when not run as root.
set -eu
missing=""
for pkg in libyaml-dev libutf8proc-dev pkg-config gcc make; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo=sudo
echo "installing:$missing"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
