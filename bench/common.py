"""What every benchmark shares: the homeserver, figures, the table and the RESULT line.

A benchmark is `async def run(options, server)`: `server` is a running
`Homeserver` when the caller already has one (the test suite's session
Synapse), else None and `homeserver()` starts a throw-away one on 127.0.0.1
with the test harness's recipe (tests/e2e/homeserver.py). It returns its
figures as a dict; `report()` prints the table and, as the last line,
`RESULT {json}`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import math
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tests.e2e.homeserver import Homeserver


@contextlib.contextmanager
def homeserver(existing: Homeserver | None) -> Iterator[Homeserver]:
    """The given homeserver, or a fresh Synapse in a temporary folder for this block."""
    if existing is not None:
        yield existing
        return
    if importlib.util.find_spec("synapse") is None:
        raise SystemExit("matrix-synapse is not installed: pip install -e '.[test]'")
    with tempfile.TemporaryDirectory(prefix="bench-synapse-") as folder:
        server = Homeserver(Path(folder))
        server.start()
        try:
            yield server
        finally:
            server.stop()


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..100) of `values`."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def ratio(value: float, floor: float) -> float:
    return round(value / floor, 2) if floor else math.nan


def report(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]],
           result: dict[str, Any]) -> None:
    """Print a table, then `RESULT {json}` as the last line."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(title)
    for n, row in enumerate(cells):
        print("  ".join(cell.rjust(w) if i else cell.ljust(w)
                        for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print("RESULT " + json.dumps(result, sort_keys=True), flush=True)
