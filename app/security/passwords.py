"""The password policy (no Flask): length, not the user name, not on the shipped list of common passwords.

Every path that sets a password asks `problems()` (FAB's user screens, the reset screens, the users API,
`SecurityManager.add_user` / `reset_password` and so the CLI); the messages are msgids translated at the web
boundary.
"""
from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from ..domain.errors import Message, N_

MIN_LENGTH = 10
MAX_LENGTH = 128  # longer input only costs hashing time
MIN_NAME_IN_PASSWORD = 3  # shorter user names ("li") occur inside too many good passwords to refuse them
COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
_EDGE = string.digits + string.punctuation + " "


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list (lower case), read once."""
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _is_repetition(text: str) -> bool:
    """True for one short unit repeated ('aaaaaaaaaa', 'abcabcabca', '1212121212')."""
    for size in range(1, len(text) // 2 + 1):
        unit = text[:size]
        if (unit * (len(text) // size + 1))[:len(text)] == text:
            return True
    return False


def _is_sequence(text: str) -> bool:
    """True for a run up or down ('1234567890', '9876543210', 'abcdefghij'; '0' may follow '9')."""
    modulo = 10 if text.isdigit() else 1 << 21  # digits wrap around: ...8901..., ...1098...
    steps = {(ord(b) - ord(a)) % modulo for a, b in zip(text, text[1:])}
    return steps in ({1}, {modulo - 1})


def is_common(password: str) -> bool:
    """On the list, a listed word with digits/symbols around it ('Password2026!'), a repetition or a run."""
    lowered = password.lower()
    words = common_passwords()
    core = lowered.strip(_EDGE)
    return (lowered in words or (core != "" and core in words) or _is_repetition(lowered)
            or _is_sequence(lowered))


def contains_username(password: str, username: str | None) -> bool:
    """Equal to the user name, or containing it (names of 3+ characters), ignoring case."""
    name = (username or "").strip().lower()
    if not name:
        return False
    lowered = password.lower()
    return lowered == name or (len(name) >= MIN_NAME_IN_PASSWORD and name in lowered)


def problems(password: str | None, username: str | None = None) -> list[Message]:
    """What is wrong with a new password (empty list: acceptable)."""
    password = password or ""
    out: list[Message] = []
    if len(password) < MIN_LENGTH:
        out.append(Message("password_short", N_("The password must have at least %(min)s characters"),
                           {"min": MIN_LENGTH}))
    elif len(password) > MAX_LENGTH:
        out.append(Message("password_long", N_("The password may have at most %(max)s characters"),
                           {"max": MAX_LENGTH}))
    if contains_username(password, username):
        out.append(Message("password_username", N_("The password must not contain the user name")))
    if password and is_common(password):
        out.append(Message("password_common",
                           N_("The password is too common or too simple; choose one that is harder to guess")))
    return out


class PasswordPolicyError(ValueError):
    """A password refused by the policy; `messages` say why (msgids with parameters)."""

    def __init__(self, messages: list[Message]):
        super().__init__("; ".join(str(m) for m in messages))
        self.messages = messages


def check(password: str | None, username: str | None = None) -> None:
    """Raise PasswordPolicyError when the password breaks the policy."""
    found = problems(password, username)
    if found:
        raise PasswordPolicyError(found)
