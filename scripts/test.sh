#!/usr/bin/env bash
# Runs every test inside a private D-Bus session with an unlocked
# gnome-keyring and a temporary HOME, so keychain tests talk to a real Secret
# Service and never touch the user's own keychain or data. core/ and ui/ run
# with -race (ui's tests run fyne.Do calls on one UI thread, as the real main
# loop does: ui/serial_test.go).
set -euo pipefail
cd "$(dirname "$0")/.."

export LANG=${LANG:-C.UTF-8}
[ "$LANG" = C ] || [ "$LANG" = POSIX ] && export LANG=C.UTF-8
# Fyne cannot parse "C.UTF-8" as a language; LANGUAGE gives it one.
case "$LANG" in C.*|POSIX.*) export LANGUAGE=${LANGUAGE:-en} ;; esac
# Keep Go's caches where they are: a new HOME would otherwise mean a cold build.
GOCACHE=$(go env GOCACHE); GOMODCACHE=$(go env GOMODCACHE); GOPATH=$(go env GOPATH)
export GOCACHE GOMODCACHE GOPATH

# The glTF validator for the Sandbox's output tests.
MESHDROP_NODE_MODULES=$(scripts/tools.sh)
export MESHDROP_NODE_MODULES

tmp=$(mktemp -d)
trap '[ -n "${xvfb_pid:-}" ] && kill "$xvfb_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
export HOME=$tmp/home MESHDROP_HOME=$tmp/meshdrop
mkdir -p "$HOME"
unset XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME XDG_RUNTIME_DIR DBUS_SESSION_BUS_ADDRESS
# The user's own provider keys never reach the tests.
unset MESHY_API_KEY TRIPO_API_KEY RODIN_API_KEY HYPER3D_API_KEY GENX3D_API_KEY
unset MESHDROP_MESHY_URL MESHDROP_TRIPO_URL MESHDROP_RODIN_URL MESHDROP_GENX3D_URL
# Tests that need the real keychain or the validator fail instead of skipping.
export MESHDROP_REQUIRE_KEYCHAIN=1 MESHDROP_REQUIRE_VALIDATOR=1 MESHDROP_REQUIRE_X11=1

# A private X server, without a window manager, for the window-position tests
# in ui; only they get it (MESHDROP_TEST_DISPLAY), so they never touch the
# user's desktop and no other test sees an X server. Xvfb picks a free number.
if command -v Xvfb >/dev/null 2>&1; then
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3>"$tmp/xdisplay" >"$tmp/xvfb.log" 2>&1 &
  xvfb_pid=$!
  for _ in $(seq 100); do [ -s "$tmp/xdisplay" ] && break; sleep 0.1; done
  if [ -s "$tmp/xdisplay" ]; then
    MESHDROP_TEST_DISPLAY=:$(cat "$tmp/xdisplay"); export MESHDROP_TEST_DISPLAY
  else
    echo "note: Xvfb did not start, the X11 tests will fail: $(cat "$tmp/xvfb.log")" >&2
  fi
else
  echo "note: Xvfb is missing (Debian/Ubuntu: apt-get install xvfb), the X11 tests will fail" >&2
fi

# The layering rule: nothing under core/ imports Fyne.
if go list -deps ./core/... | grep '^fyne.io/'; then
  echo "FAIL: core/ must not import Fyne (packages above)" >&2
  exit 1
fi

# Everything compiles and passes go vet, the window and the command line included
# (go test alone skips packages without tests).
go vet ./...

core_pkgs=$(go list ./core/... ./ui)
other_pkgs=$(go list ./... | grep -v -e '^meshdrop/core' -e '^meshdrop/ui$' || true)

# shellcheck disable=SC2016
dbus-run-session -- bash -c '
  set -euo pipefail
  printf "\n" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  status=0
  go test -race -count=1 -timeout 30m $0 || status=1
  go test -count=1 -timeout 30m $1 || status=1
  exit $status
' "$core_pkgs" "$other_pkgs" 2> >(grep -v "Failed to set fd limit" >&2)
