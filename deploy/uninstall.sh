#!/usr/bin/env bash
# Remove gatewarden from this Pi:
#
#   sudo deploy/uninstall.sh [--purge] [--dry-run]
#
# Stops and removes every gatewarden service and timer and the program in /opt/gatewarden.
# Keeps the data (/var/lib/gatewarden: the database, pictures, outboxes, backups), the config
# (/etc/gatewarden), the broker's accounts (/etc/mosquitto/gatewarden) and the service user, so
# a later install.sh carries on where this one stopped.
#   --purge    also delete the data, the config, the broker's accounts and the service user
#              (there is no undo: take a backup first, see docs/operations.md)
#   --dry-run  print what would be done, change nothing
# System packages (mosquitto, bluez, …) stay: other programs may use them.
set -euo pipefail

PURGE=0
DRY=0
UNITS=(gatewarden-hub.service gatewarden-gate.service gatewarden-lane.service gatewarden-charging.service
       gatewarden-backup.timer gatewarden-backup.service)

say() { printf '\033[1m[gatewarden]\033[0m %s\n' "$*" >&2; }
die() { printf 'uninstall.sh: %s\n' "$*" >&2; exit 2; }
run() { if [ "$DRY" -eq 1 ]; then printf '+ %s\n' "$*"; else "$@"; fi; }

while [ $# -gt 0 ]; do
  case "$1" in
    --purge) PURGE=1 ;;
    --dry-run) DRY=1 ;;
    -h|--help) sed -n '2,14p' "$0" | cut -c3-; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
if [ "$DRY" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then die "run as root: sudo $0"; fi

for unit in "${UNITS[@]}"; do
  if [ -e "/etc/systemd/system/$unit" ]; then
    say "removing $unit"
    run systemctl disable --now "$unit" || true
    run rm -f "/etc/systemd/system/$unit"
  fi
done
run systemctl daemon-reload || true
run rm -rf /opt/gatewarden

if [ "$PURGE" -eq 0 ]; then
  say "kept /var/lib/gatewarden (data), /etc/gatewarden (config), /etc/mosquitto/gatewarden and the user gatewarden"
  exit 0
fi
say "purging data, config, broker accounts and the service user"
if [ -e /etc/mosquitto/conf.d/gatewarden.conf ] || [ -e /etc/mosquitto/conf.d/gatewarden-bridge.conf ]; then
  run rm -f /etc/mosquitto/conf.d/gatewarden.conf /etc/mosquitto/conf.d/gatewarden-bridge.conf
  run systemctl restart mosquitto.service || true
fi
run rm -rf /var/lib/gatewarden /etc/gatewarden /etc/mosquitto/gatewarden
if id gatewarden >/dev/null 2>&1; then run userdel gatewarden; fi
say "gatewarden is gone"
