"""Domain messages and exceptions that carry an untranslated msgid plus parameters."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def N_(msgid: str) -> str:
    """Mark a string for extraction; it is translated later, at the web boundary."""
    return msgid


@dataclass(frozen=True)
class Message:
    """A user-facing message: a stable code, an English msgid with %(name)s slots, and its params."""

    code: str
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.msgid % self.params if self.params else self.msgid


class DomainError(Exception):
    """Base of every business-rule failure; `messages` holds one or more Message objects."""

    http_status = 422

    def __init__(self, *messages: Message):
        super().__init__("; ".join(str(m) for m in messages))
        self.messages = list(messages)

    @property
    def code(self) -> str:
        """The code of the first message."""
        return self.messages[0].code if self.messages else "error"


class NotAllowed(DomainError):
    """The actor's roles may not do this, or not on someone else's record (403)."""

    http_status = 403


class NotVisible(DomainError):
    """The record is outside the actor's row scope or missing; both are "not found" to hide its existence (404)."""

    http_status = 404

    def __init__(self, *messages: Message, object_type: str | None = None, object_id=None):
        super().__init__(*messages)
        self.object_type, self.object_id = object_type, object_id


class NotPossible(DomainError):
    """The record's state does not allow this now, or someone else changed it first (409)."""

    http_status = 409
