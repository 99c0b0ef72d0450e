"""Backup, restore and consistency check of the database and the uploaded files (`hukou backup|restore|check`)."""
from .check import CheckResult, run_check
from .common import BackupError
from .restore import RestoreResult, run_restore
from .snapshot import BackupResult, take_backup

__all__ = ["BackupError", "BackupResult", "CheckResult", "RestoreResult", "run_check", "run_restore",
           "take_backup"]
