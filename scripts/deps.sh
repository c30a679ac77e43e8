#!/usr/bin/env bash
# Installs the system packages Meshdrop needs to build (and, with "test", to
# test) on Debian or Ubuntu, as root or through sudo. Elsewhere it prints the
# exact packages to install and stops, so nobody meets a bare compiler error
# about a missing header.
set -euo pipefail
what=${1:-build}

build_pkgs=(gcc pkg-config libgl1-mesa-dev xorg-dev libgtk-3-dev)
test_pkgs=(gnome-keyring dbus-x11 libsecret-tools xvfb)
shot_pkgs=(xvfb imagemagick xdotool python3-gi gir1.2-gtk-3.0)  # GTK for the drag source of the scripted drop

pkgs=("${build_pkgs[@]}")
case "$what" in
  build) ;;
  test) pkgs+=("${test_pkgs[@]}") ;;
  screenshots) pkgs+=("${test_pkgs[@]}" "${shot_pkgs[@]}") ;;
  *) echo "usage: $0 build|test|screenshots" >&2; exit 2 ;;
esac

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && exit 0
  echo "Meshdrop needs these Debian/Ubuntu packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
    echo "Installing them with sudo (you may be asked for your password)."
  else
    echo "Run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  exit 0
fi

# Not Debian or Ubuntu: check what we can and say exactly what is needed.
need=()
command -v gcc >/dev/null 2>&1 || need+=("a C compiler (gcc)")
command -v pkg-config >/dev/null 2>&1 || need+=("pkg-config")
if command -v pkg-config >/dev/null 2>&1; then
  pkg-config --exists gl || need+=("OpenGL headers (Fedora: mesa-libGL-devel; Arch: mesa)")
  pkg-config --exists x11 xcursor xrandr xinerama xi xxf86vm || need+=("X11 headers (Fedora: libX11-devel libXcursor-devel libXrandr-devel libXinerama-devel libXi-devel libXxf86vm-devel; Arch: libx11 libxcursor libxrandr libxinerama libxi libxxf86vm)")
  pkg-config --exists gtk+-3.0 || need+=("GTK 3 headers (Fedora: gtk3-devel; Arch: gtk3)")
fi
if [ "$what" != build ]; then
  command -v gnome-keyring-daemon >/dev/null 2>&1 || need+=("gnome-keyring")
  command -v dbus-run-session >/dev/null 2>&1 || need+=("dbus (dbus-run-session)")
  command -v secret-tool >/dev/null 2>&1 || need+=("secret-tool (Fedora: libsecret; Arch: libsecret)")
  command -v Xvfb >/dev/null 2>&1 || need+=("Xvfb (Fedora: xorg-x11-server-Xvfb; Arch: xorg-server-xvfb)")
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "This is not Debian or Ubuntu, so Meshdrop cannot install its build dependencies itself." >&2
  echo "Please install:" >&2
  for n in "${need[@]}"; do echo "  - $n" >&2; done
  echo "(On Debian/Ubuntu these are: ${pkgs[*]})" >&2
  exit 1
fi
