#!/usr/bin/env bash
# Installs the test tools that come from registries rather than the OS: the
# Khronos glTF validator (npm gltf-validator), into a cache folder outside the
# repository. Prints the folder's node_modules path.
set -euo pipefail
dir=${MESHDROP_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/meshdrop-tools}
version=2.0.0-dev.3.10
mkdir -p "$dir"
if [ ! -f "$dir/node_modules/gltf-validator/package.json" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing: install Node.js and npm (Debian: apt-get install nodejs npm) for the glTF validator tests" >&2
    exit 1
  fi
  npm install --silent --no-audit --no-fund --prefix "$dir" "gltf-validator@$version" >&2
fi
echo "$dir/node_modules"
