"""Render domain messages (English msgid + params) in the request's language."""
from __future__ import annotations

from flask_babel import gettext

from .domain.errors import DomainError, Message

# Params whose values are msgids themselves (labels of actions, statuses, types) are translated first.
_LABEL_PARAMS = ("action", "status", "type", "condition", "field")


def render(msg: Message, translate=None) -> str:
    """Translate a Message and fill its parameters (`translate`: a faster gettext for batches, see
    app/desk/remind_run.py)."""
    translate = translate or gettext
    params = {k: (translate(v) if k in _LABEL_PARAMS and isinstance(v, str) else v)
              for k, v in (msg.params or {}).items()}
    text = translate(msg.msgid)
    try:
        return text % params if params else text
    except (KeyError, ValueError, TypeError):
        return text


def render_error(err: DomainError) -> str:
    """All messages of a DomainError joined into one line."""
    return "；".join(render(m) for m in err.messages) or gettext("Invalid input")
