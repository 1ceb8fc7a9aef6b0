"""The flow runs one way: which layer may import which, and no circle among bot's
packages. Read from the sources with `ast` (nothing is imported); each rule is also
shown to fail on a planted import, parsed from a string.

Layer rules count every import, wherever it is (inside a function, under
`TYPE_CHECKING`): an import that runs back up is one wherever it hides. The
package graph for cycles counts what runs when a module is loaded: top-level
imports outside `if TYPE_CHECKING`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
MIGRATIONS = ROOT / "migrations" / "versions"

# Package (or top-level module) of bot -> what its modules must not import.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "outbox": ("bot.transport", "bot.commands", "bot.web", "bot.services.polls"),
    "services": ("bot.commands", "bot.transport", "bot.web", "bot.app", "bot.scheduling"),
    "scheduling": ("bot.commands", "bot.transport", "bot.web"),
    "transport": ("bot.commands", "bot.services", "bot.scheduling", "bot.web", "bot.app"),
    # The step ahead of the commands knows them through a protocol (router.Commands).
    "conversations": ("bot.commands", "bot.transport", "bot.web", "bot.app"),
    # Ground level: every layer may use these, so they use no other.
    **{ground: ("bot",) for ground in ("messages", "metrics", "retry", "clock")},
}
# Who may import the web side: the composition root and the command line.
WEB_IMPORTERS = {"app", "__main__", "web"}
# Known exceptions, each with its reason: (file under bot/, module imported) -> why.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def _resolve(node: ast.ImportFrom, path: str) -> str:
    """The absolute module of a `from` import (a relative one resolved from `path`)."""
    if node.level == 0:
        return node.module or ""
    package = Path(path).with_suffix("").parts[: -node.level]
    return ".".join(["bot", *package, *([node.module] if node.module else [])])


def _names(node: ast.Import | ast.ImportFrom, path: str) -> Iterator[str]:
    """What one statement imports: `from bot.services import polls` is
    `bot.services` and `bot.services.polls`."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    module = _resolve(node, path)
    yield module
    yield from (f"{module}.{alias.name}" for alias in node.names)


def imports_anywhere(source: str, path: str) -> set[str]:
    """Every module a file imports, wherever the import is."""
    return {name for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Import | ast.ImportFrom) for name in _names(node, path)}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_at_load(source: str, path: str) -> set[str]:
    """The modules a file imports when it is loaded: its top-level statements (inside
    `if`, `try` and `with` too), but not under `if TYPE_CHECKING` and not in
    functions or classes."""
    found: set[str] = set()

    def visit(body: Iterable[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.update(_names(node, path))
            elif isinstance(node, ast.If):
                if not _is_type_checking(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, ast.With):
                visit(node.body)

    visit(ast.parse(source).body)
    return found


def unit_of(path: str) -> str:
    """The package of a file under bot/ (`outbox/rows.py` -> `outbox`), or the module
    itself for one at the top (`app.py` -> `app`)."""
    return Path(path).with_suffix("").parts[0]


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(path: str, source: str) -> list[str]:
    """The imports of one file (path relative to bot/) that break a layer rule."""
    unit = unit_of(path)
    found: list[str] = []
    reported: list[str] = []
    for module in sorted(imports_anywhere(source, path)):
        # `from bot.x import y` is bot.x and bot.x.y: one import, told once.
        if (path, module) in EXCEPTIONS or any(_within(module, r) for r in reported):
            continue
        before = len(found)
        for banned in FORBIDDEN.get(unit, ()):
            if _within(module, banned):
                found.append(f"bot/{path} imports {module} ({unit} must not import {banned})")
        if _within(module, "bot.web") and unit not in WEB_IMPORTERS:
            found.append(f"bot/{path} imports {module} (only the app and the command line "
                         "import the web side)")
        if len(found) > before:
            reported.append(module)
    return found


def package_graph(sources: Mapping[str, str]) -> dict[str, set[str]]:
    """bot's packages (and top-level modules) -> the others they import at load."""
    units = {unit_of(path) for path in sources}
    graph: dict[str, set[str]] = {unit: set() for unit in units}
    for path, source in sources.items():
        for module in imports_at_load(source, path):
            parts = module.split(".")
            if parts[0] == "bot" and len(parts) > 1 and parts[1] in units:
                graph[unit_of(path)].add(parts[1])
    for unit, needs in graph.items():
        needs.discard(unit)
    return graph


def a_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One circle in the graph (`[a, b, a]`), or None."""
    done: set[str] = set()

    def walk(node: str, trail: list[str]) -> list[str] | None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in trail:
                return [*trail[trail.index(nxt):], nxt]
            if nxt not in done and (found := walk(nxt, [*trail, nxt])) is not None:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done and (found := walk(start, [start])) is not None:
            return found
    return None


def bot_sources() -> dict[str, str]:
    return {str(path.relative_to(BOT)): path.read_text(encoding="utf-8")
            for path in sorted(BOT.rglob("*.py"))}


def test_every_layer_imports_only_what_lies_below_it() -> None:
    sources = bot_sources()
    assert {"outbox/worker.py", "transport/base.py", "messages.py"} <= set(sources)
    found = [v for path, source in sources.items() for v in violations(path, source)]
    assert not found, "\n".join(found)


def test_no_import_cycle_among_bots_packages() -> None:
    graph = package_graph(bot_sources())
    assert {"commands", "conversations", "scheduling", "outbox"} <= set(graph)
    assert a_cycle(graph) is None, a_cycle(graph)


def test_every_exception_is_still_needed() -> None:
    sources = bot_sources()
    for path, module in EXCEPTIONS:
        assert module in imports_anywhere(sources[path], path), (path, module)


# What a migration may import of the bot: the column types its tables are declared
# with. Anything else (a service's rules, a command's) it keeps a frozen copy of.
MIGRATION_MAY_IMPORT = {"bot.db.types"}


def migration_violations(source: str) -> set[str]:
    """What a migration imports of the bot beyond what it may."""
    of_the_bot = {m for m in imports_anywhere(source, "migration.py") if _within(m, "bot")}
    return {m for m in of_the_bot if not any(_within(m, a) for a in MIGRATION_MAY_IMPORT)}


def test_a_migration_imports_nothing_of_the_bot_but_column_types() -> None:
    paths = sorted(MIGRATIONS.glob("*.py"))
    assert len(paths) >= 14
    for path in paths:
        wrong = migration_violations(path.read_text(encoding="utf-8"))
        assert not wrong, (path.name, wrong)


# The rules fail on planted imports.

def test_a_planted_import_of_a_transport_in_the_outbox_is_found() -> None:
    source = "def later():\n    from bot.transport.matrix import MatrixTransport\n"
    [found] = violations("outbox/worker.py", source)
    assert "bot.transport.matrix" in found and "outbox must not import bot.transport" in found


def test_planted_imports_that_run_back_up_are_found_in_every_layer() -> None:
    planted = {
        "outbox/rows.py": "from bot.services import polls",
        "services/rooms.py": "if TYPE_CHECKING:\n    from bot.scheduling import planner",
        "scheduling/asking.py": "import bot.commands.feedback_form",
        "transport/zulip.py": "from bot.services.people import find",
        "conversations/router.py": "from bot.commands.framework import Registry",
        "messages.py": "from bot.text import escape",
        "commands/rooms.py": "from bot.web import pages",
    }
    for path, source in planted.items():
        assert violations(path, source), (path, source)
    # What lies below is fine, and so is the web side for the app.
    assert violations("outbox/rows.py", "from bot.messages import Outgoing") == []
    assert violations("services/rooms.py", "from bot.outbox import rows") == []
    assert violations("app.py", "from bot.web.server import WebServer") == []
    # A name that only starts like a banned package is another package.
    assert violations("outbox/rows.py", "import bot.transporting") == []


def test_a_planted_circle_is_found_and_a_type_checking_import_makes_none() -> None:
    sources = {
        "commands/dispatcher.py": "from bot.conversations import router",
        "conversations/router.py": "import typing\nfrom bot.commands.framework import Reply",
        "messages.py": "",
    }
    assert a_cycle(package_graph(sources)) == ["commands", "conversations", "commands"]
    sources["conversations/router.py"] = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from bot.commands.framework import Reply\n"
        "def later():\n    from bot.commands import framework\n")
    assert a_cycle(package_graph(sources)) is None
    three = {"outbox/a.py": "from bot.scheduling import b", "scheduling/b.py":
             "try:\n    import bot.services.c\nexcept ImportError:\n    pass",
             "services/c.py": "from bot.outbox import a"}
    assert a_cycle(package_graph(three)) == ["outbox", "scheduling", "services", "outbox"]


def test_a_planted_import_of_a_service_in_a_migration_is_found() -> None:
    assert migration_violations("from bot.services.answer_items import rows") == {
        "bot.services.answer_items", "bot.services.answer_items.rows"}
    assert migration_violations("def later():\n    import bot.commands.rooms\n")
    assert migration_violations("import bot.db.types\nimport sqlalchemy as sa\n") == set()
