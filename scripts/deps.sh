#!/usr/bin/env bash
# Installs what building and testing dsc needs on Debian 12, and nothing when it is all there:
# asks dpkg which packages are missing, and only then runs apt-get update and install.
# Run as root (or as a user who may sudo).  Safe to run again and again.
set -euo pipefail

packages=(build-essential cmake pkg-config flex bison libfl-dev llvm-19-dev clang-19 libcunit1-dev
          libxxhash-dev mold)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "deps: all ${#packages[@]} packages are installed"
  exit 0
fi

echo "deps: installing ${missing[*]}"
sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "deps: not root and no sudo; install as root" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  "${missing[@]}"
echo "deps: done"
