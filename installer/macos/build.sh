#!/bin/sh
# Builds the macOS app and disk image (run on a Mac, from any folder):
#   dist/FairDesk.app                        the application bundle (Info.plist from installer/fairdesk.spec)
#   dist/FairDesk-<version>-macos-<arch>.dmg the disk image users open and drag FairDesk to Applications
# Needs: macOS 13+ with Xcode command line tools (iconutil, hdiutil, codesign), Python 3.11 from
# python.org (universal2) or Homebrew. The app is built for the architecture of that Python
# (arm64 on Apple silicon, x86_64 on Intel); build on each kind of Mac you support.
# Signing and notarisation: see installer/macos/README.md (set CODESIGN_IDENTITY to sign here).
set -eu
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
PY=${PYTHON:-python3.11}
VENV=.venv-mac
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e '.[installer]'
VERSION=$("$VENV/bin/python" -c "import fairdesk; print(fairdesk.__version__)")
ARCH=$(uname -m)

# Icon: PNGs rendered from the SVG, then Apple's iconutil makes the .icns.
"$VENV/bin/python" installer/make_icons.py build/icons
iconutil -c icns build/icons/fairdesk.iconset -o build/icons/fairdesk.icns
export FAIRDESK_ICON_DIR="$ROOT/build/icons"

rm -rf dist/fairdesk dist/FairDesk.app
"$VENV/bin/python" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller installer/fairdesk.spec

# Quick check of the frozen program inside the bundle before packaging.
CHECK=$(mktemp -d)
dist/FairDesk.app/Contents/MacOS/fairdesk --data-dir "$CHECK/data" demo
dist/FairDesk.app/Contents/MacOS/fairdesk --data-dir "$CHECK/data" case list --json > /dev/null
rm -rf "$CHECK"

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  # Hardened runtime is required for notarisation; sign the bundle as a whole, inside out.
  codesign --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY" dist/FairDesk.app
  codesign --verify --deep --strict --verbose=2 dist/FairDesk.app
fi

# Disk image: the app plus a link to /Applications, compressed (UDZO).
STAGE=build/dmg
rm -rf "$STAGE"
mkdir -p "$STAGE"
cp -R dist/FairDesk.app "$STAGE/"
ln -s /Applications "$STAGE/Applications"
DMG=dist/FairDesk-$VERSION-macos-$ARCH.dmg
rm -f "$DMG"
hdiutil create -volname "FairDesk $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$CODESIGN_IDENTITY" "$DMG"
fi
echo "Built $DMG ($(du -h "$DMG" | cut -f1)). Next: notarise it (installer/macos/README.md)."
