"""The shape the code keeps: networks below the app, nio only in the Matrix modules,
and transport modules small enough to read."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

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
    """Zulip's endpoints and codes live in `bot/transport/zulip*.py`, and only they
    import one another (its registration builds the transport)."""
    api_words = ("api/v1", "BAD_EVENT_QUEUE_ID", "user_uploads", "RATE_LIMIT_HIT",
                 "event_queue_longpoll_timeout_seconds", "display_recipient")
    for path in BOT.rglob("*.py"):
        is_zulip = path.parent.name == "transport" and path.stem.startswith("zulip")
        if is_zulip:
            continue
        text = path.read_text(encoding="utf-8")
        assert not [word for word in api_words if word in text], path
        zulip_imports = {m for m in imports(path) if m.startswith("bot.transport.zulip")}
        assert not zulip_imports, path


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


# What must know no network by name: a network is one file in bot/transport/.
NEUTRAL = ("config.py", "config_sections.py", "values.py", "app.py", "__main__.py",
           "networks.py", "commands")


def named_networks(text: str) -> list[str]:
    return re.findall(r"(?i)matrix|zulip|\bnio\b", text)


def test_the_neutral_modules_name_no_network() -> None:
    paths = [path for name in NEUTRAL
             for path in ((BOT / name).glob("*.py") if (BOT / name).is_dir() else [BOT / name])]
    assert len(paths) > 20
    for path in paths:
        assert not named_networks(path.read_text(encoding="utf-8")), path
    assert named_networks('NETWORK = "zulip"') and named_networks("from nio import X")


def attribute_probes(source: str) -> list[str]:
    """`getattr`/`hasattr` calls on something named like a transport."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr") and node.args
                and "transport" in ast.unparse(node.args[0])):
            found.append(ast.unparse(node))
    return found


def test_capabilities_are_typed_not_probed_by_attribute_name() -> None:
    for path in BOT.rglob("*.py"):
        if path.parent.name != "transport":
            assert not attribute_probes(path.read_text(encoding="utf-8")), path
    assert attribute_probes('check = getattr(self.transports.get(n), "is_organizer", None)')
    assert attribute_probes('if hasattr(transport, "last_sync"): pass')


# What the bot asks a person to type is chat text: the command layer words it
# (bot/commands/wording.py). A docstring may name a command; a literal may not.
COMMAND_FORM = re.compile(r"`!|\{prefix\}|^![a-z]")
HAS_DOCSTRING = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def chat_words(source: str) -> list[str]:
    """Where a service's source writes chat text: a function taking a `prefix`, any
    `prefix` it reads, a string literal with a command in it (`` `!rooms` ``, `{prefix}`)."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, HAS_DOCSTRING) and node.body
        and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            given = node.args
            named = [*given.posonlyargs, *given.args, *given.kwonlyargs, given.vararg, given.kwarg]
            if any(arg is not None and arg.arg == "prefix" for arg in named):
                found.append(f"line {node.lineno}: a function takes a prefix")
        elif (isinstance(node, ast.Name) and node.id == "prefix") or (
            isinstance(node, ast.Attribute) and node.attr == "prefix"
        ):
            found.append(f"line {node.lineno}: reads a prefix")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in docstrings and COMMAND_FORM.search(node.value)):
            found.append(f"line {node.lineno}: {node.value!r} names a command")
    return found


def test_no_service_writes_what_to_type() -> None:
    for path in sorted((BOT / "services").glob("*.py")):
        assert not chat_words(path.read_text(encoding="utf-8")), path


@pytest.mark.parametrize("planted", [
    "async def get(session, code, prefix):\n    pass\n",
    "def hint(*, prefix='!'):\n    pass\n",
    "def hint(settings):\n    return settings.bot.prefix\n",
    "def hint(code):\n    return f'`!join {code}`'\n",
    "def hint(code):\n    return code('!rooms')\n",
    "HINT = 'type `{prefix}rooms`'\n",
])
def test_a_planted_prefix_or_command_is_found(planted: str) -> None:
    assert chat_words(planted), planted


def test_a_docstring_naming_a_command_is_no_chat_text() -> None:
    source = '"""What `!room add` sets."""\n\ndef f():\n    """`!rooms` lists them."""\n'
    assert chat_words(source) == []
    assert chat_words("NOT_ALLOWED = 'Hello!'\nROOM = 'R1'\nX = a != b\n") == []
