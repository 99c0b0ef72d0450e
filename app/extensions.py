"""Flask extensions shared by the whole app (created unbound, bound in create_app)."""
from flask_appbuilder.models.sqla.base import SQLA
from flask_wtf.csrf import CSRFProtect


db = SQLA()
csrf = CSRFProtect()
