"""Who acts: one Actor per request, CLI command or job, carrying roles, permissions and row scope (no Flask)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """The acting user (or a named system actor) with everything the rules need to decide.

    unit_wide: sees every row; otherwise the union of `department_ids` and the own `resident_id`.
    grants: (resource, verb) pairs, e.g. ("Material", "verify"); `can()` asks them.
    """

    user_id: int | None
    username: str = ""
    display_name: str = ""
    roles: frozenset[str] = frozenset()
    grants: frozenset[tuple[str, str]] = frozenset()
    unit_wide: bool = False
    department_ids: frozenset[int] = frozenset()
    resident_id: int | None = None
    ip: str | None = None
    request_id: str | None = None
    system: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def can(self, verb: str, resource: str) -> bool:
        """Whether the actor holds the permission can_<verb> on <resource>."""
        return (resource, verb) in self.grants

    @property
    def is_authenticated(self) -> bool:
        """A real user or a named system actor (anonymous actors are not)."""
        return self.user_id is not None or self.system

    @property
    def role_label(self) -> str:
        """The roles as one comma-separated text for the audit trail."""
        return ",".join(sorted(self.roles))

    @property
    def label(self) -> str:
        """How messages and the audit trail name the actor."""
        return self.display_name or self.username


def system_actor(name: str, grants: frozenset[tuple[str, str]] = frozenset(), request_id: str | None = None) -> Actor:
    """A named system actor for CLI commands and jobs (e.g. 「系统（人事同步）」): unit-wide, no login."""
    return Actor(user_id=None, username="system", display_name=name, roles=frozenset({"System"}), grants=grants,
                 unit_wide=True, system=True, request_id=request_id)


NOBODY = Actor(user_id=None, username="anonymous")
