"""Device side of sync: push the outbox, upload evidence, pull HQ's changes (see docs/sync.md).

Entry point: :func:`sync.client.engine.sync_once`. Uses `requests` and `sync.protocol`; never
imports the server.
"""
