"""Subcommands of this group are registered here (none yet)."""

from __future__ import annotations

from typing import Any


def register(subparsers: Any) -> None:
    """Add this group's subcommands to the ``fairdesk`` parser."""
