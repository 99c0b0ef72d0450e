"""Placeholder: screens of this module are being written."""


def register(appbuilder) -> None:
    """Nothing registered yet."""
