"""Configuration files: the example is valid; every error names file, key and remedy."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import get_args, get_type_hints

import pytest

from bot import config, networks
from bot.__main__ import main
from bot.transport.zulip_network import ZulipSettings

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_the_example_configuration_is_valid_and_documents_every_key() -> None:
    example = ROOT / "config.example.toml"
    settings = config.load(example, environ={"CLASSROOM_BOT_MATRIX_PASSWORD": "x"})
    assert settings.networks["matrix"].homeserver.startswith("https://")
    written = example.read_text()
    for section in ("bot", "database", "matrix", "feedback", "conversations"):
        cls = type(settings.network(section) or getattr(settings, section))
        for field in cls.__dataclass_fields__:
            assert f"{field} =" in written, f"{section}.{field} is not documented"
    zulip = written[written.index("# [zulip]"):written.index("[feedback]")]
    for field in ZulipSettings.__dataclass_fields__:
        assert f"# {field} =" in zulip, f"zulip.{field} is not documented"
    uncommented = "\n".join(line.removeprefix("# ") for line in zulip.splitlines()
                            if re.match(r"# (\[zulip\]|\w+ = )", line))
    assert config.from_mapping(tomllib.loads(uncommented)).network("zulip") is not None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[bot]\nprefx = '!'\n", "unknown key 'bot.prefx'; did you mean 'bot.prefix'?"),
        ("[bots]\n", "unknown key 'bots'; did you mean 'bot'?"),
        ("[bot]\norganizers = '@a:b.c'\n", "bot.organizers = '@a:b.c' is not accepted; "
         "expected a list of strings"),
        ("[bot]\norganizers = ['ana']\n", "expected a user id like @ana:example.org"),
        ("[bot]\ndefault_timezone = 'Mars/Olympus'\n", "expected an IANA time zone"),
        ("[bot]\nprefix = 'go '\n", "bot.prefix = 'go ' is not accepted"),
        ("[database]\nauto_migrate = 'yes'\n", "expected true or false"),
        ("[database]\nurl = 'sqlite:///x.db'\n", "expected sqlite+aiosqlite:///FILE"),
        ("[database]\nurl = 'sqlite+aiosqlite:///no/such/dir/x.db'\n", "there is no folder"),
        ("[database]\nurl = 'not a url'\n", "expected a database address"),
        ("[matrix]\nhomeserver = 'ftp://x'\n", "expected an http:// or https:// address"),
        ("[matrix]\ncommand_max_age_minutes = -1\n", "a number of at least 0"),
        ("[matrix]\npoll_room = '#feedback:uni.no'\n", "expected a room id like !abcdef"),
        ("[reminders]\ngrace = 'soon'\n", "reminders.grace = 'soon' is not accepted; "
         "expected a duration such as 1d, 24h, 30m or 2h30m"),
        ("[reminders]\nonboarding_before = ['24h', '1 hour']\n", "expected a duration"),
        ("[feedback]\ndaily_window = '36 hours'\n", "feedback.daily_window = '36 hours'"),
        ("[feedback]\nidle_minutes = 720\n", "feedback.idle_minutes is no longer read: a form "
         "now lasts until its window closes (feedback.daily_window, feedback.final_window)"),
        ("[conversations]\nconfirm_minutes = 0\n", "a number of at least 1"),
        ("[bot\n", "not valid TOML"),
    ],
)
def test_errors_name_the_file_the_key_and_what_is_accepted(
    tmp_path: Path, body: str, message: str
) -> None:
    path = write(tmp_path, body)
    with pytest.raises(config.ConfigError) as caught:
        config.load(path, environ={})
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_secrets_can_come_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "[matrix]\nhomeserver = 'https://m.org'\nuser_id = '@b:m.org'\n")
    settings = config.load(path, environ={"CLASSROOM_BOT_MATRIX_PASSWORD": "s3cret"})
    assert settings.networks["matrix"].password == "s3cret"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[bot]\nprefx = '!'\ndefault_timezone = 'Mars/Olympus'\norganizers = ['ana']\n"
        "[database]\nauto_migrate = 'yes'\n[matrix]\nhomeserver = 'ftp://x'\n[feedbak]\n",
    )
    with pytest.raises(config.ConfigError) as caught:
        config.load(path, environ={})
    problems = caught.value.problems
    for key in ("'bot.prefx'", "bot.default_timezone", "bot.organizers",
                "database.auto_migrate", "matrix.homeserver", "'feedbak'"):
        assert sum(key in problem for problem in problems) == 1, key
    assert len(problems) == 6
    assert all(problem.startswith(f"{path}: ") for problem in problems)


def test_only_run_needs_the_matrix_login(tmp_path: Path) -> None:
    path = write(tmp_path, "[matrix]\nhomeserver = 'https://m.org'\n")
    settings = config.load(path, environ={"CLASSROOM_BOT_FEEDBACK_KEY": "k" * 32})
    assert config.run_problems(settings) == [
        f"{path}: matrix.user_id is missing (needed by `run`)",
        f"{path}: matrix.password or matrix.access_token is missing (needed by `run`); fill "
        "one in, or set CLASSROOM_BOT_MATRIX_PASSWORD or CLASSROOM_BOT_MATRIX_ACCESS_TOKEN",
    ]
    no_matrix = config.load(write(tmp_path, "[bot]\n"), environ={})
    assert "no [matrix] or [zulip] section" in config.run_problems(no_matrix)[0]
    token = config.load(
        write(tmp_path, "[matrix]\nhomeserver = 'https://m.org'\nuser_id = '@b:m.org'\n"),
        environ={"CLASSROOM_BOT_MATRIX_ACCESS_TOKEN": "t", "CLASSROOM_BOT_FEEDBACK_KEY": "k"},
    )
    assert config.run_problems(token) == []


def test_run_needs_the_feedback_key_while_feedback_is_on(tmp_path: Path) -> None:
    login = "[matrix]\nhomeserver = 'https://m.org'\nuser_id = '@b:m.org'\npassword = 'p'\n"
    (problem,) = config.run_problems(config.load(write(tmp_path, login), environ={}))
    assert "feedback.key is missing" in problem and "CLASSROOM_BOT_FEEDBACK_KEY" in problem
    off = config.load(write(tmp_path, login + "[feedback]\nenabled = false\n"), environ={})
    assert config.run_problems(off) == []


def test_a_wrong_forms_file_names_the_file_form_and_question(tmp_path: Path) -> None:
    forms = tmp_path / "forms.toml"
    forms.write_text(
        "[daily]\n[[daily.questions]]\nid = 'speed'\nkind = 'scale'\ntext = 'Speed?'\n"
        "min = 5\nmax = 1\n[[daily.questions]]\nid = 'how'\nkind = 'choice'\ntext = 'How?'\n",
        encoding="utf-8",
    )
    path = write(tmp_path, "[feedback]\nforms_file = 'forms.toml'\n")
    with pytest.raises(config.ConfigError) as caught:
        config.load(path, environ={})
    assert caught.value.problems == (
        f"{path}: feedback.forms_file: {forms}: form 'daily', question 1 ('speed'): a scale "
        "needs whole numbers min < max, e.g. min = 1, max = 5",
        f"{path}: feedback.forms_file: {forms}: form 'daily', question 2 ('how'): a choice "
        "question needs a list of at least two choices",
    )


def test_check_config_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLASSROOM_BOT_MATRIX_PASSWORD", raising=False)
    monkeypatch.delenv("CLASSROOM_BOT_MATRIX_ACCESS_TOKEN", raising=False)
    assert main(["check-config", "-c", str(ROOT / "config.example.toml")]) == 1
    out = capsys.readouterr().out
    assert "valid (matrix; 1 organizer(s))" in out
    assert "run still needs" in out and "matrix.password or matrix.access_token is missing" in out
    monkeypatch.setenv("CLASSROOM_BOT_MATRIX_PASSWORD", "s3cret")
    monkeypatch.setenv("CLASSROOM_BOT_FEEDBACK_KEY", "k" * 32)
    assert main(["check-config", "-c", str(ROOT / "config.example.toml")]) == 0
    assert "ready for every command, run included" in capsys.readouterr().out
    assert main(["check-config", "-c", str(write(tmp_path, "[bot]\nx = 1\n"))]) == 2
    assert "unknown key 'bot.x'" in capsys.readouterr().err
    assert main(["check-config", "-c", str(tmp_path / "missing.toml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_check_config_says_an_invalid_file_is_not_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "[bot]\nx = 1\nprefix = 3\n")
    assert main(["check-config", "-c", str(path)]) == 2
    out = capsys.readouterr()
    assert f"{path}: not valid (2 problems); no command can use it until they are fixed" in (
        out.out)
    assert "valid (" not in out.out.replace("not valid (", "")
    assert "unknown key 'bot.x'" in out.err and "bot.prefix = 3 is not accepted" in out.err
    assert main(["check-config", "-c", str(write(tmp_path, "x = [\n"))]) == 2
    assert "not valid (1 problem);" in capsys.readouterr().out
    # A file that is not there is said so; there is nothing to judge.
    assert main(["check-config", "-c", str(tmp_path / "missing.toml")]) == 2
    out = capsys.readouterr()
    assert "no such file" in out.err and "valid" not in out.out


@pytest.mark.parametrize("page", ["matrix.md", "zulip.md"])
def test_the_set_up_pages_configuration_passes_with_what_they_say_to_set(
    page: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    block = re.search(r"```toml\n(.*?)```", text, re.DOTALL)
    assert block is not None
    # The page's database folder is the server's: here, one that exists.
    body = block[1].replace("/var/lib/classroom-bot", str(tmp_path))
    path = write(tmp_path, "\n".join(line.strip() for line in body.splitlines()))
    for variable in config.secret_env().values():
        monkeypatch.delenv(variable, raising=False)
    # Each variable the page names is set, and nothing else.
    named = set(re.findall(r"CLASSROOM_BOT_[A-Z_]+", text)) - {
        "CLASSROOM_BOT_MATRIX_ACCESS_TOKEN", "CLASSROOM_BOT_DATABASE_URL"}
    assert "CLASSROOM_BOT_FEEDBACK_KEY" in named
    for variable in named:
        monkeypatch.setenv(variable, "k" * 32)
    assert main(["check-config", "-c", str(path)]) == 0, capsys.readouterr()
    assert "ready for every command, run included" in capsys.readouterr().out


def test_a_zulip_section_is_checked_and_its_key_may_come_from_the_environment(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "[zulip]\nsite = 'https://chat.uni.no'\nemail = 'bot@uni.no'\n"
                 "organizers = ['1234', 'ana@uni.no']\norganizer_roles = ['administrator']\n")
    settings = config.load(path, environ={"CLASSROOM_BOT_FEEDBACK_KEY": "k"})
    assert settings.networks["zulip"].organizers == ("1234", "ana@uni.no")
    assert config.run_problems(settings) == [
        f"{path}: zulip.api_key is missing (needed by `run`); fill it in (the bot's zuliprc "
        "has it), or set CLASSROOM_BOT_ZULIP_API_KEY"
    ]
    keyed = config.load(path, environ={"CLASSROOM_BOT_FEEDBACK_KEY": "k",
                                       "CLASSROOM_BOT_ZULIP_API_KEY": "secret"})
    assert keyed.networks["zulip"].api_key == "secret"
    assert config.run_problems(keyed) == []
    bad = write(tmp_path, "[zulip]\nsite = 'chat.uni.no'\norganizers = ['@ana:uni.no']\n"
                "organizer_roles = ['admin']\n")
    _, problems = config.examine(bad, environ={})
    assert len(problems) == 3
    assert any("zulip.site" in p and "http" in p for p in problems)
    assert any("zulip.organizers" in p and "e-mail" in p for p in problems)
    assert any("zulip.organizer_roles" in p and "administrator" in p for p in problems)


def test_organizers_are_told_on_their_own_network() -> None:
    settings = config.from_mapping({
        "bot": {"organizers": ["@ana:uni.no"]},
        "zulip": {"organizers": ["1234", "bo@uni.no"], "organizer_roles": ["owner"]},
    })
    assert config.organizers_on(settings, "matrix") == ("@ana:uni.no",)
    assert config.organizers_on(settings, "zulip") == ("zulip:1234",)
    assert config.organizers_on(config.from_mapping({}), "zulip") == ()
    # `bot.organizers` takes an id of any network; each network tells its own.
    mixed = config.from_mapping({"bot": {"organizers": ["@ana:uni.no", "zulip:9"]},
                                 "zulip": {"organizers": ["9", "12"]}})
    assert config.organizers_on(mixed, "matrix") == ("@ana:uni.no",)
    assert config.organizers_on(mixed, "zulip") == ("zulip:9", "zulip:12")
    with pytest.raises(config.ConfigError, match=r"a user id like @ana:example\.org or zulip:1234"):
        config.from_mapping({"bot": {"organizers": ["ana"]}})


def test_polls_are_posted_on_the_networks_with_a_poll_room_or_channel() -> None:
    assert config.poll_networks(config.from_mapping({"matrix": {}, "zulip": {}})) == ()
    both = config.from_mapping({"matrix": {"poll_room": "!fb:uni.no"},
                                "zulip": {"poll_channel": "workshop"}})
    assert config.poll_networks(both) == ("matrix", "zulip")
    assert both.networks["zulip"].poll_topic == "feedback"
    assert config.poll_networks(config.from_mapping({"zulip": {"poll_channel": "w"}})) == (
        "zulip",)


V12_ROOM = "!Tt8Y6oRcJxdV4SEQyHjNLS6vUNvbGIYPDKhpqzLIl_A"  # room version 12: no `:server`


def test_every_key_taking_a_room_id_accepts_a_version_12_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found from the sections' metadata, so a key added later is checked too."""
    tables: dict[str, dict[str, str]] = {}
    for section in dataclasses.fields(config.Settings):
        cls = get_type_hints(config.Settings)[section.name]
        cls = next((a for a in get_args(cls) if dataclasses.is_dataclass(a)), cls)
        if not dataclasses.is_dataclass(cls):
            continue
        for key in dataclasses.fields(cls):
            if key.metadata.get("each") == "room id":
                tables.setdefault(section.name, {})[key.name] = V12_ROOM
    for network in networks.every():
        for key in dataclasses.fields(network.section) if network.section else ():
            if key.metadata.get("each") == "room id":
                tables.setdefault(network.name, {})[key.name] = V12_ROOM
    matrix_rooms = ["poll_room", "status_room", "chats_space"]
    assert {"bot": ["organizers_room"], "matrix": matrix_rooms}.items() <= {
        name: list(keys) for name, keys in tables.items()}.items()
    body = "".join(f"[{name}]\n" + "".join(f'{k} = "{v}"\n' for k, v in keys.items())
                   for name, keys in tables.items())
    settings = config.load(write(tmp_path, body), environ={})
    assert settings.bot.organizers_room == V12_ROOM
    assert settings.networks["matrix"].poll_room == V12_ROOM
    assert settings.networks["matrix"].status_room == V12_ROOM
    assert main(["check-config", "-c", str(tmp_path / "c.toml")]) == 1  # no login: run needs it
    assert "not accepted" not in capsys.readouterr().err
    for wrong in ("!", "!has space", "#alias:uni.no", "!ends-with:", "!:uni.no"):
        with pytest.raises(config.ConfigError, match="expected a room id like"):
            config.load(write(tmp_path, f'[bot]\norganizers_room = "{wrong}"\n'), environ={})
