"""Encryption at rest: the data key and its key file, SQLCipher, encrypted blobs, migration, travel mode.

A random 256-bit data key encrypts everything; it is wrapped (AES-GCM) by a key derived from
the passphrase with Argon2id and separately by a printable recovery key, and may be cached in
the OS keychain as a convenience. See docs/reliability-and-security.md, "Encryption at rest".
"""
