"""Knowledge and risk: the offline reference library, case guidance, HQ risk alerts, risk maps.

Modules: ``library`` (load, validate and update the versioned reference data), ``search``
(offline full-text search, Chinese and English), ``guidance`` (procedure cards and proposed
deadlines for a case), ``levels`` (the country-based level hint used by triage), ``alerts``
(HQ risk reminder letters and their acknowledgement), ``riskmaps`` (the three risk maps and
their CSV/PDF export). This package imports nothing from the UI or sync.
"""
