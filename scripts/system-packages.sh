#!/usr/bin/env bash
# Installs the Debian packages Lockgate uses, when missing: `system-packages.sh run` (bubblewrap, which
# confines script steps) or `system-packages.sh test` (also the servers and the browser the tests start).
# As root or with sudo on Debian/Ubuntu; elsewhere it names what to install and goes on.
set -euo pipefail

declare -A BINARY=([bubblewrap]=bwrap [postgresql]=/usr/lib/postgresql/15/bin/postgres
                   [redis-server]=redis-server [chromium]=chromium)
case "${1:-run}" in
  run) wanted=(bubblewrap) ;;
  test) wanted=(bubblewrap postgresql redis-server chromium) ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

missing=()
for package in "${wanted[@]}"; do
  command -v "${BINARY[$package]}" >/dev/null 2>&1 || [[ -x "${BINARY[$package]}" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; else
    echo "Lockgate: please install ${missing[*]} (Debian packages); going on without them" >&2
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Lockgate: please install ${missing[*]} with your system's package manager; going on without them" >&2
  exit 0
fi
echo "Installing ${missing[*]} (Debian packages)"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
