"""Encryption at rest, the features: protecting a plain folder in place, travel mode, where a
passphrase comes from.

The primitives they use (keys, SQLCipher, encrypted blobs) live below the store in
:mod:`fairdesk.crypto`. See docs/reliability-and-security.md, "Encryption at rest".
"""
