"""The evidence vault: immutable originals by SHA-256, their records, a custody log, export.

Callers use :mod:`fairdesk.evidence.service`; the other modules are its parts.
"""
