"""The fingerprint of what the reminder plan depends on besides the database: each of
those inputs changes it; the rest of the configuration does not (no needless re-plan)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.config import (
    BotSettings,
    DatabaseSettings,
    FeedbackSettings,
    HttpSettings,
    ReminderSettings,
    Settings,
)
from bot.scheduling import at_start
from bot.scheduling.at_start import fingerprint

BASE = Settings(bot=BotSettings(organizers=("@org:uni.no",)))


def changed(**sections: object) -> Settings:
    return dataclasses.replace(BASE, **sections)


def forms_file(tmp_path: Path) -> Settings:
    extra = tmp_path / "forms.toml"
    extra.write_text("[lunch]\naudience = 'staff'\n[[lunch.questions]]\nid = 'food'\n"
                     "kind = 'text'\ntext = 'Food?'\n", encoding="utf-8")
    return changed(feedback=FeedbackSettings(forms_file=str(extra)))


@pytest.mark.parametrize("other", [
    changed(reminders=ReminderSettings(day_start_before="1h")),
    changed(reminders=ReminderSettings(onboarding_before=("24h",))),
    changed(reminders=ReminderSettings(enabled=False)),
    changed(bot=BotSettings(organizers=("@org:uni.no",), prefix=".")),
    changed(bot=BotSettings(organizers=("@org:uni.no",), default_timezone="Europe/Oslo")),
    changed(feedback=FeedbackSettings(enabled=False)),
    changed(reminders=ReminderSettings(form_closing_before="6h")),
    changed(reminders=ReminderSettings(form_closing_before="0")),
    changed(feedback=FeedbackSettings(daily_window="48h")),
    changed(feedback=FeedbackSettings(final_window="3d")),
], ids=["offset", "onboarding offsets", "reminders off", "prefix", "default zone",
        "feedback off", "closing offset", "closing off", "daily window", "final window"])
def test_what_the_plan_is_made_from_changes_it(other: Settings) -> None:
    assert fingerprint(other) != fingerprint(BASE)


def test_a_forms_file_changes_it(tmp_path: Path) -> None:
    assert fingerprint(forms_file(tmp_path)) != fingerprint(BASE)


def test_the_code_and_zone_rules_change_it(monkeypatch: pytest.MonkeyPatch) -> None:
    before = fingerprint(BASE)
    monkeypatch.setattr(at_start, "_code", lambda: "another version")
    assert fingerprint(BASE) != before
    monkeypatch.undo()
    monkeypatch.setattr(at_start, "_zone_rules", lambda: "tzdata 2099a")
    assert fingerprint(BASE) != before


def test_the_rest_of_the_configuration_does_not() -> None:
    other = changed(
        bot=BotSettings(organizers=("@someone:else.org",), log_level="DEBUG"),
        database=DatabaseSettings(url="sqlite+aiosqlite:////elsewhere.db"),
        feedback=FeedbackSettings(key="k" * 32, min_responses_for_leads=2),
        http=HttpSettings(listen="127.0.0.1:8080"),
    )
    assert fingerprint(other) == fingerprint(BASE)
    assert fingerprint(BASE) == fingerprint(BASE)  # nothing random or timed in it
