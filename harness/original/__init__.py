"""The original scheme (Nova's VMware image cache as of nova 34.0.0), written
again from ``docs/spec.md`` so that the harness can show its bugs.

It is a yardstick to measure against, not something to use: it reproduces
the original's decisions on purpose, races and crashes included. Where the
original's choice is arbitrary (Python set order), it takes the first name
in sorted order (for marks: the oldest), so runs are reproducible.
"""

from .imagecache import OriginalImageCacheManager
from .session import OriginalSession

__all__ = ["OriginalImageCacheManager", "OriginalSession"]
