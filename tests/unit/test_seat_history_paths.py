"""Every function that writes memberships keeps the seat history (bot/services/seat_history.py).

A membership is written by constructing one, by an `insert`, `update` or `delete`
of `Membership`, or by setting a `.role`; each function that does so calls
`seat_history.sync` itself or through `fill_seats` (which does), and only the
modules that place people write memberships. Forget-me's generic delete of the
person's rows and the paths' timing are tested in
tests/integration/test_seat_history.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
WRITERS = {"services/seats.py", "services/team.py", "services/rooms.py"}
SYNCS = {"sync", "fill_seats"}


def _writes_memberships(node: ast.AST) -> bool:
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call):
            name = inner.func.id if isinstance(inner.func, ast.Name) else None
            first = inner.args[0] if inner.args else None
            if name == "Membership" or (name in ("insert", "update", "delete")
                                        and isinstance(first, ast.Name)
                                        and first.id == "Membership"):
                return True
        targets = inner.targets if isinstance(inner, ast.Assign) else []
        if any(isinstance(t, ast.Attribute) and t.attr == "role" for t in targets):
            return True
    return False


def _calls(node: ast.AST) -> set[str]:
    return {inner.func.attr if isinstance(inner.func, ast.Attribute) else inner.func.id
            for inner in ast.walk(node) if isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Attribute | ast.Name)}


def test_every_function_that_writes_memberships_keeps_the_history() -> None:
    writing: set[str] = set()
    for path in BOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) and (
                    _writes_memberships(function)):
                where = f"{path.relative_to(BOT)}:{function.name}"
                writing.add(str(path.relative_to(BOT)))
                assert _calls(function) & SYNCS, f"{where} writes memberships, never syncs"
    assert writing == WRITERS, "a new module writes memberships: test its paths in " \
        "tests/integration/test_seat_history.py and name it here"
