"""Running a benchmark with tiny sizes, for the smoke tests (tests/*/test_bench*.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench import BENCHMARKS
from bench.__main__ import parser
from tests.e2e.homeserver import Homeserver


async def smoke(capsys: pytest.CaptureFixture[str], argv: list[str],
                server: Homeserver | None = None) -> dict[str, Any]:
    """Run `python -m bench ARGV` in process; the RESULT of its last line, checked to be
    the figures it returned."""
    args = parser().parse_args(argv)
    returned = await BENCHMARKS[argv[0]].run(args, server)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("RESULT "), lines[-3:]
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    assert result == json.loads(json.dumps(returned))
    return result
