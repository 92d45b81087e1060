"""The garbage collector's regime while crosscloud runs a Pulumi program.

Registration builds a large, long-lived graph of Outputs, futures and tasks. With the default thresholds every full
collection walks all of it again (about 1 s per pass at 10,000 resources), for almost nothing: what it holds is alive
until the program ends. So while the regime holds, what existed before it is frozen (never scanned), young objects are
collected every `YOUNG_THRESHOLD` allocations (short-lived cycles are still freed, so memory stays bounded), and no
full collection runs. Leaving it restores the thresholds and unfreezes.

Only synth uses it. Held across a whole `preview` (the check too), the check was slower, not faster: 59.9 s against
41.8 s at 10,000 resources, and a median 8.2 s against 7.8 s over four paired runs at 2,000.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

# Measured at 2,003 resources (benchmarks/preview_scale.py estate): this 33 s CPU and 796 MB peak RSS; collection
# disabled 23 s and 920 MB; the default thresholds about three times the CPU.
YOUNG_THRESHOLD = 50_000
_NO_FULL_COLLECTION = 1_000_000_000


@contextlib.contextmanager
def young_collections_only() -> Iterator[None]:
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, threshold[1], _NO_FULL_COLLECTION)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
