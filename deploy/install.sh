#!/usr/bin/env bash
# Install (or upgrade) gatewarden on Raspberry Pi OS (Bookworm, 64-bit) or Debian 12, as one role:
#
#   sudo deploy/install.sh hub|gate|lane|charging [options]
#
#   hub       the compound's hub: Mosquitto, the database, rules, alerts, web view, daily backup
#   gate      a gate Pi: barrier relays and inputs on GPIO, Bluetooth tags (cameras: --camera)
#   lane      a lane Pi: Bluetooth tags and cameras watching parking strips and fire lanes
#   charging  the charging-shed Pi: meters on RS-485 (UART/USB), SPI or MQTT
#
#   --config FILE         use FILE as /etc/gatewarden/<role>.toml (only when that file does not exist yet)
#   --wheelhouse DIR      install from DIR with no network (made by `gatewarden deploy wheelhouse`)
#   --camera, --no-camera add or leave out the cameras (OpenCV; a lane has them by default)
#   --upgrade             upgrade in place: new virtualenv beside the old, health check, rollback
#   --no-hardware-check   install before the role's hardware is connected
#   --no-start            install and enable, but do not (re)start the service
#   --dry-run             check this Pi and print what would be done, change nothing
#
# Everything is checked first (system, processor, Python, free space, the role's hardware); nothing
# changes unless all checks pass.  Safe to run again: packages already there are kept, the service
# user, its groups and directories are created only when missing, an existing config is never
# overwritten.  Each run installs into a new virtualenv under /opt/gatewarden/venvs/ and switches
# the /opt/gatewarden/venv link to it; with --upgrade a failed health check switches it back.
# Messages in Chinese; GATEWARDEN_LANG=en for English.  Docs: docs/install.md, docs/operations.md.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# GATEWARDEN_ROOT: an empty folder standing for / (the install tests); the system's own otherwise.
ROOT=${GATEWARDEN_ROOT:-}
PREFIX=$ROOT/opt/gatewarden
VENV=$PREFIX/venv
ETC=$ROOT/etc/gatewarden
DATA=$ROOT/var/lib/gatewarden
UNIT_DIR=$ROOT/etc/systemd/system
USER_NAME=gatewarden
PYTHON=${GATEWARDEN_PYTHON:-python3}

ROLE=""
CONFIG=""
WHEELHOUSE=""
CAMERA=""
UPGRADE=0
HWCHECK=1
START=1
DRY=0
STAMP=$(date +%Y%m%d-%H%M%S)-$$
NEW_VENV=$PREFIX/venvs/$STAMP

case "${GATEWARDEN_LANG:-${LC_ALL:-${LC_MESSAGES:-${LANG:-}}}}" in en*) EN=1 ;; *) EN=0 ;; esac
t() { if [ "$EN" -eq 1 ]; then printf '%s' "$2"; else printf '%s' "$1"; fi; }  # t CHINESE ENGLISH
say() { printf '\033[1m[gatewarden]\033[0m %s\n' "$*" >&2; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 2; }
run() {  # run a command that changes the system (printed only, with --dry-run)
  if [ "$DRY" -eq 1 ]; then printf '+ %s\n' "$*"; else "$@"; fi
}

usage() { sed -n '2,25p' "$0" | cut -c3-; }

parse_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      hub|gate|lane|charging) [ -z "$ROLE" ] || die "$(t '只能给一个角色' 'give one role only')"; ROLE=$1 ;;
      --config) [ $# -ge 2 ] || die "--config FILE"; CONFIG=$2; shift ;;
      --wheelhouse) [ $# -ge 2 ] || die "--wheelhouse DIR"; WHEELHOUSE=$(cd "$2" 2>/dev/null && pwd) \
          || die "--wheelhouse: $(t '没有这个文件夹' 'no such folder'): $2"; shift ;;
      --camera) CAMERA=1 ;;
      --no-camera) CAMERA=0 ;;
      --upgrade) UPGRADE=1 ;;
      --no-hardware-check) HWCHECK=0 ;;
      --no-start) START=0 ;;
      --dry-run) DRY=1 ;;
      -h|--help) usage; exit 0 ;;
      *) die "$(t "不认识的参数 '$1'（角色：hub、gate、lane、charging；见 --help）" \
                  "unknown argument '$1' (roles: hub, gate, lane, charging; see --help)")" ;;
    esac
    shift
  done
  [ -n "$ROLE" ] || die "$(t '请指定角色：hub、gate、lane 或 charging（见 --help）' 'name a role: hub, gate, lane or charging (see --help)')"
  if [ -n "$CONFIG" ] && [ ! -f "$CONFIG" ]; then die "--config: $(t '没有这个文件' 'no such file'): $CONFIG"; fi
  if [ "$DRY" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then die "$(t '请用 root 运行' 'run as root'): sudo $0 $ROLE"; fi
  return 0
}

# --- checks: all before anything changes -----------------------------------------------------------

extras() {  # the pip extras of this role
  local list
  case "$ROLE" in hub) list=hub ;; gate) list=gate ;; lane) list=lane,camera ;; charging) list=charging ;; esac
  if [ "$CAMERA" = 1 ] && [ "$ROLE" != hub ] && [[ $list != *camera* ]]; then list=$list,camera; fi
  if [ "$CAMERA" = 0 ]; then list=${list/,camera/}; fi
  echo "$list"
}

needed_mb() {  # room the role's virtualenv and a spare copy need in /opt (measured: docs/performance.md)
  local mb=250
  [[ $(extras) == *camera* ]] && mb=$((mb + 400))
  [ "$ROLE" = hub ] && mb=$((mb + 150))
  echo "$mb"
}

PROBLEMS=()
problem() { PROBLEMS+=("$1"); }

check_system() {
  local codename="" id=""
  if [ -r "$ROOT/etc/os-release" ]; then
    # shellcheck disable=SC1091
    codename=$(. "$ROOT/etc/os-release"; echo "${VERSION_CODENAME:-}")
    # shellcheck disable=SC1091
    id=$(. "$ROOT/etc/os-release"; echo "${ID:-}")
  fi
  if [ "$codename" != bookworm ]; then
    problem "$(t "系统不是 Debian 12 / Raspberry Pi OS Bookworm（这里是 ${id:-?} ${codename:-?}）：请装 64 位 Raspberry Pi OS (Bookworm)" \
                 "the system is not Debian 12 / Raspberry Pi OS Bookworm (found ${id:-?} ${codename:-?}): install 64-bit Raspberry Pi OS (Bookworm)")"
  fi
}

check_machine() {
  local machine
  machine=$(uname -m)
  case "$machine" in
    aarch64) PLATFORM=bookworm-aarch64 ;;
    x86_64) PLATFORM=bookworm-x86_64 ;;
    armv7l|armv6l|armhf|i686|i386)
      PLATFORM=""
      problem "$(t "这是 32 位系统（$machine）：OpenCV、NumPy 等在 32 位上没有现成的安装包，安装会编译几个小时甚至内存耗尽。请用 Raspberry Pi Imager 重新写入 64 位 Raspberry Pi OS (Bookworm)（树莓派 3B/4/5/Zero 2 W 都支持），再运行本脚本" \
                   "this is a 32-bit system ($machine): there are no ready-made OpenCV/NumPy packages for it and the install would compile for hours or run out of memory. Re-flash 64-bit Raspberry Pi OS (Bookworm) with Raspberry Pi Imager (every Pi 3B/4/5/Zero 2 W runs it), then run this again")" ;;
    *) PLATFORM=""; problem "$(t "不支持的处理器：$machine（支持 aarch64 和 x86_64）" "unsupported processor: $machine (aarch64 and x86_64 are supported)")" ;;
  esac
}

check_python() {
  local version
  version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo none)
  if [ "$version" != 3.11 ]; then
    problem "$(t "需要 Python 3.11（Bookworm 自带的 python3），这里是：$version" "Python 3.11 is needed (Bookworm's python3); found: $version")"
  fi
}

check_space() {
  local where=$PREFIX free need
  while [ ! -d "$where" ]; do where=$(dirname "$where"); done
  free=$(df -Pm "$where" | awk 'NR==2 {print $4}')
  need=$(needed_mb)
  if [ "${free:-0}" -lt "$need" ]; then
    problem "$(t "$where 剩余空间 ${free} MB，至少需要 ${need} MB" "$where has ${free} MB free; at least ${need} MB are needed")"
  fi
}

has() { compgen -G "$ROOT$1" >/dev/null; }  # has GLOB: a device or sysfs entry exists

check_hardware() {
  [ "$HWCHECK" -eq 1 ] || return 0
  local skip
  skip=$(t '（接好硬件之前安装：--no-hardware-check）' ' (to install before wiring: --no-hardware-check)')
  case "$ROLE" in
    gate)
      has '/dev/gpiochip*' || problem "$(t '找不到 GPIO（/dev/gpiochip*）：道闸继电器和地感要接在树莓派的 GPIO 上' 'no GPIO (/dev/gpiochip*): the barrier relays and loops connect to the Pi GPIO')$skip"
      has '/sys/class/bluetooth/hci*' || problem "$(t '找不到蓝牙适配器（/sys/class/bluetooth/hci*）' 'no Bluetooth adapter (/sys/class/bluetooth/hci*)')$skip" ;;
    lane)
      has '/sys/class/bluetooth/hci*' || problem "$(t '找不到蓝牙适配器（/sys/class/bluetooth/hci*）' 'no Bluetooth adapter (/sys/class/bluetooth/hci*)')$skip" ;;
    charging)
      has '/dev/ttyUSB*' || has '/dev/ttyAMA*' || has '/dev/serial0' || has '/dev/spidev*' \
        || problem "$(t '找不到电表接口（/dev/ttyUSB*、/dev/ttyAMA*、/dev/serial0 或 /dev/spidev*）：接上 RS-485 转换器，或打开 UART/SPI' 'no meter port (/dev/ttyUSB*, /dev/ttyAMA*, /dev/serial0 or /dev/spidev*): plug in the RS-485 adapter or enable UART/SPI')$skip" ;;
  esac
  if [[ $(extras) == *camera* ]] && ! has '/dev/video*' && [ "$ROLE" != lane ]; then
    problem "$(t '找不到摄像头（/dev/video*）；网络摄像头（RTSP）可不接：--no-hardware-check' 'no camera (/dev/video*); for network (RTSP) cameras: --no-hardware-check')"
  fi
}

check_wheelhouse() {
  [ -n "$WHEELHOUSE" ] || return 0
  if ! compgen -G "$WHEELHOUSE/gatewarden-*.whl" >/dev/null; then
    problem "$(t "$WHEELHOUSE 里没有 gatewarden 的 wheel：用 gatewarden deploy wheelhouse 生成" "$WHEELHOUSE has no gatewarden wheel: make it with gatewarden deploy wheelhouse")"
  elif [ -f "$WHEELHOUSE/wheelhouse.json" ] && [ -n "${PLATFORM:-}" ] \
       && ! grep -q "\"platform\": \"$PLATFORM\"" "$WHEELHOUSE/wheelhouse.json"; then
    problem "$(t "$WHEELHOUSE 不是为 $PLATFORM 生成的" "$WHEELHOUSE was not made for $PLATFORM")"
  fi
}

preflight() {
  check_system
  check_machine
  check_python
  check_space
  check_hardware
  check_wheelhouse
  if [ "$UPGRADE" -eq 1 ] && [ ! -e "$VENV" ]; then
    problem "$(t '--upgrade：这台树莓派还没有安装 gatewarden' '--upgrade: gatewarden is not installed on this Pi yet')"
  fi
  if [ ${#PROBLEMS[@]} -gt 0 ]; then
    local p
    printf '%s\n' "$(t '安装前检查没有通过，什么都没有改动：' 'the checks before installing failed; nothing was changed:')" >&2
    for p in "${PROBLEMS[@]}"; do printf '  - %s\n' "$p" >&2; done
    exit 3
  fi
  say "$(t "检查通过：$PLATFORM，Python 3.11，角色 $ROLE（$(extras)）" "checks passed: $PLATFORM, Python 3.11, role $ROLE ($(extras))")"
}

# --- system packages, user, directories ------------------------------------------------------------

is_pi() { grep -qs "Raspberry Pi" "$ROOT/proc/device-tree/model"; }

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
  if [ ${#missing[@]} -eq 0 ]; then say "$(t '系统软件包已齐全' 'system packages already installed')"; return 0; fi
  if [ -n "$WHEELHOUSE" ]; then
    say "$(t "离线安装：以下系统软件包需要先装好（apt-get 需要网络）：${missing[*]}" "offline: these system packages must be installed first (apt-get needs the network): ${missing[*]}")"
  fi
  say "$(t '安装系统软件包' 'installing system packages'): ${missing[*]}"
  run env DEBIAN_FRONTEND=noninteractive apt-get update
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

create_user() {
  local group groups
  groups=$(role_groups)
  for group in $groups; do  # Debian has no gpio or spi group: create it (udev rules may use it)
    getent group "$group" >/dev/null || run groupadd --system "$group"
  done
  if ! id "$USER_NAME" >/dev/null 2>&1; then
    say "$(t "创建服务用户 $USER_NAME" "creating the service user $USER_NAME")"
    run useradd --system --user-group --home-dir /var/lib/gatewarden --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
  fi
  if [ -n "$groups" ]; then run usermod -a -G "${groups// /,}" "$USER_NAME"; fi
}

own_dir() {  # own_dir MODE OWNER GROUP DIR: create when missing, then set mode and owner
  run mkdir -p "$4"
  run chmod "$1" "$4"
  run chown "$2:$3" "$4"
}

make_dirs() {
  own_dir 0750 "$USER_NAME" "$USER_NAME" "$DATA"
  own_dir 0750 root "$USER_NAME" "$ETC"
  run mkdir -p "$PREFIX/venvs"
}

storage_path() {  # storage_path VENV: the config's storage.dir (under GATEWARDEN_ROOT when set)
  local dir
  dir=$("$1/bin/python" -m gatewarden.deploy.health storage "$ETC/$ROLE.toml" 2>/dev/null || echo "")
  if [ -n "$dir" ] && [ -n "$ROOT" ] && [[ $dir != "$ROOT"* ]]; then dir=$ROOT$dir; fi
  echo "$dir"
}

storage_dirs() {  # the config's storage.dir, owned by the service user (ReadWritePaths must cover it)
  local dir
  [ "$DRY" -eq 0 ] || return 0
  dir=$(storage_path "$NEW_VENV")
  if [ -n "$dir" ] && [ ! -d "$dir" ]; then
    say "$(t "创建数据目录 $dir（属主 $USER_NAME）" "creating the storage directory $dir (owner $USER_NAME)")"
    own_dir 0750 "$USER_NAME" "$USER_NAME" "$dir"
  fi
}

# --- the program ---------------------------------------------------------------------------------

copy_source() {
  run rm -rf "$PREFIX/src.new"
  run mkdir -p "$PREFIX/src.new"
  if [ "$DRY" -eq 1 ]; then printf '+ tar … %s → %s\n' "$SRC" "$PREFIX/src"; return 0; fi
  tar -C "$SRC" --exclude=./.venv --exclude=./.git --exclude='*.pyc' --exclude=./gatewarden.egg-info \
      --exclude=./build -cf - . | tar -C "$PREFIX/src.new" -xf -
  run rm -rf "$PREFIX/src"
  run mv "$PREFIX/src.new" "$PREFIX/src"
}

pip_install() {  # into $NEW_VENV: the role's extras only, the platform's pinned versions
  local target constraints args
  args=(--prefer-binary --progress-bar on --disable-pip-version-check)
  if [ -n "$WHEELHOUSE" ]; then
    # shellcheck disable=SC2012  # newest first; wheel names have no odd characters
    target=$(ls -t "$WHEELHOUSE"/gatewarden-*.whl | head -n 1)
    constraints=$WHEELHOUSE/constraints.txt
    [ -f "$constraints" ] || constraints=$SRC/deploy/constraints/$PLATFORM.txt
    args+=(--no-index --find-links "$WHEELHOUSE")
  else
    target=$PREFIX/src
    constraints=$SRC/deploy/constraints/$PLATFORM.txt
  fi
  say "$(t "安装 gatewarden[$(extras)]（显示进度；在树莓派上要几分钟）" "installing gatewarden[$(extras)] (progress shown; a few minutes on a Pi)")"
  run "$NEW_VENV/bin/python" -m pip install "${args[@]}" -c "$constraints" "${target}[$(extras)]"
}

install_code() {
  copy_source
  say "$(t "新的虚拟环境：$NEW_VENV" "new virtualenv: $NEW_VENV")"
  # system site packages: the edge roles use Raspberry Pi OS's patched python3-lgpio
  run "$PYTHON" -m venv --system-site-packages "$NEW_VENV"
  if ! pip_install; then
    run rm -rf "$NEW_VENV"
    die "$(t "pip 安装失败，旧版本没有改动（$VENV）" "pip failed; the installed version is untouched ($VENV)")"
  fi
}

install_config() {
  local target="$ETC/$ROLE.toml" source="$SRC/deploy/config/$ROLE.toml"
  if [ -e "$target" ]; then
    say "$(t "保留现有的 $target" "keeping the existing $target")"
    return 0
  fi
  if [ -n "$CONFIG" ]; then source=$CONFIG; fi
  say "$(t "从 $source 写入 $target" "writing $target from $source")"
  run cp "$source" "$target"
  run chmod 0640 "$target"
  run chown "root:$USER_NAME" "$target"
}

install_units() {
  local units=("gatewarden-$ROLE.service") unit
  if [ "$ROLE" = hub ]; then units+=(gatewarden-backup.service gatewarden-backup.timer); fi
  run mkdir -p "$UNIT_DIR"
  for unit in "${units[@]}"; do
    run cp "$SRC/deploy/systemd/$unit" "$UNIT_DIR/$unit"
    run chmod 0644 "$UNIT_DIR/$unit"
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
  run timedatectl set-ntp true || say "$(t '无法打开网络校时（timedatectl），请手动检查时钟' 'could not switch NTP on (timedatectl); check the clock by hand')"
}

# --- switching versions ----------------------------------------------------------------------------

OLD_VENV=""

switch_to() {  # switch_to VENV_DIR: point /opt/gatewarden/venv at it (atomically)
  run ln -sfn "$1" "$VENV.new"
  run mv -T "$VENV.new" "$VENV"
}

adopt_old_layout() {  # an install from before venvs/: its venv directory becomes venvs/old-*
  if [ -d "$VENV" ] && [ ! -L "$VENV" ]; then
    run mv "$VENV" "$PREFIX/venvs/old-$STAMP"
    switch_to "$PREFIX/venvs/old-$STAMP"
  fi
  if [ -L "$VENV" ]; then OLD_VENV=$(readlink -f "$VENV"); fi
  return 0
}

prune_venvs() {  # keep the current virtualenv and the one before it
  local keep_new keep_old dir
  keep_new=$(readlink -f "$VENV" || true)
  keep_old=$OLD_VENV
  for dir in "$PREFIX"/venvs/*; do
    [ -d "$dir" ] || continue
    if [ "$dir" != "$keep_new" ] && [ "$dir" != "$keep_old" ]; then run rm -rf "$dir"; fi
  done
}

config_ready() {  # the config validates and is no longer the skeleton
  local target="$ETC/$ROLE.toml"
  if grep -q '^# gatewarden-skeleton' "$target" 2>/dev/null; then
    say "$(t "$target 还是样板：编辑它、删掉第一行，然后：systemctl restart gatewarden-$ROLE" \
             "$target is still the skeleton: edit it, delete its first line, then: systemctl restart gatewarden-$ROLE")"
    return 1
  fi
  if [ "$ROLE" = hub ]; then
    runuser -u "$USER_NAME" -- "$VENV/bin/python" -c \
      'import sys; from hub.config import load_hub_config; load_hub_config(sys.argv[1])' "$target"
  else
    runuser -u "$USER_NAME" -- "$VENV/bin/gatewarden" edge --config "$target" --check
  fi
}

backup_hub_db() {  # before an upgrade migrates it: a copy to go back to
  local dir
  [ "$ROLE" = hub ] && [ "$DRY" -eq 0 ] || return 0
  dir=$(storage_path "$NEW_VENV")
  if [ -f "$dir/hub.db" ] && [ -n "$OLD_VENV" ]; then
    say "$(t "升级前备份数据库到 $dir/hub.db.before-$STAMP" "backing the database up to $dir/hub.db.before-$STAMP")"
    run runuser -u "$USER_NAME" -- sqlite3 "$dir/hub.db" ".backup '$dir/hub.db.before-$STAMP'"
  fi
}

rollback() {
  local dir
  say "$(t "新版本没有通过健康检查：换回 $OLD_VENV" "the new version failed its health check: switching back to $OLD_VENV")"
  run systemctl stop "gatewarden-$ROLE.service" || true
  switch_to "$OLD_VENV"
  if [ "$ROLE" = hub ]; then
    dir=$(storage_path "$OLD_VENV")
    if [ -f "$dir/hub.db.before-$STAMP" ]; then
      say "$(t "数据库换回升级前的备份" "the database goes back to the copy taken before the upgrade")"
      run rm -f "$dir/hub.db-wal" "$dir/hub.db-shm"
      run cp -p "$dir/hub.db.before-$STAMP" "$dir/hub.db"
    fi
  fi
  run systemctl restart "gatewarden-$ROLE.service" || true
  run rm -rf "$NEW_VENV"
  die "$(t "已回滚到旧版本；看日志：journalctl -u gatewarden-$ROLE -n 100" "rolled back to the old version; see: journalctl -u gatewarden-$ROLE -n 100")"
}

start_service() {
  if [ "$START" -eq 0 ] || [ "$DRY" -eq 1 ]; then
    say "$(t "不启动 gatewarden-$ROLE（--no-start 或 --dry-run）" "not starting gatewarden-$ROLE (--no-start or --dry-run)")"
    return 0
  fi
  if ! config_ready; then
    if [ "$UPGRADE" -eq 1 ] && [ -n "$OLD_VENV" ]; then rollback; fi
    return 0
  fi
  if run systemctl restart "gatewarden-$ROLE.service" \
     && "$VENV/bin/python" -m gatewarden.deploy.health check "$ROLE" "$ETC/$ROLE.toml" "${GATEWARDEN_HEALTH_TIMEOUT:-90}"; then
    say "$(t "gatewarden-$ROLE 运行正常：journalctl -u gatewarden-$ROLE -f" "gatewarden-$ROLE is running: journalctl -u gatewarden-$ROLE -f")"
  elif [ -n "$OLD_VENV" ] && [ "$OLD_VENV" != "$(readlink -f "$NEW_VENV")" ]; then
    rollback
  else
    say "$(t "gatewarden-$ROLE 没有正常启动：journalctl -u gatewarden-$ROLE -n 100" "gatewarden-$ROLE did not start cleanly: journalctl -u gatewarden-$ROLE -n 100")"
  fi
}

next_steps() {
  local gw="sudo -u $USER_NAME /opt/gatewarden/venv/bin/gatewarden"
  if [ "$EN" -eq 1 ]; then
    say "next steps (docs/install.md):"
  else
    say "下一步（详见 docs/install.md）："
  fi
  case "$ROLE" in
    hub)
      t "  1. 编辑 /etc/gatewarden/hub.toml（删掉第一行样板标记），然后 sudo systemctl restart gatewarden-hub
  2. 锁好 MQTT：sudo /opt/gatewarden/venv/bin/gatewarden deploy broker --devices <设备id,...> --tls --out /etc/mosquitto/gatewarden
  3. 第一个管理员：$gw hub user add <用户名> --role admin
  4. 导入车辆登记：$gw registry import 车辆登记.csv
  5. 测试群消息：$gw alerts test
  6. 网页：http://$(hostname).local:8080/ （手机在小区 Wi-Fi 上；外网访问见 docs/install.md「从手机访问」）
" "  1. edit /etc/gatewarden/hub.toml (delete the skeleton's first line), then sudo systemctl restart gatewarden-hub
  2. lock the broker down: sudo /opt/gatewarden/venv/bin/gatewarden deploy broker --devices <id,...> --tls --out /etc/mosquitto/gatewarden
  3. the first admin: $gw hub user add <name> --role admin
  4. import the registry: $gw registry import registry.csv
  5. test the chat: $gw alerts test
  6. web view: http://$(hostname).local:8080/ (a phone on the compound Wi-Fi; from outside: docs/install.md)
" ;;
    *)
      t "  1. 把中心机上 gatewarden deploy broker 为本设备生成的 mqtt/ 文件夹复制到 /etc/gatewarden/，合并它的 mqtt.toml
  2. 编辑 /etc/gatewarden/$ROLE.toml（删掉第一行样板标记）
  3. 检查：$gw doctor，然后 sudo systemctl restart gatewarden-$ROLE
" "  1. copy this device's mqtt/ folder from the hub (gatewarden deploy broker) to /etc/gatewarden/ and merge its mqtt.toml
  2. edit /etc/gatewarden/$ROLE.toml (delete the skeleton's first line)
  3. check: $gw doctor, then sudo systemctl restart gatewarden-$ROLE
" ;;
  esac >&2
}

main() {
  parse_args "$@"
  preflight
  say "$(t "安装角色 $ROLE" "installing role $ROLE")$( [ "$DRY" -eq 1 ] && t '（演练：不做任何改动）' ' (dry run: nothing changes)')"
  install_packages
  create_user
  make_dirs
  install_code
  install_config
  storage_dirs
  install_units
  set_up_time
  adopt_old_layout
  backup_hub_db
  switch_to "$NEW_VENV"
  start_service
  prune_venvs
  next_steps
}

main "$@"
