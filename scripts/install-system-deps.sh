#!/usr/bin/env bash
# Installs the Debian programs the project drives, only where missing.
# Usage: install-system-deps.sh [run|test]
set -euo pipefail
mode="${1:-run}"

need=()
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v msgfmt >/dev/null || need+=(gettext)  # compiles the translations (make install)
if [ "$mode" = test ]; then
  command -v java >/dev/null || need+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || need+=(maven)
  command -v chromium >/dev/null || need+=(chromium)
  command -v node >/dev/null || need+=(nodejs npm)
  # The production server is tested behind the real proxy (tests/deploy).
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
  # The throwaway test server (scripts/postgres.sh); /usr/local/bin/pg_ctl does not count.
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
fi

[ ${#need[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "Please install as root: apt-get install ${need[*]}" >&2; exit 1
  fi
else SUDO=""; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
