"""Menu categories: (permission name, translated label, icon). Menu item names are resource + 's'."""
from flask_babel import lazy_gettext as _l

REGISTER = {"category": "Register", "category_label": _l("Register"), "category_icon": "fa-address-book"}
APPLICATIONS = {"category": "Applications", "category_label": _l("Applications"), "category_icon": "fa-folder-open"}
SETTINGS = {"category": "Settings", "category_label": _l("Settings"), "category_icon": "fa-cogs"}
