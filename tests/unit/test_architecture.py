"""The shape the code keeps: networks below the app, nio only in the Matrix modules,
and transport modules small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
MAX_LINES = 400


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_no_transport_imports_the_app() -> None:
    for path in (BOT / "transport").glob("*.py"):
        assert not {m for m in imports(path) if m == "bot.app" or m.startswith("bot.app.")}, path


def test_only_the_matrix_modules_import_nio() -> None:
    for path in BOT.rglob("*.py"):
        uses_nio = any(m == "nio" or m.startswith("nio.") for m in imports(path))
        is_matrix = path.parent.name == "transport" and path.stem.startswith("matrix")
        assert is_matrix or not uses_nio, path


def test_transport_and_outbox_modules_stay_small() -> None:
    paths = [*(BOT / "transport").glob("*.py"), *(BOT / "outbox").glob("*.py"), BOT / "app.py"]
    for path in paths:
        assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES, path


def test_only_the_zulip_modules_know_zulips_api() -> None:
    """Zulip's endpoints and codes live in `bot/transport/zulip*.py`; the composition
    root is the one other module that imports them (to build the transport)."""
    api_words = ("api/v1", "BAD_EVENT_QUEUE_ID", "user_uploads", "RATE_LIMIT_HIT",
                 "event_queue_longpoll_timeout_seconds", "display_recipient")
    for path in BOT.rglob("*.py"):
        is_zulip = path.parent.name == "transport" and path.stem.startswith("zulip")
        if is_zulip:
            continue
        text = path.read_text(encoding="utf-8")
        assert not [word for word in api_words if word in text], path
        zulip_imports = {m for m in imports(path) if m.startswith("bot.transport.zulip")}
        assert not zulip_imports or path == BOT / "app.py", path
