"""The form engine alone (bot/forms/engine.py): state + text -> state + what to say.

Forms made to break it: choices named like the control words, answers that
start with the prefix, a person's own markup coming back after `back`.
"""

from __future__ import annotations

import pytest

from bot.forms import engine
from bot.forms.definitions import Audience, Form, Kind, Question, load
from bot.forms.engine import State

P = "!"
MOVES = Question("move", Kind.CHOICE, "Where now?", choices=("back", "cancel", "skip"),
                 optional=True)
WORDS = Question("words", Kind.MULTI, "Which words?", choices=("yes", "no", "ok", "Back"))
NOTE = Question("note", Kind.TEXT, "Anything else?", optional=True)
CLASHING = Form("clash", "Clash", Audience.LEARNERS, (NOTE, MOVES, WORDS))
DEBRIEF = load()["debrief"]


def at(form: Form, step: int, **answers: engine.Value) -> State:
    return State(step, dict(answers))


@pytest.mark.parametrize("typed", ["back", "cancel", "skip", "Cancel", " skip "])
def test_a_bare_word_that_is_a_choice_is_that_choice(typed: str) -> None:
    outcome = engine.answer(CLASHING, at(CLASHING, 1, note="hi"), typed, P)
    assert outcome.state == at(CLASHING, 2, note="hi", move=typed.strip().casefold())
    assert outcome.saved is None and "Which words?" in outcome.text


def test_the_prefixed_word_stays_the_control_word() -> None:
    state = at(CLASHING, 1, note="hi")
    assert engine.answer(CLASHING, state, "!cancel", P).state is None
    assert engine.answer(CLASHING, state, "! back", P).state == at(CLASHING, 0, note="hi")
    assert engine.answer(CLASHING, state, "!skip", P).state == at(CLASHING, 2, note="hi",
                                                                  move=None)


def test_the_question_says_which_words_need_the_prefix() -> None:
    text = engine.ask(CLASHING, at(CLASHING, 1), P)
    assert "You can also type `!skip`, `!back`, `!cancel` (with the `!`: here `skip`, " \
           "`back` and `cancel` are choices)." in text
    multi = engine.ask(CLASHING, at(CLASHING, 2), P)
    assert "`skip`" not in multi and "`!back`, `cancel`" in multi
    assert "here `back` is a choice" in multi
    plain = engine.ask(CLASHING, at(CLASHING, 0), P)
    assert "You can also type `skip`, `cancel`." in plain and "choice" not in plain


@pytest.mark.parametrize("typed", ["yes", "no", "OK", "back", "1, 2", "yes; back"])
def test_yes_no_ok_and_back_answer_a_multi_question(typed: str) -> None:
    outcome = engine.answer(CLASHING, at(CLASHING, 2), typed, P)
    assert outcome.state is not None and outcome.state.step == 3, outcome.text
    assert outcome.saved is None and "Save them?" in outcome.text


def test_would_you_host_again_can_be_answered_yes() -> None:
    last = len(DEBRIEF.questions) - 1
    assert DEBRIEF.questions[last].text == "Would you host again?"
    outcome = engine.answer(DEBRIEF, State(last, {}), "yes", P)
    assert outcome.saved is None and outcome.state == State(last + 1, {"again": "yes"})
    for typed in ("yes", "Yes!", "OK.", "!yes"):
        saved = engine.answer(DEBRIEF, outcome.state, typed, P)
        assert saved.state is None and saved.saved == {"again": "yes"}


def confirming() -> State:
    return at(CLASHING, 3, note="hi", move="back", words=["yes"])


@pytest.mark.parametrize("typed", ["no", "No", "n", "nope", "nein", "!no"])
def test_no_at_the_confirmation_keeps_the_answers_and_offers_the_ways_on(typed: str) -> None:
    outcome = engine.answer(CLASHING, confirming(), typed, P)
    assert outcome.state == confirming() and outcome.saved is None
    assert outcome.text.startswith("Nothing was saved yet; your answers are kept.")
    assert "`yes` to save, `back`" in outcome.text and "`cancel`" in outcome.text
    assert "Please type" not in outcome.text


@pytest.mark.parametrize("typed", ["maybe", "skip", "1", "!!! loved it", "🎉", "‘yes’"])
def test_anything_else_at_the_confirmation_is_not_understood_and_kept(typed: str) -> None:
    outcome = engine.answer(CLASHING, confirming(), typed, P)
    assert outcome.state == confirming() and outcome.saved is None
    assert outcome.text.startswith("⚠️ I did not understand") and "nothing was saved" in outcome.text
    assert "`yes` to save" in outcome.text


def test_back_shows_the_answer_given_before_escaped() -> None:
    scale = Question("pace", Kind.SCALE, "Pace?", min=1, max=5)
    form = Form("f", "F", Audience.LEARNERS, (NOTE, scale))
    mine = "**bold** <b>x</b> `tick` [link](http://x)"
    state = engine.answer(form, State(), mine, P).state
    assert state is not None
    back = engine.answer(form, state, "back", P)
    assert back.state == State(0, {"note": mine})
    assert "Your answer was: " + engine.escape(mine) + " (a new answer replaces it)." \
        in back.text
    assert mine not in back.text  # escaped: it shows as typed, never as markup
    again = engine.answer(form, back.state, "new words", P)
    assert again.state == State(1, {"note": "new words"})


def test_back_shows_a_skipped_answer_and_multi_choices() -> None:
    state = at(CLASHING, 3, note=None, move=None, words=["yes", "Back"])
    back = engine.answer(CLASHING, state, "back", P)
    assert "Your answer was: yes; Back" in back.text
    assert back.state is not None
    assert "Your answer was: (skipped)" in engine.answer(CLASHING, back.state, "!back", P).text
    assert "Your answer was" not in engine.ask(CLASHING, State(), P)


@pytest.mark.parametrize("typed", ["!!! loved it", "!loved it", "!2", "! ", "!!skip"])
def test_an_answer_starting_with_the_prefix_is_taken_literally(typed: str) -> None:
    outcome = engine.answer(CLASHING, State(), typed, P)
    assert outcome.state == State(1, {"note": typed.strip()})


def test_another_prefix_is_text_and_control_words_follow_the_prefix() -> None:
    assert engine.answer(CLASHING, State(), "!cancel", ".").state == State(
        1, {"note": "!cancel"})
    state = at(CLASHING, 1)
    assert engine.answer(CLASHING, state, ".cancel", ".").state is None
    assert "`.skip`, `.back`, `.cancel`" in engine.ask(CLASHING, state, ".")
