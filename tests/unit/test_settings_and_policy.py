"""Start-up settings (environment and `.env`) and the register's policy file."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.policy import Policy, load_policy
from bot.settings import DEFAULT_SQLITE, load_settings

CONTRACT_VARIABLES = (
    "TEAMAROUND_DATABASE_URL",
    "TEAMAROUND_CONFIG",
    "TEAMAROUND_PUBLIC_URL",
    "TEAMAROUND_SLACK_API_URL",
    "TEAMAROUND_TEAMS_LOGIN_URL",
    "TEAMAROUND_TEAMS_OPENID_URL",
    "TEAMAROUND_GRAPH_URL",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "MICROSOFT_APP_ID",
    "MICROSOFT_APP_PASSWORD",
    "MICROSOFT_APP_TENANT_ID",
)

FAKE_TOKEN = "xoxb-test-not-a-real-token-7f3a"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No contract variables set, and a working directory without a `.env`."""
    for name in CONTRACT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- settings -----------------------------------------------------------------------


def test_defaults_use_a_local_sqlite_file_and_no_platforms(clean_env: Path) -> None:
    settings = load_settings()

    assert settings.database_url == DEFAULT_SQLITE
    assert settings.slack_bot_token is None
    assert not settings.slack_enabled
    assert not settings.teams_enabled


def test_contract_variables_are_read(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMAROUND_DATABASE_URL", "postgresql+asyncpg://ta@db.internal/teamaround")
    monkeypatch.setenv("TEAMAROUND_PUBLIC_URL", "https://teamaround.example.org")
    monkeypatch.setenv("SLACK_BOT_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret")
    monkeypatch.setenv("TEAMAROUND_SLACK_API_URL", "http://127.0.0.1:9999/api/")

    settings = load_settings()

    assert settings.database_url == "postgresql+asyncpg://ta@db.internal/teamaround"
    assert settings.public_url == "https://teamaround.example.org"
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == FAKE_TOKEN
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"
    assert settings.slack_enabled


def test_the_slack_token_never_shows_in_logs(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", FAKE_TOKEN)

    settings = load_settings()

    assert settings.slack_bot_token is not None
    for shown in (
        repr(settings.slack_bot_token),
        str(settings.slack_bot_token),
        repr(settings),
        str(settings),
        f"{settings}",
    ):
        assert FAKE_TOKEN not in shown


def test_a_bad_database_url_names_the_variable(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAMAROUND_DATABASE_URL", "mysql://root@localhost/teamaround")

    with pytest.raises(ConfigError) as caught:
        load_settings()

    message = str(caught.value)
    assert "TEAMAROUND_DATABASE_URL" in message
    assert "sqlite+aiosqlite" in message
    assert "postgresql+asyncpg" in message


def test_a_bad_slack_api_url_names_the_variable(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAMAROUND_SLACK_API_URL", "slack.com/api")

    with pytest.raises(ConfigError, match="TEAMAROUND_SLACK_API_URL"):
        load_settings()


def test_every_bad_setting_is_reported_at_once(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAMAROUND_DATABASE_URL", "oracle://x")
    monkeypatch.setenv("TEAMAROUND_PUBLIC_URL", "teamaround.example.org")

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert "TEAMAROUND_DATABASE_URL" in str(caught.value)
    assert "TEAMAROUND_PUBLIC_URL" in str(caught.value)


def test_a_dotenv_file_in_the_working_directory_is_read(clean_env: Path) -> None:
    (clean_env / ".env").write_text(
        f"TEAMAROUND_PUBLIC_URL=https://from-dotenv.example.org\nSLACK_BOT_TOKEN={FAKE_TOKEN}\n",
        encoding="utf-8",
    )

    settings = load_settings()

    assert settings.public_url == "https://from-dotenv.example.org"
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == FAKE_TOKEN


def test_the_environment_wins_over_the_dotenv_file(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / ".env").write_text(
        "TEAMAROUND_PUBLIC_URL=https://from-dotenv.example.org\n", encoding="utf-8"
    )
    monkeypatch.setenv("TEAMAROUND_PUBLIC_URL", "https://from-env.example.org")

    assert load_settings().public_url == "https://from-env.example.org"


def test_a_bad_value_in_the_dotenv_file_names_the_variable(clean_env: Path) -> None:
    (clean_env / ".env").write_text("TEAMAROUND_DATABASE_URL=nonsense\n", encoding="utf-8")

    with pytest.raises(ConfigError, match="TEAMAROUND_DATABASE_URL"):
        load_settings()


def test_teamaround_config_points_at_the_policy_file(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAMAROUND_CONFIG", str(clean_env / "policy.yaml"))

    assert load_settings().config_path == clean_env / "policy.yaml"


# -- policy --------------------------------------------------------------------------


def write_policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def policy_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_policy(write_policy(tmp_path, text))
    return str(caught.value)


def test_no_policy_file_means_the_defaults() -> None:
    policy = load_policy(None)

    assert policy == Policy()
    assert policy.register_name == "Default register"
    assert policy.timezone == "Europe/London"
    assert policy.channel_pattern == "yp-{ref}"
    assert policy.service_hours.start == time(9)
    assert policy.service_hours.end == time(17)
    assert policy.service_hours.days == ["mon", "tue", "wed", "thu", "fri"]


def test_an_empty_policy_file_means_the_defaults(tmp_path: Path) -> None:
    assert load_policy(write_policy(tmp_path, "")) == Policy()


def test_the_example_policy_shipped_with_the_project_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "policy.example.yaml"

    assert load_policy(example) == Policy()


def test_a_policy_file_sets_the_register_and_hours(tmp_path: Path) -> None:
    policy = load_policy(
        write_policy(
            tmp_path,
            "register: Northshire DSR\n"
            "area: Northshire\n"
            "service_hours:\n"
            '  start: "08:30"\n'
            '  end: "16:00"\n'
            "  days: [Monday, Tuesday, Wednesday, Thursday]\n",
        )
    )

    assert policy.register_name == "Northshire DSR"
    assert policy.area == "Northshire"
    assert policy.service_hours.days == ["mon", "tue", "wed", "thu"]


def test_a_policy_file_sets_the_ladder_and_review_intervals(tmp_path: Path) -> None:
    policy = load_policy(
        write_policy(
            tmp_path,
            "ladder:\n"
            "  - {after_working_days: 2, contact: owner}\n"
            "  - {after_working_days: 3, contact: chair}\n"
            "reviews: {inpatient_months_child: 2}\n"
            'jobs: {chase_at: "10:15"}\n',
        )
    )

    assert [(s.after_working_days, s.contact) for s in policy.ladder] == [
        (2, "owner"),
        (3, "chair"),
    ]
    assert policy.reviews.inpatient_months_child == 2
    assert policy.reviews.inpatient_months_adult == 6  # the default stays
    assert policy.jobs.chase_at == time(10, 15)


def test_the_calendar_from_a_policy_uses_its_hours(tmp_path: Path) -> None:
    policy = load_policy(
        write_policy(
            tmp_path,
            'service_hours: {start: "08:30", end: "16:00", days: [mon, tue, wed, thu]}\n',
        )
    )

    calendar = policy.calendar()

    assert calendar.hours.start == time(8, 30)
    assert calendar.hours.end == time(16)
    assert calendar.is_working_day(date(2026, 11, 26))  # Thursday
    assert not calendar.is_working_day(date(2026, 11, 27))  # Friday: not a service day here
    assert not calendar.is_working_day(date(2026, 12, 28))  # Boxing Day substitute, a Monday
    assert str(calendar.tz) == "Europe/London"


def test_a_policy_file_sets_the_return_and_its_workforce(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "report:\n"
        "  bands: [under-18]\n"
        "  workforce_names: names\n"
        "workforce:\n"
        "  - {role: Keyworker, person: Kim.Lee@example.org, since: 2026-08-17}\n"
        "  - {role: Keyworker, employer: Local authority, grade: Band 5, part_time: yes}\n",
        encoding="utf-8",
    )
    policy = load_policy(path)
    assert policy.report.bands == ["under-18"] and policy.report.workforce_names == "names"
    held, vacant = policy.workforce
    assert (held.person, held.since, held.employer) == (
        "kim.lee@example.org",
        date(2026, 8, 17),
        None,
    )
    assert (vacant.person, vacant.employer, vacant.grade, vacant.part_time) == (
        None,
        "local-authority",
        "Band 5",
        True,
    )
    assert Policy().report.bands == ["under-18", "18-25"] and Policy().workforce == []


@pytest.mark.parametrize(
    ("yaml_text", "field"),
    [
        ("service_hours: {days: [funday]}\n", "service_hours.days"),
        ('channel_pattern: "x"\n', "channel_pattern"),
        ("colour: red\n", "colour"),
        ("service_hours: {lunch: '12:00'}\n", "service_hours.lunch"),
        ("timezone: Mars/Olympus_Mons\n", "timezone"),
        ("max_action_text: 5\n", "max_action_text"),
        ("service_hours: {start: 'teatime'}\n", "service_hours.start"),
        ("ladder: [{after_working_days: 0, contact: owner}]\n", "ladder.0.after_working_days"),
        ("ladder: [{after_working_days: 2, contact: mum}]\n", "ladder.0.contact"),
        ("ladder: []\n", "ladder"),
        ("reminder_working_days_before: -1\n", "reminder_working_days_before"),
        ("snooze_max_working_days: 99\n", "snooze_max_working_days"),
        ("reviews: {inpatient_months_child: 0}\n", "reviews.inpatient_months_child"),
        ("reviews: {report_days: 10}\n", "reviews.report_days"),
        ("jobs: {chase_at: 'after lunch'}\n", "jobs.chase_at"),
        ("report: {bands: [under-16]}\n", "report.bands.0"),
        ("report: {bands: []}\n", "report.bands"),
        ("report: {bands: [18-25, 18-25]}\n", "report.bands"),
        ("report: {workforce_names: surnames}\n", "report.workforce_names"),
        ("workforce: [{person: kim@example.org}]\n", "workforce.0.role"),
        ("workforce: [{role: Keyworker, person: Kim Lee}]\n", "workforce.0.person"),
        ("workforce: [{role: Keyworker, employer: hospital}]\n", "workforce.0.employer"),
        ("workforce: [{role: Keyworker, salary: 30000}]\n", "workforce.0.salary"),
        (
            "workforce: [{role: A, person: kim@example.org}, {role: B, person: Kim@example.org}]\n",
            "workforce",
        ),
    ],
)
def test_a_bad_field_names_the_field_at_fault(tmp_path: Path, yaml_text: str, field: str) -> None:
    message = policy_error(tmp_path, yaml_text)

    assert message.startswith("TEAMAROUND_CONFIG:")
    assert f"  {field}:" in message


@pytest.mark.parametrize(
    "yaml_text",
    [
        'service_hours: {start: "17:00", end: "09:00"}\n',
        'service_hours: {start: "09:00", end: "09:00"}\n',
        "service_hours: {days: []}\n",
    ],
    ids=["ends-before-it-starts", "no-time-at-all", "no-days"],
)
def test_service_hours_that_cannot_work_are_refused_when_the_file_is_loaded(
    tmp_path: Path, yaml_text: str
) -> None:
    # Otherwise start-up fails later, in Policy.calendar(), with a bare ValueError
    # that names neither the file nor the field.
    message = policy_error(tmp_path, yaml_text)

    assert "service_hours" in message


def test_an_unknown_day_says_which_days_are_allowed(tmp_path: Path) -> None:
    message = policy_error(tmp_path, "service_hours: {days: [mon, funday]}\n")

    assert "funday" in message
    assert "mon, tue, wed, thu, fri, sat, sun" in message


def test_a_channel_pattern_without_ref_says_ref_is_needed(tmp_path: Path) -> None:
    assert "{ref}" in policy_error(tmp_path, 'channel_pattern: "x"\n')


def test_invalid_yaml_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    message = policy_error(tmp_path, "service_hours: [unclosed\n")

    assert "not valid YAML" in message
    assert "policy.yaml" in message


def test_a_policy_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    assert "mapping" in policy_error(tmp_path, "- just\n- a list\n")


def test_a_missing_policy_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_policy(tmp_path / "nowhere.yaml")

    assert "TEAMAROUND_CONFIG" in str(caught.value)
    assert "nowhere.yaml" in str(caught.value)
