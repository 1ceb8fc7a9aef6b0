"""Form definitions: frozen dataclasses read from TOML and checked before use.

The defaults ship as `defaults.toml` next to this module; a file named in the
configuration (`feedback.forms_file`) replaces forms by name or adds new ones.
Every problem names the file, the form and the question, and all are reported
at once (a FormsError), so an organizer fixes a file in one go.
"""

from __future__ import annotations

import enum
import re
import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any


class Kind(enum.StrEnum):
    CHOICE = "choice"
    MULTI = "multi"
    SCALE = "scale"
    NUMBER = "number"
    TEXT = "text"


class Audience(enum.StrEnum):
    LEARNERS = "learners"
    STAFF = "staff"


@dataclass(frozen=True)
class Question:
    id: str
    kind: Kind
    text: str
    choices: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None
    optional: bool = False


@dataclass(frozen=True)
class Form:
    name: str
    title: str
    audience: Audience
    questions: tuple[Question, ...]
    # Answered about each day (daily: `day=`, today by default), else once per workshop.
    each_day: bool = False


class FormsError(ValueError):
    def __init__(self, *problems: str) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


DEFAULTS = "defaults.toml"
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
QUESTION_KEYS = {"id", "kind", "text", "choices", "min", "max", "optional"}
FORM_KEYS = {"title", "audience", "questions", "each_day"}
# `!feedback summary` and `!feedback export` are commands, not forms.
RESERVED = {"summary", "export"}


def load(extra: Path | None = None) -> dict[str, Form]:
    """The shipped forms, with those of `extra` replacing or adding by name."""
    text = resources.files(__package__).joinpath(DEFAULTS).read_text(encoding="utf-8")
    forms = parse(text, f"bot/forms/{DEFAULTS}")
    if extra is not None:
        try:
            added = extra.read_text(encoding="utf-8")
        except OSError as exc:
            raise FormsError(f"{extra}: cannot be read ({exc.strerror or exc})") from None
        replacing = parse(added, str(extra))
        # A shipped form replaced without saying `each_day` keeps how it is asked
        # (daily: about each day, as its reminders are).
        told = {name for name, table in tomllib.loads(added).items() if "each_day" in table}
        forms |= {name: form if name in told or name not in forms
                  else replace(form, each_day=forms[name].each_day)
                  for name, form in replacing.items()}
    return forms


def parse(text: str, source: str) -> dict[str, Form]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FormsError(f"{source}: not valid TOML ({exc})") from None
    problems: list[str] = []
    forms = {}
    for name, table in raw.items():
        where = f"{source}: form {name!r}"
        form = _form(name, table, where, problems)
        if form is not None:
            forms[name] = form
    if problems:
        raise FormsError(*problems)
    return forms


def _form(name: str, table: Any, where: str, problems: list[str]) -> Form | None:
    if not NAME.match(name):
        problems.append(f"{where}: a form name is lower-case letters, digits, - or _")
    if name in RESERVED:
        problems.append(f"{where}: {name!r} is a command word, not a form name")
    if not isinstance(table, dict):
        problems.append(f"{where}: must be a table")
        return None
    for key in table.keys() - FORM_KEYS:
        problems.append(f"{where}: unknown key {key!r} (known: {', '.join(sorted(FORM_KEYS))})")
    audience = table.get("audience", "learners")
    if audience not in set(Audience):
        problems.append(f"{where}: audience = {audience!r}; expected learners or staff")
        audience = "learners"
    each_day = table.get("each_day", False)
    if not isinstance(each_day, bool):
        problems.append(f"{where}: each_day must be true or false")
        each_day = False
    raw_questions = table.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        problems.append(f"{where}: needs at least one [[{name}.questions]]")
        return None
    questions = []
    for number, raw in enumerate(raw_questions, start=1):
        question = _question(raw, f"{where}, question {number}", problems)
        if question is not None:
            questions.append(question)
    ids = [q.id for q in questions]
    for twice in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"{where}: question id {twice!r} is used twice")
    return Form(name, str(table.get("title", name)), Audience(audience), tuple(questions),
                each_day)


def _question(raw: Any, where: str, problems: list[str]) -> Question | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a table")
        return None
    before = len(problems)
    if "id" in raw:
        where = f"{where} ({raw['id']!r})"
    for key in raw.keys() - QUESTION_KEYS:
        problems.append(f"{where}: unknown key {key!r} (known: {', '.join(sorted(QUESTION_KEYS))})")
    qid, text, kind = raw.get("id"), raw.get("text"), raw.get("kind")
    if not isinstance(qid, str) or not NAME.match(qid):
        problems.append(f"{where}: id must be lower-case letters, digits, - or _")
    if not isinstance(text, str) or not text.strip():
        problems.append(f"{where}: text is missing")
    if kind not in set(Kind):
        problems.append(f"{where}: kind = {kind!r}; expected one of {', '.join(Kind)}")
        return None
    kind = Kind(kind)
    choices, low, high = raw.get("choices", []), raw.get("min"), raw.get("max")
    optional = raw.get("optional", False)
    if kind in (Kind.CHOICE, Kind.MULTI):
        if (
            not isinstance(choices, list)
            or len(choices) < 2
            or not all(isinstance(c, str) and c.strip() for c in choices)
        ):
            problems.append(f"{where}: a {kind} question needs a list of at least two choices")
        elif len({c.casefold() for c in choices}) < len(choices):
            problems.append(f"{where}: the same choice is listed twice")
    elif "choices" in raw:
        problems.append(f"{where}: only choice and multi questions have choices")
    for label, bound in (("min", low), ("max", high)):
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)):
            problems.append(f"{where}: {label} must be a whole number")
    if kind is Kind.SCALE and not (isinstance(low, int) and isinstance(high, int) and low < high):
        problems.append(f"{where}: a scale needs whole numbers min < max, e.g. min = 1, max = 5")
    if kind not in (Kind.SCALE, Kind.NUMBER) and (low is not None or high is not None):
        problems.append(f"{where}: only scale and number questions have min and max")
    if not isinstance(optional, bool):
        problems.append(f"{where}: optional must be true or false")
    if len(problems) > before or not isinstance(qid, str) or not isinstance(text, str):
        return None
    return Question(
        id=qid, kind=Kind(kind), text=text.strip(), choices=tuple(choices),
        min=low, max=high, optional=optional,
    )
