#!/bin/sh
# Installs FairDesk for the current user (no root needed), or removes it with --uninstall.
#   sh install.sh               program into ~/.local/opt/fairdesk, command ~/.local/bin/fairdesk,
#                               menu entry and icon under ~/.local/share
#   sh install.sh --uninstall   removes exactly those; your FairDesk data is never touched
# Set FAIRDESK_PREFIX to install somewhere other than ~/.local.
# Your cases and evidence live in the data folder (~/.local/share/FairDesk unless you chose
# another), not in the program folder, so installing a new version over an old one keeps them.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${FAIRDESK_PREFIX:-$HOME/.local}
DATA_HOME=${XDG_DATA_HOME:-$HOME/.local/share}
[ -n "${FAIRDESK_PREFIX:-}" ] && DATA_HOME=$PREFIX/share
APP_DIR=$PREFIX/opt/fairdesk
BIN=$PREFIX/bin/fairdesk
DESKTOP=$DATA_HOME/applications/fairdesk.desktop
ICON_PNG=$DATA_HOME/icons/hicolor/256x256/apps/fairdesk.png
ICON_SVG=$DATA_HOME/icons/hicolor/scalable/apps/fairdesk.svg

refresh_menus() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$DATA_HOME/applications" || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$DATA_HOME/icons/hicolor" 2>/dev/null || true
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$APP_DIR" "$APP_DIR.old" "$APP_DIR.new"
  [ -L "$BIN" ] && rm -f "$BIN"
  rm -f "$DESKTOP" "$ICON_PNG" "$ICON_SVG"
  refresh_menus
  echo "FairDesk was removed. Your data folder was left as it is."
  exit 0
fi

[ -x "$HERE/fairdesk/fairdesk" ] || { echo "install.sh: run it from the unpacked FairDesk folder (fairdesk/fairdesk not found)." >&2; exit 1; }
mkdir -p "$PREFIX/opt" "$PREFIX/bin" "$(dirname "$DESKTOP")" "$(dirname "$ICON_PNG")" "$(dirname "$ICON_SVG")"
# Copy beside the old version first, then swap: a failed copy leaves the old version working.
rm -rf "$APP_DIR.new" "$APP_DIR.old"
cp -R "$HERE/fairdesk" "$APP_DIR.new"
[ -d "$APP_DIR" ] && mv "$APP_DIR" "$APP_DIR.old"
mv "$APP_DIR.new" "$APP_DIR"
rm -rf "$APP_DIR.old"
ln -sf "$APP_DIR/fairdesk" "$BIN"
sed "s|@EXEC@|\"$APP_DIR/fairdesk\"|" "$HERE/fairdesk.desktop" > "$DESKTOP"
chmod 644 "$DESKTOP"
cp "$HERE/fairdesk.png" "$ICON_PNG"
cp "$HERE/fairdesk.svg" "$ICON_SVG"
refresh_menus
echo "FairDesk $(cat "$HERE/VERSION") is installed: find it in your applications menu, or run $BIN"
case ":$PATH:" in *":$PREFIX/bin:"*) ;; *) echo "(Add $PREFIX/bin to PATH to run 'fairdesk' from a terminal.)";; esac
