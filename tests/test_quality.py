"""The code stays clean: ruff, mypy, and no drift between models and migrations.

Part of the test suite so the one test command checks everything CI checks.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(*command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_ruff_is_clean() -> None:
    done = run(str(BIN / "ruff"), "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_clean() -> None:
    done = run(sys.executable, "-m", "mypy")
    assert done.returncode == 0, done.stdout + done.stderr


def test_alembic_check_finds_no_drift(tmp_path: Path, database_url: str) -> None:
    url = database_url  # a SQLite file, then a PostgreSQL database
    alembic = [str(BIN / "alembic"), "-c", str(ROOT / "pyproject.toml"), "-x", f"url={url}"]
    upgraded = run(*alembic, "upgrade", "head", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    checked = run(*alembic, "check", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No new upgrade operations detected" in checked.stdout + checked.stderr


def test_no_module_of_the_bot_or_benchmarks_is_over_400_lines() -> None:
    """The house limit (../shared/STYLE.md habits, about 400): split by concern instead."""
    long = {str(path.relative_to(ROOT)): lines
            for folder in ("bot", "bench") for path in sorted((ROOT / folder).rglob("*.py"))
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}


def test_no_test_module_is_much_over_400_lines() -> None:
    """The same limit for the tests, with a little room for fixtures and harnesses."""
    long = {str(path.relative_to(ROOT)): lines
            for path in sorted((ROOT / "tests").rglob("*.py"))
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 420}
    assert long == {}


def relative_links(markdown: str) -> list[str]:
    """The targets of `[text](target)` links that are files of this repository."""
    targets = re.findall(r"\]\(([^)\s]+)\)", markdown)
    return [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:", t) and t.split("#")[0]]


def test_the_readme_stays_short_and_every_page_it_links_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 350
    linked = relative_links(readme)
    for page in ("matrix", "zulip", "configuration", "web", "feedback", "privacy",
                 "reliability", "architecture", "performance"):
        assert f"docs/{page}.md" in linked, page
    for markdown in (ROOT / "README.md", *(ROOT / "docs").glob("*.md"), ROOT / "bench/FINDINGS.md"):
        for target in relative_links(markdown.read_text(encoding="utf-8")):
            assert (markdown.parent / target).exists(), f"{markdown.name}: {target}"
    assert relative_links("[a](docs/x.md#y) [b](https://x.org) [c](#here)") == ["docs/x.md"]
