"""The shape the code keeps: networks below the app, nio only in the Matrix modules,
and transport modules small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
MAX_LINES = 400


def imports(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (under TYPE_CHECKING, in functions),
    `from bot.services import feedback` counted as `bot.services.feedback` too."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
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


FEATURES = ("bot.commands.", "bot.services.feedback", "bot.services.forget",
            "bot.services.polls", "bot.services.summary", "bot.services.tallies",
            "bot.forms", "bot.scheduling")


def test_the_conversation_mechanism_imports_no_feature() -> None:
    """Kinds are declared in their feature modules and mounted; the mechanism knows
    them only by their declaration (bot/conversations/kinds.py), and the commands
    through a protocol (bot/conversations/router.py)."""
    for path in (BOT / "conversations").glob("*.py"):
        features = {m for m in imports(path) if m.startswith(FEATURES)}
        assert not features, (path, features)


def test_no_import_cycle_among_the_services() -> None:
    """Counting imports under TYPE_CHECKING and inside functions: a circle hides in
    those first."""
    services = {path.stem for path in (BOT / "services").glob("*.py")}
    graph = {
        stem: {m.split(".")[2] for m in imports(path)
               if m.startswith("bot.services.") and m.split(".")[2] in services} - {stem}
        for path in (BOT / "services").glob("*.py") if (stem := path.stem)
    }

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    return [*trail, start]
                if nxt not in trail:
                    stack.append((nxt, [*trail, nxt]))
        return None

    cycles = [c for node in sorted(graph) if (c := cycle_from(node))]
    assert not cycles, cycles[0]
