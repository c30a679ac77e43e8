#!/usr/bin/env bash
# Builds Meshdrop, opens the real window under Xvfb with a throwaway
# MESHDROP_HOME (and HOME, so Fyne's preferences and the keychain are
# private), drives a short Sandbox session with xdotool and saves
# docs/screenshots/{generate,jobs,gallery,keys,settings}.png.
# `make screenshots` installs xvfb, imagemagick and xdotool first.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/docs/screenshots
mkdir -p "$out"

export LANG=C.UTF-8
GOCACHE=$(go env GOCACHE); GOMODCACHE=$(go env GOMODCACHE); export GOCACHE GOMODCACHE
tmp=$(mktemp -d)
cleanup() {
  [ -n "${app_pid:-}" ] && kill "$app_pid" 2>/dev/null || true
  [ -n "${xvfb_pid:-}" ] && kill "$xvfb_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# SCREENSHOT_TAGS=debug keeps Fyne's thread checks on; the window's log is
# then copied to $SCREENSHOT_LOG (if set) for "called off the main thread" errors.
go build -tags "${SCREENSHOT_TAGS:-}" -o "$tmp/bin/meshdrop" .

export HOME=$tmp/home MESHDROP_HOME=$tmp/data
mkdir -p "$HOME"
unset XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME DBUS_SESSION_BUS_ADDRESS
unset MESHY_API_KEY TRIPO_API_KEY RODIN_API_KEY HYPER3D_API_KEY GENX3D_API_KEY

# A free display number.
disp=${SCREENSHOT_DISPLAY:-99}
while [ -e "/tmp/.X11-unix/X$disp" ] || [ -e "/tmp/.X$disp-lock" ]; do disp=$((disp + 1)); done
Xvfb ":$disp" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
export DISPLAY=:$disp
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

# Everything else runs inside a private D-Bus session with an unlocked
# keychain, so the Keys screen shows a real (demo) key.
export MD=$tmp/bin/meshdrop OUT=$out
exec 3>&1
dbus-run-session -- bash -euo pipefail -c '
printf "\n" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || true

# A demo key (a made-up secret: only its fingerprint is ever shown).
printf "msy_demo_not_a_real_key_9f3a\n" | "$MD" keys add --provider meshy --name "Client A" >/dev/null 2>&1 || echo "note: could not add the demo key" >&2

# A few Sandbox models so the gallery has something to show.
for p in "a red wooden crate" "a golden torus" "a blue marble sphere on a stone pillar" "a green plastic cone"; do
  "$MD" generate --provider sandbox --prompt "$p" --wait >/dev/null 2>&1 || echo "note: sandbox generate failed for: $p" >&2
done

win() { xdotool search --sync --onlyvisible --name "^Meshdrop$" | head -1; }
# The root window cropped to ours (no window manager runs, so it sits at 0,0).
shot() {
  sleep "${2:-1.5}"
  eval "$(xdotool getwindowgeometry --shell "$(win)")"
  import -window root -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage "$OUT/$1.png"
  echo "saved $OUT/$1.png" >&3
}

MESHDROP_SCREEN=generate "$MD" >"$MESHDROP_HOME/window.log" 2>&1 &
app_pid=$!
w=$(win)
xdotool windowsize "$w" 1200 760 windowmove "$w" 0 0
sleep 3

# Generate: a prompt typed into the focused prompt box.
xdotool windowfocus --sync "$w" 2>/dev/null || true
xdotool type --delay 30 "a small wooden chair with red cushions"
shot generate 1

# Ctrl+Enter sends it; the window switches to Jobs.
xdotool key ctrl+Return
sleep 1
xdotool mousemove --window "$w" 300 130 click 1
shot jobs 1.5

xdotool key ctrl+3
sleep 1.5
xdotool mousemove --window "$w" 260 190 click 1
shot gallery 3

xdotool key ctrl+4
sleep 1
xdotool mousemove --window "$w" 300 90 click 1
shot keys 1

xdotool key ctrl+5
shot settings 1
kill $app_pid
wait $app_pid 2>/dev/null || true
[ -n "${SCREENSHOT_LOG:-}" ] && cp "$MESHDROP_HOME/window.log" "$SCREENSHOT_LOG"
true
' 3>&3
