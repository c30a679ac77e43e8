#!/usr/bin/env bash
# Builds Meshdrop, opens the real window under Xvfb with a throwaway
# MESHDROP_HOME (and HOME, so Fyne's preferences and the keychain are
# private) and walks the path a new user takes, checking each result:
#   1. Keys: Add key, the dialog typed into; the secret lands in the real
#      keychain (a gnome-keyring in a private D-Bus session).
#   2. Generate: the key shows in the key picker when its provider is picked.
#   3. An image file dragged from another window (scripts/dragsource.py, a
#      GTK drag source) and dropped on the window through XDND lands in the
#      image slots; Generate with the offline Sandbox.
#   4. Jobs: progress moves, the job finishes; its files are in the library.
#   5. Gallery: the model is selected, the orbit preview draws it, a drag on
#      the preview turns it; Open hands model.glb to the system opener (a
#      fake xdg-open first on PATH records its argument).
# It fails (non-zero) when a result is not seen, and saves
# docs/screenshots/{generate,jobs,gallery,keys,settings}.png.
# `make screenshots` installs xvfb, imagemagick, xdotool, gnome-keyring and
# libsecret-tools first; the drag source needs /usr/bin/python3 with GTK 3
# (python3-gi, gir1.2-gtk-3.0).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export ROOT=$root

# ---- the walkthrough (inside the D-Bus session) ---------------------------
if [ "${1:-}" = --session ]; then
set -euo pipefail
printf "\n" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || true

fail() { echo "screenshots: FAILED: $*" >&2; [ -n "${SCREENSHOT_LOG:-}" ] && cp "$MESHDROP_HOME/window.log" "$SCREENSHOT_LOG"; exit 1; }
step() { echo "-- $*" >&3; }
lib=$MESHDROP_HOME/data/library

# A few Sandbox models made on the command line, so the gallery is not bare.
for p in "a red wooden crate" "a golden torus" "a blue marble sphere on a stone pillar" "a green plastic cone"; do
  "$MD" generate --provider sandbox --prompt "$p" --wait >/dev/null 2>&1 || fail "sandbox generate on the command line: $p"
done

# No window manager runs: the window sits at 0,0 at the size set below, so
# window coordinates are screen coordinates.
W=1200 H=760
win() { xdotool search --sync --onlyvisible --name "^Meshdrop$" | head -1; }
alive() { kill -0 "$app_pid" 2>/dev/null || fail "the window closed (crash?); its log: $(tail -20 "$MESHDROP_HOME/window.log")"; }
grab() { # grab FILE: the window as it is now
  alive
  import -window root -crop "${W}x${H}+0+0" +repage "$1"
}
shot() { # shot NAME [DELAY]: a README screenshot
  sleep "${2:-1.5}"
  grab "$OUT/$1.png"
  echo "saved $OUT/$1.png" >&3
}
# changed A B X Y W H: true when that region differs between two grabs.
changed() {
  local n
  n=$(compare -metric AE -crop "${5}x${6}+$3+$4" "$1" "$2" null: 2>&1 || true)
  n=${n%% *}
  [ "${n%.*}" -gt 200 ] 2>/dev/null
}
click() { xdotool mousemove "$1" "$2" click 1; sleep "${3:-0.8}"; }
wait_for() { # wait_for SECONDS COMMAND…
  local t=$1; shift
  for _ in $(seq $((t * 5))); do "$@" && return 0; sleep 0.2; done
  return 1
}

PATH=$TMPD/fakebin:$PATH MESHDROP_SCREEN=generate "$MD" >"$MESHDROP_HOME/window.log" 2>&1 &
app_pid=$!
w=$(win)
xdotool windowsize "$w" $W $H windowmove "$w" 0 0
sleep 3
s=$TMPD/s; mkdir -p "$s"

# 1. Keys: Add key (top right), the dialog typed into as a person does.
step "Keys: add a key through the Add dialog"
xdotool key ctrl+4; sleep 1
grab "$s/keys-empty.png"
click $((W - 56)) 26 1.2               # Add key
grab "$s/keys-dialog.png"
changed "$s/keys-empty.png" "$s/keys-dialog.png" 360 230 480 300 || fail "the Add key dialog did not open"
click 640 342 0.3                      # Name
xdotool type --delay 30 "Studio Meshy"
click 610 381 0.3                      # API key (a password box)
secret=msy_demo_not_a_real_key_9f3a    # made up: only its fingerprint is ever shown
xdotool type --delay 20 "$secret"
click 645 492 1.5                      # Add
"$MD" keys list --json | grep -q "\"name\":\"Studio Meshy\",\"provider\":\"meshy\",\"fingerprint\":\"msy_…9f3a\",\"source\":\"keychain\"" \
  || fail "the key typed into the dialog is not listed as a keychain key: $("$MD" keys list --json 2>&1)"
secret-tool search --all service meshdrop 2>/dev/null | grep -qx "secret = $secret" \
  || fail "the typed secret is not in the keychain (service meshdrop)"
click 300 70 1                         # the key in the list
shot keys 0.5
changed "$s/keys-empty.png" "$OUT/keys.png" 80 50 1120 300 || fail "the Keys screen does not show the added key"

# 2. Generate: the key shows in the key picker once Meshy is picked.
step "Generate: the key in Meshy's key picker"
xdotool key ctrl+1; sleep 1
grab "$s/gen-sandbox.png"
click 450 26                           # Provider
click 190 99 1.2                       # Meshy
grab "$s/gen-meshy.png"
changed "$s/gen-sandbox.png" "$s/gen-meshy.png" 160 48 580 34 || fail "Meshy's key picker did not change from the Sandbox's"
click 450 65                           # Key: its list opens
grab "$s/gen-keys.png"
changed "$s/gen-meshy.png" "$s/gen-keys.png" 160 82 580 34 || fail "the key picker did not list the key"
xdotool key Escape; sleep 0.5
click 450 26                           # back to the Sandbox for an offline job
click 196 60 1.2
grab "$s/gen-before-drop.png"
changed "$s/gen-meshy.png" "$s/gen-before-drop.png" 160 8 580 34 || fail "could not pick the Sandbox again"

# 3. A real drag and drop (XDND) of the image file from another window.
step "Drop an image on the window"
"$GTK_PYTHON" "$ROOT/scripts/dragsource.py" "$TMPD/plant-pot.png" $((W + 1)) 0 >"$s/drag.log" 2>&1 &
drag_pid=$!
wait_for 10 grep -q ready "$s/drag.log" || fail "the drag source did not start: $(cat "$s/drag.log")"
sleep 0.5
xdotool mousemove $((W + 40)) 40; sleep 0.3
xdotool mousedown 1; sleep 0.2
for p in "$((W + 30)) 50" "$((W + 10)) 70" "$((W - 50)) 120" "1000 200" "800 300" "600 400" "590 410"; do
  xdotool mousemove $p; sleep 0.15
done
sleep 0.3
xdotool mouseup 1
wait "$drag_pid" || fail "the window did not take the drop: $(cat "$s/drag.log")"
sleep 1.5
grab "$s/gen-after-drop.png"
changed "$s/gen-before-drop.png" "$s/gen-after-drop.png" 85 380 660 280 || fail "the dropped image does not show in Generate's image slots"
changed "$s/gen-before-drop.png" "$s/gen-after-drop.png" 1085 670 110 40 || fail "Generate did not become ready with the dropped image"
shot generate 0.3

step "Generate with the Sandbox"
before=$(ls "$lib")
click 1140 690 0.2                     # Generate
job=""
find_job() { job=$(comm -13 <(printf "%s\n" "$before") <(ls "$lib") | head -1); [ -n "$job" ]; }
wait_for 10 find_job || fail "Generate made no job folder in the library"
[ -f "$lib/$job/input-1-plant-pot.png" ] || fail "the dropped image was not kept with job $job: $(ls "$lib/$job")"
cmp -s "$lib/$job/input-1-plant-pot.png" "$TMPD/plant-pot.png" || fail "the kept input differs from the dropped file"
grep -q "\"mode\": *\"image\"" "$lib/$job/job.json" || fail "job $job is not an image job"

# 4. Jobs: progress moves while it runs, then it is done.
step "Jobs: progress"
sleep 0.8
grab "$s/jobs-1.png"
sleep 1.2
grab "$s/jobs-2.png"
changed "$s/jobs-1.png" "$s/jobs-2.png" 85 5 605 75 || fail "the running job's row did not change (no progress shown)"
wait_for 60 grep -q "\"state\": *\"done\"" "$lib/$job/job.json" || fail "job $job did not finish: $(grep -o "\"state\": *\"[a-z_]*\"" "$lib/$job/job.json" | head -1)"
[ -s "$lib/$job/model.glb" ] && [ -s "$lib/$job/thumbnail.png" ] || fail "job $job has no model or thumbnail: $(ls "$lib/$job")"
sleep 1
click 300 40                           # the job (newest first)
shot jobs 0.7
changed "$s/jobs-2.png" "$OUT/jobs.png" 700 5 495 200 || fail "the finished job has no detail pane"

# 5. Gallery: select the new model; the preview draws it; a drag turns it.
step "Gallery: preview and orbit"
xdotool key ctrl+3; sleep 2
grab "$s/gallery-none.png"
click 165 200 2.5                      # the newest model
grab "$s/gallery-selected.png"
changed "$s/gallery-none.png" "$s/gallery-selected.png" 780 5 415 240 || fail "selecting the model drew no preview"
xdotool mousemove 985 120 mousedown 1
for x in 1000 1020 1040 1060 1080 1100; do xdotool mousemove "$x" 132; sleep 0.1; done
xdotool mouseup 1
sleep 1.5
grab "$s/gallery-turned.png"
changed "$s/gallery-selected.png" "$s/gallery-turned.png" 780 5 415 240 || fail "dragging on the preview did not turn the model"
shot gallery 0.2

step "Gallery: Open in another app"
click 880 540 1.5                      # Open
[ -s "$TMPD/opened.txt" ] || fail "Open ran no system opener (xdg-open)"
grep -qx "file://$lib/$job/model.glb" "$TMPD/opened.txt" || fail "Open handed over $(cat "$TMPD/opened.txt"), not $lib/$job/model.glb"

step "Settings"
xdotool key ctrl+5
shot settings 1

alive
kill "$app_pid"
wait "$app_pid" 2>/dev/null || true
[ -n "${SCREENSHOT_LOG:-}" ] && cp "$MESHDROP_HOME/window.log" "$SCREENSHOT_LOG"
if grep -q "panic\\|FATAL" "$MESHDROP_HOME/window.log"; then fail "the window log has a panic: $(grep -m3 "panic\\|FATAL" "$MESHDROP_HOME/window.log")"; fi
if grep -qi "\"level\":\"error\"" "$MESHDROP_HOME/data/logs/meshdrop.log" 2>/dev/null; then
  fail "Meshdrop logged errors: $(grep -i "\"level\":\"error\"" "$MESHDROP_HOME/data/logs/meshdrop.log" | head -3)"
fi
echo "walkthrough: key, drop, generate, progress, gallery, preview, orbit and open all seen" >&3
exit 0
fi
# ---------------------------------------------------------------------------
out=$root/docs/screenshots
mkdir -p "$out"

export LANG=C.UTF-8
# Fyne cannot read a language from C.UTF-8 (see the Makefile).
export LANGUAGE=${LANGUAGE:-en}
GOCACHE=$(go env GOCACHE); GOMODCACHE=$(go env GOMODCACHE); export GOCACHE GOMODCACHE
# The system Python (a pyenv or venv python3 on PATH usually lacks gi).
export GTK_PYTHON=${GTK_PYTHON:-/usr/bin/python3}
if ! "$GTK_PYTHON" -c 'import gi; gi.require_version("Gtk", "3.0"); from gi.repository import Gtk' 2>/dev/null; then
  echo "screenshots: $GTK_PYTHON cannot import GTK 3 (install python3-gi and gir1.2-gtk-3.0, or set GTK_PYTHON)" >&2
  exit 1
fi
tmp=$(mktemp -d)
cleanup() {
  [ -n "${xvfb_pid:-}" ] && kill "$xvfb_pid" 2>/dev/null || true
  if [ -n "${SCREENSHOT_KEEP:-}" ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
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
Xvfb ":$disp" -screen 0 1280x800x24 -nolisten tcp -noreset >/dev/null 2>&1 &
xvfb_pid=$!
export DISPLAY=:$disp
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

# A fake system opener: the Gallery's Open runs xdg-open (Fyne's OpenURL).
mkdir -p "$tmp/fakebin"
cat >"$tmp/fakebin/xdg-open" <<EOS
#!/bin/sh
printf '%s\n' "\$@" >>"$tmp/opened.txt"
EOS
chmod +x "$tmp/fakebin/xdg-open"

# The picture a user drops: a terracotta pot with a sprout.
convert -size 384x384 xc:'#f4f1ea' -fill '#c8552b' -draw "roundrectangle 110,120 274,330 30,30" \
  -fill '#e07a4a' -draw "ellipse 192,120 82,22 0,360" -fill '#7a2e12' -draw "ellipse 192,120 62,14 0,360" \
  -fill '#3a7d44' -draw "polygon 192,40 170,110 214,110" -depth 8 "$tmp/plant-pot.png"


# The walkthrough runs inside a private D-Bus session with an unlocked
# keychain (this script again, with --session), so the key typed into the
# Keys screen goes to a real Secret Service.
export MD=$tmp/bin/meshdrop OUT=$out TMPD=$tmp
exec 3>&1
# (The session bus's own chatter on stderr is dropped; failures still show.)
dbus-run-session -- bash "$root/scripts/$(basename "$0")" --session 3>&3 \
  2> >(grep --line-buffered -v "^dbus-daemon\[\|^SpiRegistry daemon\|^X connection to" >&2)
