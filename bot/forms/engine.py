"""The form conversation as a pure state machine: state + what was typed -> new state
+ what to say. No database, no clock, no chat: the router stores the state.

    question 1 --answer/skip--> question 2 ... --> confirm --yes--> saved
        ^------------back----------'                  |--cancel--> dropped
A wrong answer keeps the state and says what is accepted, then the question again;
so does anything but yes, back or cancel at the confirmation (`no` says nothing
was saved yet), so no message there ends the form unless it says so.

What was typed is taken literally: only `cancel`, `back` and `skip`, bare or with
the prefix, move the form. At a question whose choices include one of those
words, the bare word is the choice and only the prefixed one (`!cancel`) moves,
and the question says so; `!!! loved it` is an answer like any other text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.forms.definitions import Form, Kind, Question
from bot.text import clip, code, escape

Value = str | int | list[str] | None

MAX_TEXT = 2000
YES = {"yes", "y", "save", "ok"}
# At the confirmation these say "not (yet)": answered with what was kept, not a refusal.
NO = {"no", "n", "nope", "nah", "nein", "non", "nee"}
# The words that move a form at a question (help belongs to the router).
MOVES = ("skip", "back", "cancel")


@dataclass
class State:
    """Where a person is in a form: the question index (len(questions) = confirming)."""

    step: int = 0
    answers: dict[str, Value] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    text: str
    state: State | None  # None: the conversation is over
    saved: dict[str, Value] | None = None  # the answers to store, when confirmed


def start(form: Form, prefix: str) -> tuple[State, str]:
    state = State()
    return state, ask(form, state, prefix)


def ask(form: Form, state: State, prefix: str) -> str:
    if state.step >= len(form.questions):
        return _confirmation(form, state)
    question = form.questions[state.step]
    lines = [f"**{escape(form.title)}**, question {state.step + 1} of {len(form.questions)}:",
             escape(question.text)]
    lines += [f"{n}. {escape(choice)}" for n, choice in enumerate(question.choices, start=1)]
    if question.id in state.answers:  # back here: the person's own words, shown as typed
        lines.append(f"Your answer was: {escape(shown(state.answers[question.id]))} "
                     "(a new answer replaces it).")
    lines.append(_hint(question))
    lines.append(_moves(question, state, prefix))
    return "\n".join(lines)


def _moves(question: Question, state: State, prefix: str) -> str:
    """The control words open at this question; those that are also choices here
    only with the prefix, and the line says why."""
    words = [w for w in MOVES if (w != "skip" or question.optional)
             and (w != "back" or state.step > 0)]
    clashes = [w for w in words if _is_choice(question, w)]
    line = "You can also type " + ", ".join(
        code(prefix + w) if w in clashes else code(w) for w in words)
    if not clashes:
        return line + "."
    *others, last = [code(w) for w in clashes]
    names = f"{', '.join(others)} and {last} are choices" if others else f"{last} is a choice"
    return f"{line} (with the {code(prefix)}: here {names})."


def _is_choice(question: Question, text: str) -> bool:
    return question.kind in (Kind.CHOICE, Kind.MULTI) and _choice(question, text) is not None


def _hint(question: Question) -> str:
    count = len(question.choices)
    match question.kind:
        case Kind.CHOICE:
            return f"Answer with one number from 1 to {count}, or the choice's text."
        case Kind.MULTI:
            return f"Answer with one or more numbers from 1 to {count}, e.g. {code('1, 3')}."
        case Kind.SCALE:
            return f"Answer with a whole number from {question.min} to {question.max}."
        case Kind.NUMBER:
            return "Answer with " + _number_range(question) + "."
        case _:
            return "Answer in your own words" + (" (optional)." if question.optional else ".")


def _number_range(question: Question) -> str:
    if question.min is not None and question.max is not None:
        return f"a whole number from {question.min} to {question.max}"
    if question.min is not None:
        return f"a whole number of at least {question.min}"
    if question.max is not None:
        return f"a whole number of at most {question.max}"
    return "a whole number"


def _confirmation(form: Form, state: State) -> str:
    lines = [f"**{escape(form.title)}**: your answers"]
    for question in form.questions:
        value = state.answers.get(question.id)
        given = "(skipped)" if value is None else escape(shown(value))  # the person's own words
        lines.append(f"- {escape(question.text)}: {given}")
    lines.append(
        "Save them? Type `yes` to save, `back` to change the last one, `cancel` to drop them."
    )
    return "\n".join(lines)


def shown(value: Value) -> str:
    if value is None:
        return "(skipped)"
    if isinstance(value, list):
        return "; ".join(value)
    return str(value)


def word(text: str, prefix: str) -> str:
    """The control word typed, with or without the prefix ("!skip" or "skip")."""
    text = text.strip()
    if text.startswith(prefix):
        text = text[len(prefix):]
    return text.strip().casefold()


def control(form: Form, state: State, text: str, prefix: str) -> str | None:
    """The control word `text` means here, or None when it is an answer: a bare
    word that is one of this question's choices is that choice."""
    typed = word(text, prefix)
    if state.step >= len(form.questions):  # "Yes!" from a phone is a yes
        typed = typed.rstrip(".!")
        return typed if typed in {"cancel", "back"} | YES | NO else None
    if typed not in MOVES:
        return None
    prefixed = text.strip().startswith(prefix)
    return typed if prefixed or not _is_choice(form.questions[state.step], typed) else None


def answer(form: Form, state: State, text: str, prefix: str) -> Outcome:
    typed = control(form, state, text, prefix)
    if typed == "cancel":
        return Outcome(f"Cancelled: nothing of the {form.name} form was saved.", None)
    if typed == "back":
        if state.step == 0:
            return Outcome("This is the first question.\n" + ask(form, state, prefix), state)
        back = State(state.step - 1, dict(state.answers))
        return Outcome(ask(form, back, prefix), back)
    if state.step >= len(form.questions):
        if typed in YES:
            return Outcome(f"Thank you! Your answers to the {form.name} form are saved.",
                           None, saved=dict(state.answers))
        if typed in NO:
            return Outcome(f"Nothing was saved yet; your answers are kept.\n"
                           f"{ask(form, state, prefix)}", state)
        return Outcome(f"⚠️ I did not understand {code(clip(text.strip(), 40))}; nothing was "
                       f"saved yet.\n{ask(form, state, prefix)}", state)
    question = form.questions[state.step]
    if typed == "skip":
        if not question.optional:
            return Outcome(f"⚠️ This question needs an answer.\n{ask(form, state, prefix)}", state)
        value: Value = None
    else:
        parsed = parse(question, text.strip())
        if isinstance(parsed, Problem):
            return Outcome(f"⚠️ {parsed.text}\n{ask(form, state, prefix)}", state)
        value = parsed
    after = State(state.step + 1, {**state.answers, question.id: value})
    return Outcome(ask(form, after, prefix), after)


@dataclass(frozen=True)
class Problem:
    text: str


def parse(question: Question, text: str) -> Value | Problem:
    """An answer's value, or what is wrong with it."""
    if not text:
        return Problem("An empty answer is not accepted.")
    match question.kind:
        case Kind.CHOICE:
            chosen = _choice(question, text)
            if chosen is None:
                return Problem(f"{code(text[:40])} is not one of the choices: {_hint(question)}")
            return chosen
        case Kind.MULTI:
            items = [item for item in re.split(r"[,;]", text) if item.strip()]
            if len(items) == 1 and re.fullmatch(r"\d+(\s+\d+)+", text):
                items = text.split()
            picked = [_choice(question, item.strip()) for item in items]
            wrong = [item.strip() for item, p in zip(items, picked, strict=True) if p is None]
            if wrong:
                return Problem(
                    f"{code(wrong[0][:40])} is not one of the choices: {_hint(question)}"
                )
            return [c for c in question.choices if c in picked]
        case Kind.SCALE | Kind.NUMBER:
            if not re.fullmatch(r"[+-]?\d{1,9}", text):
                return Problem(f"{code(text[:40])} is not a whole number: {_hint(question)}")
            number = int(text)
            if (question.min is not None and number < question.min) or (
                question.max is not None and number > question.max
            ):
                return Problem(f"{number} is out of range: {_hint(question)}")
            return number
        case _:
            if len(text) > MAX_TEXT:
                return Problem(f"That is {len(text)} characters; at most {MAX_TEXT} are accepted.")
            return text


def _choice(question: Question, text: str) -> str | None:
    if text.isdigit():
        n = int(text)
        return question.choices[n - 1] if 1 <= n <= len(question.choices) else None
    folded = text.casefold()
    return next((c for c in question.choices if c.casefold() == folded), None)
