#!/usr/bin/env bash
# Installs the Debian packages that the tests need (idempotent: quick when they are already there).
#   fuse3, python3-fusepy: the power-loss file system of tests/LocalStack.Persistence.Tests/Reliability/PowerLoss.
#   clang, zlib1g-dev: the native AOT publish of tests/LocalStack.Persistence.Tests/NativeAotTests.cs (the ILCompiler's
#     documented prerequisites; it links with `clang` and falls back to gcc when clang is not on PATH).
# Add a package to the list below; it is installed only when dpkg does not already have it.
set -euo pipefail
packages=(fuse3 python3-fusepy clang zlib1g-dev)

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
  echo "install-test-deps: not a Debian-like system; install ${packages[*]} by hand (tests that need them are ignored without them, outside CI)" >&2
  exit 0
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "install-test-deps: need root or sudo to install ${missing[*]} (tests that need them are ignored without them, outside CI)" >&2
    exit 0
  fi
  sudo=sudo
fi
echo "install-test-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
