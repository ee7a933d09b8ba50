#!/usr/bin/env bash
# Install (or upgrade) gatewarden on Raspberry Pi OS (Bookworm) or Debian 12, as one role:
#
#   sudo deploy/install.sh hub|gate|lane|charging [--config FILE] [--no-start] [--dry-run]
#
#   hub       the compound's hub: Mosquitto, the database, rules, alerts, web view, daily backup
#   gate      a gate Pi: barrier relays and inputs on GPIO, Bluetooth tags, cameras
#   lane      a lane Pi: Bluetooth tags and cameras watching parking strips and fire lanes
#   charging  the charging-shed Pi: meters on RS-485 (UART/USB), SPI or MQTT
#
#   --config FILE  use FILE as /etc/gatewarden/<role>.toml (only when that file does not exist yet)
#   --no-start     install and enable, but do not (re)start the service
#   --dry-run      print what would be done, change nothing
#
# Safe to run again (that is how to upgrade): packages already there are kept, the service user,
# its groups and directories are created only when missing, an existing config is never
# overwritten, the virtualenv gets this checkout installed afresh, and the service is restarted.
# The service starts only when its config is valid and no longer carries the skeleton's first
# line.  Docs: docs/install.md, docs/operations.md.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=/opt/gatewarden
VENV=$PREFIX/venv
ETC=/etc/gatewarden
DATA=/var/lib/gatewarden
USER_NAME=gatewarden
UNIT_DIR=/etc/systemd/system

ROLE=""
CONFIG=""
START=1
DRY=0

say() { printf '\033[1m[gatewarden]\033[0m %s\n' "$*" >&2; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 2; }
run() {  # run a command that changes the system (printed only, with --dry-run)
  if [ "$DRY" -eq 1 ]; then printf '+ %s\n' "$*"; else "$@"; fi
}

usage() { sed -n '2,16p' "$0" | cut -c3-; }

parse_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      hub|gate|lane|charging) [ -z "$ROLE" ] || die "give one role only"; ROLE=$1 ;;
      --config) [ $# -ge 2 ] || die "--config needs a FILE"; CONFIG=$2; shift ;;
      --no-start) START=0 ;;
      --dry-run) DRY=1 ;;
      -h|--help) usage; exit 0 ;;
      *) die "unknown argument '$1' (roles: hub, gate, lane, charging; see --help)" ;;
    esac
    shift
  done
  [ -n "$ROLE" ] || die "name a role: hub, gate, lane or charging (see --help)"
  if [ -n "$CONFIG" ] && [ ! -f "$CONFIG" ]; then die "--config: no such file: $CONFIG"; fi
  if [ "$DRY" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then die "run as root: sudo $0 $ROLE"; fi
  return 0
}

is_pi() { grep -qs "Raspberry Pi" /proc/device-tree/model; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

available() { apt-cache show "$1" >/dev/null 2>&1; }

role_packages() {
  local pkgs=(python3 python3-venv ca-certificates)
  if ! installed chrony; then pkgs+=(systemd-timesyncd); fi
  if is_pi; then pkgs+=(fake-hwclock); fi
  case "$ROLE" in
    hub) pkgs+=(mosquitto mosquitto-clients sqlite3) ;;
    gate|lane) pkgs+=(bluez rfkill) ;;
  esac
  if [ "$ROLE" != hub ] && is_pi && available python3-lgpio; then pkgs+=(python3-lgpio); fi
  printf '%s\n' "${pkgs[@]}"
}

role_groups() {
  case "$ROLE" in
    gate|lane) echo "gpio bluetooth video" ;;
    charging) echo "gpio dialout spi" ;;
    hub) echo "" ;;
  esac
}

install_packages() {
  local missing=() pkg
  while read -r pkg; do
    installed "$pkg" || missing+=("$pkg")
  done < <(role_packages)
  if [ ${#missing[@]} -eq 0 ]; then say "system packages already installed"; return 0; fi
  say "installing system packages: ${missing[*]}"
  run env DEBIAN_FRONTEND=noninteractive apt-get update -q
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

create_user() {
  local group groups
  groups=$(role_groups)
  for group in $groups; do  # Debian has no gpio or spi group: create it (udev rules may use it)
    getent group "$group" >/dev/null || run groupadd --system "$group"
  done
  if ! id "$USER_NAME" >/dev/null 2>&1; then
    say "creating the service user $USER_NAME"
    run useradd --system --user-group --home-dir "$DATA" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
  fi
  if [ -n "$groups" ]; then run usermod -a -G "${groups// /,}" "$USER_NAME"; fi
}

make_dirs() {
  run install -d -m 0750 -o "$USER_NAME" -g "$USER_NAME" "$DATA"
  run install -d -m 0750 -o root -g "$USER_NAME" "$ETC"
  run install -d -m 0755 "$PREFIX"
}

install_code() {
  say "installing gatewarden from $SRC into $VENV"
  run rm -rf "$PREFIX/src.new"
  run mkdir -p "$PREFIX/src.new"
  run tar -C "$SRC" --exclude=./.venv --exclude=./.git --exclude='*.pyc' --exclude=./gatewarden.egg-info \
      -cf "$PREFIX/src.tar" .
  run tar -C "$PREFIX/src.new" -xf "$PREFIX/src.tar"
  run rm -f "$PREFIX/src.tar"
  run rm -rf "$PREFIX/src"
  run mv "$PREFIX/src.new" "$PREFIX/src"
  if [ ! -x "$VENV/bin/python" ]; then
    # system site packages: the edge roles use Raspberry Pi OS's patched python3-lgpio
    run python3 -m venv --system-site-packages "$VENV"
  fi
  run "$VENV/bin/python" -m pip install -q --upgrade pip
  run "$VENV/bin/python" -m pip install -q --upgrade "$PREFIX/src"
}

install_config() {
  local target="$ETC/$ROLE.toml" source="$SRC/deploy/config/$ROLE.toml"
  if [ -e "$target" ]; then
    say "keeping the existing $target"
    return 0
  fi
  if [ -n "$CONFIG" ]; then source=$CONFIG; fi
  say "writing $target from $source"
  run install -m 0640 -o root -g "$USER_NAME" "$source" "$target"
}

install_units() {
  local units=("gatewarden-$ROLE.service") unit
  if [ "$ROLE" = hub ]; then units+=(gatewarden-backup.service gatewarden-backup.timer); fi
  for unit in "${units[@]}"; do
    run install -m 0644 "$SRC/deploy/systemd/$unit" "$UNIT_DIR/$unit"
  done
  run systemctl daemon-reload
  run systemctl enable "gatewarden-$ROLE.service"
  if [ "$ROLE" = hub ]; then
    run systemctl enable --now mosquitto.service
    run systemctl enable --now gatewarden-backup.timer
  fi
}

set_up_time() {
  if installed chrony; then return 0; fi
  run timedatectl set-ntp true || say "could not switch NTP on (timedatectl); check the clock by hand"
}

config_ready() {  # the config validates and is no longer the skeleton
  local target="$ETC/$ROLE.toml"
  if grep -q '^# gatewarden-skeleton' "$target" 2>/dev/null; then
    say "$target is still the skeleton: edit it, delete its first line, then: systemctl restart gatewarden-$ROLE"
    return 1
  fi
  if [ "$ROLE" = hub ]; then
    runuser -u "$USER_NAME" -- "$VENV/bin/python" -c \
      'import sys; from hub.config import load_hub_config; load_hub_config(sys.argv[1])' "$target"
  else
    runuser -u "$USER_NAME" -- "$VENV/bin/gatewarden" edge --config "$target" --check
  fi
}

start_service() {
  if [ "$START" -eq 0 ] || [ "$DRY" -eq 1 ]; then
    say "not starting gatewarden-$ROLE (--no-start or --dry-run)"
    return 0
  fi
  if config_ready; then
    run systemctl restart "gatewarden-$ROLE.service"
    say "gatewarden-$ROLE is running: journalctl -u gatewarden-$ROLE -f"
  fi
}

next_steps() {
  case "$ROLE" in
    hub) say "next: lock the broker down: sudo $VENV/bin/gatewarden deploy broker --config $ETC/hub.toml --devices <ids> --tls --out /etc/mosquitto/gatewarden (docs/install.md)" ;;
    *) say "next: copy this device's mqtt/ folder from the hub's broker directory to $ETC/ and merge its mqtt.toml (docs/install.md)" ;;
  esac
}

main() {
  parse_args "$@"
  say "installing role $ROLE$( [ "$DRY" -eq 1 ] && echo ' (dry run: nothing changes)')"
  install_packages
  create_user
  make_dirs
  install_code
  install_config
  install_units
  set_up_time
  start_service
  next_steps
}

main "$@"
