#!/usr/bin/env bash
# Installs the Debian packages the test suite drives (only what is missing).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v mkfs.ext4 >/dev/null 2>&1 || missing+=(e2fsprogs)
command -v mkntfs >/dev/null 2>&1 || missing+=(ntfs-3g)
command -v qemu-img >/dev/null 2>&1 || missing+=(qemu-utils)
command -v ewfacquirestream >/dev/null 2>&1 || missing+=(ewf-tools)
[ -e /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf ] || missing+=(fonts-ipafont-gothic)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "Install these Debian packages first (as root): ${missing[*]}" >&2
    echo "Without them the browser tests are skipped." >&2
    exit 0
  fi
else
  SUDO=
fi
echo "Installing Debian packages: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
