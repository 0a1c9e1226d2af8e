#!/usr/bin/env bash
# Installs the Debian packages a target needs, only those missing.
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -euo pipefail

packages=()
for group in "$@"; do
  case "$group" in
    host)  packages+=(cmake make gcc g++ clang python3) ;;
    cross) packages+=(mingw-w64 clang lld) ;;
    wine)  packages+=(wine64 mingw-w64) ;;
    bench) packages+=(valgrind) ;;
    rust)  packages+=(rustc) ;;
    *) echo "deps.sh: unknown group $group" >&2; exit 2 ;;
  esac
done

missing=()
for p in $(printf '%s\n' "${packages[@]}" | sort -u); do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Run as root:  $cmd" >&2
  exit 1
fi
echo "Installing: ${missing[*]}"
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
