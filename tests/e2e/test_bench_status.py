"""A smoke run of `python -m bench status`, tiny sizes, on the session's Synapse: the
final board is shown and fewer edits are sent than changes."""

from __future__ import annotations

import pytest

from tests.bench_smoke import smoke
from tests.e2e.homeserver import Homeserver


async def test_status(capsys: pytest.CaptureFixture[str], homeserver: Homeserver) -> None:
    result = await smoke(capsys, ["status", "--rooms", "4", "--changes", "3", "--window", "6"],
                         homeserver)
    assert (result["rooms"], result["changes"], result["posts"]) == (4, 12, 1)
    assert 1 <= result["edits"] < result["changes"]
    assert result["final_shown_ms"] is not None and result["final_shown_ms"] > 0
    assert set(result) == {"rooms", "changes", "posts", "edits", "final_shown_ms",
                           "within_target"}
