"""Countries as ISO 3166 codes, typed as codes or English names, shown as `Norway (NO)`."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bot.countries import Country, country_code, country_name
from bot.db.models import LocalRoom
from tests.chat import Chat
from tests.unit.test_rooms import ANA, HOST


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("NO", "NO"), ("no", "NO"), ("Norway", "NO"), ("  norway ", "NO"), ("NOR", "NO"),
        ("south korea", "KR"), ("Türkiye", "TR"), ("turkey", "TR"), ("UK", "GB"),
        ("United Kingdom", "GB"), ("Côte d'Ivoire", "CI"), ("cote d'ivoire", "CI"),
        ("Guinea—Bissau", "GW"), ("new   zealand", "NZ"), ("Netherlands", "NL"),
    ],
)
def test_a_country_is_a_code_or_an_english_name(typed: str, code: str) -> None:
    assert Country.parse(typed) == code


@pytest.mark.parametrize("wrong", ["XX", "xx", "Narnia", "N", "", "Norway (NO) and more",
                                   "a" * 5000, "<b>", "N0"])
def test_an_unknown_country_says_what_is_accepted(wrong: str) -> None:
    with pytest.raises(ValueError, match=r"ISO 3166 code or the English name, e\.g\. NO"):
        Country.parse(wrong)


def test_a_misspelt_country_gets_a_suggestion() -> None:
    with pytest.raises(ValueError, match=r"Did you mean Norway \(NO\)\?"):
        Country.parse("Norwy")
    with pytest.raises(ValueError) as caught:
        Country.parse("Narnia")
    assert "Did you mean" not in str(caught.value)


def test_a_stored_country_is_shown_with_its_name_and_old_text_as_it_is() -> None:
    assert country_name("NO") == "Norway (NO)"
    assert country_name("TW") == "Taiwan (TW)"
    assert country_name("Norge og Sverige") == "Norge og Sverige"
    assert country_name("no") == "no"  # only a code as stored (upper case) is a code
    assert country_code("Norway") == country_code("NO") == "NO"
    assert country_code("Norge og Sverige") is None


async def test_rooms_store_the_code_and_show_the_name(room: Chat) -> None:
    added = await room.say(
        HOST, "!room add name=Bergen org=UiB mode=in-person city=Bergen country=norway "
        "lang=no capacity=5 public=yes",
    )
    assert "Registered R2" in added
    async with room.app.sessions() as session:
        stored = list(await session.scalars(select(LocalRoom.country).order_by(LocalRoom.id)))
    assert stored == ["NO", "NO"]
    assert "Where: in person, Bergen, Norway (NO)" in await room.say(ANA, "!room R2")
    assert "Bergen · UiB · Bergen, Norway (NO)" in await room.say(ANA, "!rooms")
    # A search word finds the country by its name as well as by its code.
    found = await room.say(ANA, "!rooms norway bergen")
    assert "**R2**" in found and "**R1**" not in found
    assert "R1 changed: country" in await room.say(HOST, "!room edit R1 country=Sweden")
    assert "Oslo, Sweden (SE)" in await room.say(ANA, "!room R1")


async def test_a_wrong_country_is_refused_with_what_is_accepted(room: Chat) -> None:
    answer = await room.say(HOST, "!room edit R1 country=Norwy")
    assert "country=: 'Norwy' is not a country I know" in answer
    assert "Did you mean Norway (NO)?" in answer
    assert "R1 changed" not in answer


async def test_rooms_filter_by_country_also_rooms_stored_with_a_name(room: Chat) -> None:
    await room.say(HOST, "!room add name=Lund org=LU mode=online country=SE lang=sv "
                   "capacity=5 public=yes")
    await room.say(HOST, "!room add name=Old org=X mode=online country=DE lang=de "
                   "capacity=5 public=yes")
    # Rows written before countries were codes hold what was typed.
    async with room.app.sessions() as session, session.begin():
        await session.execute(update(LocalRoom).where(LocalRoom.name == "Old")
                              .values(country="Norway"))
        await session.execute(update(LocalRoom).where(LocalRoom.name == "Lund")
                              .values(country="Scandinavia"))
    norwegian = await room.say(ANA, "!rooms country=Norway")
    assert "**R1**" in norwegian and "**R3**" in norwegian and "**R2**" not in norwegian
    assert "Old · X · online" in norwegian
    assert "Scandinavia" in await room.say(ANA, "!room R2")  # shown as it is
    assert "No local rooms match." in await room.say(ANA, "!rooms country=FI")
    assert "not a country I know" in await room.say(ANA, "!rooms country=Scandinavia")
