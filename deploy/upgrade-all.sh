#!/usr/bin/env bash
# Upgrade every Pi of the compound from the hub (or any machine that reaches them over SSH):
#
#   deploy/upgrade-all.sh PIS_FILE [--wheelhouses DIR] [--dry-run]
#
#   PIS_FILE          one Pi a line: "HOST ROLE" (e.g. "gw-gate-north.local gate"); # comments
#   --wheelhouses DIR offline: DIR/<role>/ made by `gatewarden deploy wheelhouse --role <role>`
#   --dry-run         print what would be done
#
# For each Pi, hub first, then the others one at a time in the file's order: copies this checkout
# (and the role's wheelhouse) to the Pi with rsync over SSH and runs
# `sudo deploy/install.sh ROLE --upgrade` there, which installs beside the running version, health
# checks and rolls back on failure.  Stops at the first Pi that fails, so a bad release reaches one
# Pi only.  Needs SSH keys for the Pis' login user, with sudo.  Docs: docs/operations.md.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PIS=""
HOUSES=""
DRY=0
REMOTE=/tmp/gatewarden-upgrade

die() { printf 'upgrade-all.sh: %s\n' "$*" >&2; exit 2; }
run() { if [ "$DRY" -eq 1 ]; then printf '+ %s\n' "$*"; else "$@"; fi; }

while [ $# -gt 0 ]; do
  case "$1" in
    --wheelhouses) [ $# -ge 2 ] || die "--wheelhouses DIR"; HOUSES=$2; shift ;;
    --dry-run) DRY=1 ;;
    -h|--help) sed -n '2,15p' "$0" | cut -c3-; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) [ -z "$PIS" ] || die "one PIS_FILE only"; PIS=$1 ;;
  esac
  shift
done
[ -n "$PIS" ] || die "name the PIS_FILE (see --help)"
[ -f "$PIS" ] || die "no such file: $PIS"

ordered() {  # the hub's lines first, then the rest in file order
  grep -v '^[[:space:]]*\(#\|$\)' "$PIS" | awk '$2 == "hub"'
  grep -v '^[[:space:]]*\(#\|$\)' "$PIS" | awk '$2 != "hub"'
}

upgrade_one() {  # upgrade_one HOST ROLE
  local host=$1 role=$2 args=("$2" --upgrade)
  case "$role" in hub|gate|lane|charging) ;; *) die "$PIS: unknown role '$role' for $host" ;; esac
  printf '\033[1m[gatewarden]\033[0m %s (%s)\n' "$host" "$role" >&2
  run rsync -a --delete --exclude=.git --exclude=.venv --exclude='__pycache__' "$SRC/" "$host:$REMOTE/src/"
  if [ -n "$HOUSES" ]; then
    [ -d "$HOUSES/$role" ] || die "no wheelhouse $HOUSES/$role"
    run rsync -a --delete "$HOUSES/$role/" "$host:$REMOTE/wheels/"
    args+=(--wheelhouse "$REMOTE/wheels")
  fi
  if ! run ssh "$host" sudo "$REMOTE/src/deploy/install.sh" "${args[@]}"; then
    die "$host ($role) failed its upgrade (rolled back there); the Pis after it were not touched"
  fi
}

while read -r host role _; do
  upgrade_one "$host" "$role" </dev/null
done < <(ordered)
