"""The HQ web console: server-rendered pages for legal staff, admins and guidance centres.

Served by `fairdesk-hq` itself under `/console` (same process, same database). Staff sign in
with the existing `users` rows (Argon2id password, optional TOTP); everything they see goes
through `sync.server.queries`, scoped by their tenant, and every page and action is audited.
"""
