"""Errors the core raises with messages written for a responder, not a programmer."""

from __future__ import annotations


class FairDeskError(Exception):
    """Base class: ``str(err)`` is a complete, translated sentence fit to show a user."""


class ValidationError(FairDeskError):
    """Input the user can fix; nothing was saved."""


class NotFoundError(FairDeskError):
    """The case or item asked for does not exist (or was deleted)."""


class StoreError(FairDeskError):
    """The data folder cannot be used safely (read-only, full, damaged, newer schema)."""
