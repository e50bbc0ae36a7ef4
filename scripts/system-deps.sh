#!/usr/bin/env bash
# Installs what the tests need that npm does not bring: Debian's chromium (browser tests) and
# redis-server (multi-process tests). Installs only what is missing; needs root for apt-get.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)

if [ ${#missing[@]} -eq 0 ]; then
  echo "system-deps: chromium and redis-server present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${missing[*]}; install them as root: apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The package may start a system-wide Redis on 6379; the tests spawn their own on free ports.
echo "system-deps: installed ${missing[*]}"
