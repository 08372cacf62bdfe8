"""The evidence bundle format, shared by the desktop app and HQ (``fairdesk-hq``).

One format, written by one writer (:mod:`bundle.writer`): ``originals/`` named by SHA-256,
``documents/``, ``custody-log.jsonl`` (entries of other cases redacted to their links),
``timestamps/``, ``HOW-TO-VERIFY.txt``, the standard-library ``verify.py`` (:mod:`bundle.verify`,
copied byte for byte into every bundle), ``public_key.pem``, ``manifest.json`` and
``manifest.sig`` (Ed25519 over the manifest's exact bytes).

This package imports only the standard library and ``cryptography``: the device core
(``fairdesk``) and the HQ server (``sync.server``) both import it, neither is imported here
(import-linter enforces it).
"""

from __future__ import annotations

FORMAT = "fairdesk-evidence-bundle/1"
INCLUDED = "included"
# manifest.json "original" of an item whose bytes are not in the bundle (travel mode removed
# the local copy; HQ holds it). The bundled verify.py matches this exact text.
KEPT_AT_HQ = "kept at HQ (removed for travel)"
