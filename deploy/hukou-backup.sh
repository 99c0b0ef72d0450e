#!/usr/bin/env bash
# Nightly backup: `hukou backup` into a new dated folder, then remove complete backups older than
# HUKOU_BACKUP_KEEP_DAYS. A failed or incomplete backup makes the unit fail (journalctl -u hukou-backup) and is
# kept for inspection; `hukou doctor` reports when the newest successful one is older than
# HUKOU_BACKUP_MAX_AGE_HOURS. Copy the folder off this machine as well (rsync/borg to another site).
set -euo pipefail
ROOT=${HUKOU_BACKUP_ROOT:-/var/backups/hukou}
KEEP=${HUKOU_BACKUP_KEEP_DAYS:-14}
APP_DIR=${HUKOU_APP_DIR:-/opt/hukou}
FLASK=${HUKOU_FLASK:-$APP_DIR/venv/bin/flask}
target="$ROOT/$(TZ=Asia/Shanghai date +%Y-%m-%d_%H%M%S)"
mkdir -p "$ROOT"
cd "$APP_DIR"
"$FLASK" --app run hukou backup "$target"
# only folders that hold a manifest (i.e. made by `hukou backup`) and are older than KEEP days are removed
find "$ROOT" -mindepth 1 -maxdepth 1 -type d -mtime "+$KEEP" -exec test -f '{}/manifest.json' ';' -print0 \
  | xargs -0 -r rm -rf --
echo "backup written to $target"
