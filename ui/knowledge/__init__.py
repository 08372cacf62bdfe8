"""The knowledge UI: Library, Risk maps and Alerts pages, and the Guidance tab of a case (all
listed in ``ui.features``, built when first shown)."""
