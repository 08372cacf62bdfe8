"""Encryption at rest, the primitives: the data key and its key file, SQLCipher, encrypted blobs.

A random 256-bit data key encrypts everything; it is wrapped (AES-GCM) by a key derived from
the passphrase with Argon2id and separately by a printable recovery key, and may be cached in
the OS keychain as a convenience. The store and the vault use these; the features built on
them (encrypting an existing folder, travel mode, asking for the passphrase) live above, in
:mod:`fairdesk.protect`. See docs/reliability-and-security.md, "Encryption at rest".
"""
