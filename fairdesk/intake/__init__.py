"""Photos straight from phones into a case: a short-lived HTTPS intake on the laptop.

``session`` holds the state of one intake (case, pairing tokens, named phones, uploads) and
hands every finished file to the evidence importer; ``server`` is the HTTPS front end that
serves the phone page and the upload API on its own thread pool; ``certs`` makes the
per-session certificate. Nothing here imports Qt: the desktop window and ``fairdesk receive``
drive the same :class:`~fairdesk.intake.session.IntakeSession`.
"""
