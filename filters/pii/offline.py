"""Keep tldextract (used by Presidio's email recognizer) off the network.

tldextract's module-level extractor fetches the public suffix list on first use and only
falls back to its bundled snapshot after the download fails. We replace that extractor with
one that has no suffix-list URLs and no disk cache, so it reads the bundled snapshot directly.
"""

from __future__ import annotations

import tldextract.tldextract as _tldextract


def use_bundled_suffix_list() -> None:
    """Point tldextract's default extractor at its bundled public suffix list (idempotent)."""
    current = _tldextract.TLD_EXTRACTOR
    if current.suffix_list_urls or current._cache.enabled:
        _tldextract.TLD_EXTRACTOR = _tldextract.TLDExtract(
            suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True
        )
