#!/bin/sh
# Installs the Debian/Ubuntu system packages FairDesk needs: the libraries Qt's xcb platform
# loads, and (with --test) the tools the test suite uses: poppler (pdftotext, pdffonts),
# qpdf, PostgreSQL server binaries, Xvfb, exiftool, Chromium and its WebDriver (the phone
# intake tests). Uses apt-get as root, sudo when available, and otherwise prints the exact
# command to run.
set -eu
RUNTIME="libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
libxkbcommon-x11-0 libxkbcommon0 libegl1 libgl1 libfontconfig1 libfreetype6 libdbus-1-3 \
libgssapi-krb5-2 libx11-xcb1 libxcb-randr0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libnss3 \
libxcomposite1 libxdamage1 libxrandr2 libxtst6 libasound2"
TEST="poppler-utils qpdf postgresql xvfb xdotool libimage-exiftool-perl binutils chromium chromium-driver"
PKGS="$RUNTIME"
[ "${1:-}" = "--test" ] && PKGS="$RUNTIME $TEST"
# Debian's own python3 needs python3-venv before `python3 -m venv` works.
python3 -c "import ensurepip" >/dev/null 2>&1 || PKGS="$PKGS python3-venv python3-pip"

command -v apt-get >/dev/null 2>&1 || { echo "Not a Debian/Ubuntu system: install the Qt 6 xcb libraries with your package manager."; exit 0; }
# Skip the slow path when everything is already there.
missing=""
for p in $PKGS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"; done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; else
  echo "FairDesk needs these system packages:$missing"
  echo "Run:  sudo apt-get update && sudo apt-get install -y$missing"
  exit 0
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
