"""Form definitions: the shipped defaults, overrides by name, and errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.forms.definitions import Audience, FormsError, Kind, load, parse


def test_the_defaults_hold_the_questions_of_the_spec() -> None:
    forms = load()
    assert set(forms) == {"daily", "final", "debrief"}
    daily = forms["daily"]
    assert [q.kind for q in daily.questions] == [Kind.MULTI, Kind.TEXT, Kind.TEXT, Kind.TEXT]
    assert len(daily.questions[0].choices) == 9 and daily.questions[3].optional
    recommend = forms["final"].questions[0]
    assert (recommend.kind, recommend.min, recommend.max) == (Kind.SCALE, 0, 10)
    assert forms["debrief"].audience is Audience.STAFF
    assert forms["debrief"].questions[-1].choices == ("yes", "no", "maybe")


def test_a_forms_file_replaces_by_name_and_adds(tmp_path: Path) -> None:
    extra = tmp_path / "forms.toml"
    extra.write_text(
        "[daily]\n[[daily.questions]]\nid = 'mood'\nkind = 'scale'\ntext = 'Mood?'\n"
        "min = 1\nmax = 5\n"
        "[lunch]\naudience = 'staff'\n[[lunch.questions]]\nid = 'food'\nkind = 'text'\n"
        "text = 'Food?'\noptional = true\n",
        encoding="utf-8",
    )
    forms = load(extra)
    assert set(forms) == {"daily", "final", "debrief", "lunch"}
    assert [q.id for q in forms["daily"].questions] == ["mood"]
    assert forms["lunch"].questions[0].optional
    # Replaced without saying, daily is still about each day; an added form is not.
    assert forms["daily"].each_day and not forms["lunch"].each_day
    assert not forms["final"].each_day


def test_every_problem_names_the_form_and_question() -> None:
    with pytest.raises(FormsError) as caught:
        parse(
            "[summary]\n[[summary.questions]]\nid = 'a'\nkind = 'poll'\ntext = 'A?'\n"
            "[ok]\ncolour = 'red'\n[[ok.questions]]\nid = 'b'\nkind = 'text'\ntext = 'B?'\n"
            "[[ok.questions]]\nid = 'b'\nkind = 'choice'\ntext = 'C?'\nchoices = ['x', 'X']\n",
            "f.toml",
        )
    assert caught.value.problems == (
        "f.toml: form 'summary': 'summary' is a command word, not a form name",
        "f.toml: form 'summary', question 1 ('a'): kind = 'poll'; expected one of choice, "
        "multi, scale, number, text",
        "f.toml: form 'ok': unknown key 'colour' (known: audience, each_day, questions, title)",
        "f.toml: form 'ok', question 2 ('b'): the same choice is listed twice",
    )


def test_each_day_is_true_or_false_and_only_daily_ships_with_it() -> None:
    assert {name for name, form in load().items() if form.each_day} == {"daily"}
    with pytest.raises(FormsError) as caught:
        parse("[lunch]\neach_day = 'yes'\n[[lunch.questions]]\nid = 'a'\nkind = 'text'\n"
              "text = 'A?'\n", "f.toml")
    assert caught.value.problems == ("f.toml: form 'lunch': each_day must be true or false",)
