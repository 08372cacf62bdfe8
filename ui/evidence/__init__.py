"""The evidence UI: the Evidence tab of the case page (listed in ``ui.features``), receiving
photos from phones, fetching originals from HQ."""
