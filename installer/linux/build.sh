#!/bin/sh
# Builds the Linux package (called by `make installer`, from any directory):
#   dist/fairdesk/                              the one-folder app; dist/fairdesk/fairdesk is the program
#   dist/FairDesk-<version>-linux-x86_64.tar.gz that folder + fairdesk.desktop + icons + install.sh
# The version comes from fairdesk/__init__.py (__version__) and nowhere else.
# Environment: PYTHON (default .venv/bin/python, which needs the '.[installer]' extra).
set -eu
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
PY=${PYTHON:-.venv/bin/python}
"$PY" -c "import PyInstaller" 2>/dev/null || { echo "build.sh: PyInstaller is missing: $PY -m pip install -e '.[installer]'" >&2; exit 1; }
VERSION=$("$PY" -c "import fairdesk; print(fairdesk.__version__)")
ARCH=$(uname -m)
NAME=FairDesk-$VERSION
TARBALL=dist/$NAME-linux-$ARCH.tar.gz
if command -v strip >/dev/null 2>&1; then FAIRDESK_STRIP=1; else
  FAIRDESK_STRIP=0
  echo "build.sh: 'strip' (package binutils) is not installed: building unstripped (about 40 MB larger)." >&2
fi
export FAIRDESK_STRIP

start=$(date +%s)
"$PY" installer/make_icons.py build/icons
rm -rf dist/fairdesk
"$PY" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller installer/fairdesk.spec

# Package: the tarball unpacks into one folder, FairDesk-<version>/.
stage=build/package/$NAME
rm -rf build/package
mkdir -p "$stage"
cp installer/linux/fairdesk.desktop installer/linux/install.sh "$stage/"
cp build/icons/fairdesk-256.png "$stage/fairdesk.png"
cp resources/icons/fairdesk.svg "$stage/fairdesk.svg"
echo "$VERSION" > "$stage/VERSION"
chmod 755 "$stage/install.sh"
if command -v desktop-file-validate >/dev/null 2>&1; then
  sed 's|@EXEC@|/opt/fairdesk/fairdesk|' installer/linux/fairdesk.desktop > build/package/check.desktop
  desktop-file-validate build/package/check.desktop
fi
# The app folder goes in without a copy: tar takes it from dist/ under the same top folder.
tar -czf "$TARBALL" --owner=0 --group=0 \
  -C build/package "$NAME" \
  --transform "s|^fairdesk|$NAME/fairdesk|S" -C "$ROOT/dist" fairdesk
end=$(date +%s)

echo "Built in $((end - start)) s:"
echo "  app folder  dist/fairdesk ($(du -sh dist/fairdesk | cut -f1))"
echo "  package     $TARBALL ($(du -h "$TARBALL" | cut -f1))"
echo "Install:  tar -xzf $TARBALL && sh $NAME/install.sh"
