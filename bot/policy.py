"""The register's policy file (``TEAMAROUND_CONFIG``, YAML), validated with pydantic.

Every number a rule depends on is a default here, never a constant in code.
"""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.calendar import ServiceHours, WorkingCalendar
from bot.employers import WORDS as EMPLOYER_WORDS
from bot.employers import EmployerKind, employer_kind
from bot.errors import ConfigError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class HoursPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: time = time(9, 0)
    end: time = time(17, 0)
    days: list[str] = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        bad = [d for d in value if d.lower()[:3] not in WEEKDAYS]
        if bad:
            raise ValueError(f"unknown day(s) {bad}; use mon, tue, wed, thu, fri, sat, sun")
        return [d.lower()[:3] for d in value]

    @model_validator(mode="after")
    def _workable(self) -> HoursPolicy:
        if self.start >= self.end:
            raise ValueError("start must be before end (for example start 09:00, end 17:00)")
        if not self.days:
            raise ValueError("give at least one working day")
        if self.start.tzinfo or self.end.tzinfo:
            raise ValueError("times are local to the register's timezone; leave out offsets")
        return self


Contact = Literal["owner", "line-manager", "senior", "chair"]


class LadderStage(BaseModel):
    """One step of the escalation ladder."""

    model_config = ConfigDict(extra="forbid")

    after_working_days: int = Field(ge=1, le=60)
    contact: Contact


def _default_ladder() -> list[LadderStage]:
    # Lincolnshire's joint protocol shape (DOMAIN.md, E2): the owner the day
    # after the due date, then line manager, senior contact, the DSR chair.
    return [
        LadderStage(after_working_days=1, contact="owner"),
        LadderStage(after_working_days=2, contact="line-manager"),
        LadderStage(after_working_days=5, contact="senior"),
        LadderStage(after_working_days=2, contact="chair"),
    ]


class ReviewPolicy(BaseModel):
    """When reviews and their follow-ups fall due (DOMAIN.md C1, C3, C8)."""

    model_config = ConfigDict(extra="forbid")

    inpatient_months_child: int = Field(3, ge=1, le=24)
    inpatient_months_adult: int = Field(6, ge=1, le=24)
    inpatient_months_adult_secure: int = Field(12, ge=1, le=36)
    post_admission_working_days: int = Field(5, ge=1, le=30)
    report_working_days: int = Field(10, ge=1, le=60)


# Register changes that a young person's own keyworker may make, where the
# policy allows it (DSR chairs and admins always may).
KeyworkerMay = Literal[
    "rate",
    "admit",
    "discharge",
    "transition",
    "keyworker",
    "remove",
    "step-down",
    "outcome",
    "visit",
]


def _keyworker_may() -> list[KeyworkerMay]:
    return ["rate", "admit", "discharge", "transition"]


class RegisterPolicy(BaseModel):
    """Rules of the DSR register (DOMAIN.md D4, section 7 item 2)."""

    model_config = ConfigDict(extra="forbid")

    # A Red rating asks the DSR chair for a C(E)TR unless one was held this recently…
    red_cetr_window_weeks: int = Field(13, ge=1, le=104)
    # …due this many working days after the rating.
    red_cetr_working_days: int = Field(10, ge=1, le=60)
    # Flags: a rating not reviewed for this long; turning 18 within this many
    # months; an open action at this escalation stage or higher.
    rating_review_weeks: int = Field(4, ge=1, le=52)
    # Out-of-area inpatients: the commissioner visits every so many weeks
    # (DOMAIN.md C4: 6 for children, 8 for adults).
    visit_weeks_child: int = Field(6, ge=1, le=52)
    visit_weeks_adult: int = Field(8, ge=1, le=52)
    transition_warning_months: int = Field(6, ge=1, le=24)
    flag_escalation_stage: int = Field(3, ge=1, le=8)
    # The weekly DSR review meeting and its agenda: posted on agenda_day at
    # agenda_at (local time) for the meeting that week, to agenda_channel
    # ("slack:C0123ABC", "console:dsr-review"), or to the DSR chair directly.
    meeting_day: str = "mon"
    # A meeting that falls on a day that is not a working day (a bank holiday,
    # or a day outside service_hours.days) moves: to the next working day, the
    # previous one, or stays where it is ("same-day").
    meeting_on_non_working_day: Literal["next-working-day", "previous-working-day", "same-day"] = (
        "next-working-day"
    )
    agenda_day: str = "mon"
    agenda_at: time = time(9, 30)
    agenda_channel: str | None = None
    keyworker_target_percent: int = Field(90, ge=1, le=100)
    step_down_green_weeks: int = Field(8, ge=1, le=52)
    reviews_ahead_weeks: int = Field(4, ge=1, le=26)
    # Quarterly reports: an admission within this many months of a discharge
    # is a readmission; a keyworker with more than caseload_limit young
    # people is flagged.
    readmission_months: int = Field(12, ge=1, le=60)
    caseload_limit: int = Field(20, ge=1, le=200)
    # What a young person's own keyworker may change on the register.
    keyworker_may: list[KeyworkerMay] = Field(default_factory=_keyworker_may)
    # A new register reference must match this (a regular expression, matched
    # against the whole reference as typed): pseudonymous references only, so
    # letters then digits (DSR-0042, KM-1234), never a name or a date of birth.
    reference_pattern: str = r"[A-Z]{1,6}-?[0-9]{3,9}"
    # How far back `--on DATE` (and the date of an admission) may record
    # something that happened earlier; an admission further back needs --confirm.
    backdate_months: int = Field(24, ge=1, le=120)
    # Consent is re-checked this often (from the consent date or the last
    # `/dsr consent REF reviewed`): a flag on the agenda and a reminder to
    # the keyworker when it is due.
    consent_review_months: int = Field(12, ge=1, le=60)

    @field_validator("reference_pattern")
    @classmethod
    def _reference_pattern(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression ({exc})") from None
        return value

    @field_validator("agenda_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value and ":" not in value.strip(":"):
            raise ValueError('give the platform and the channel, e.g. "slack:C0123ABC"')
        return value or None

    @field_validator("meeting_day", "agenda_day")
    @classmethod
    def _meeting_day(cls, value: str) -> str:
        day = value.lower()[:3]
        if day not in WEEKDAYS:
            raise ValueError("use mon, tue, wed, thu, fri, sat or sun")
        return day


class JobsPolicy(BaseModel):
    """When the scheduled jobs run (local time, on working days)."""

    model_config = ConfigDict(extra="forbid")

    reminders_at: time = time(9, 0)
    chase_at: time = time(9, 30)
    # Records past retention are erased on the first Monday of each month; the
    # chat copies of transferred networks are taken back daily at the same time.
    purge_at: time = time(7, 0)


class TeamsPolicy(BaseModel):
    """How Teamaround builds network spaces in Microsoft Teams.

    ``group-chat`` (default): a group chat of the network's members, with the
    app installed and the network card pinned. ``private-channel``: a private
    channel in ``team_id`` (bots in private channels are a Microsoft preview).
    ``channel``: a standard channel in ``team_id``, a team kept for networks
    (everyone in that team can read every channel).
    """

    model_config = ConfigDict(extra="forbid")

    spaces: Literal["group-chat", "private-channel", "channel"] = "group-chat"
    # The team's Microsoft Graph group id (needed for the two channel modes).
    team_id: str | None = None
    # Who owns new private channels (Graph requires an owner); default: the
    # network's first member.
    channel_owner: str | None = None
    # The Bot Connector address for conversations we start before Teams has
    # sent us anything from them; every inbound activity's own address wins.
    service_url: str = "https://smba.trafficmanager.net/uk/"

    @model_validator(mode="after")
    def _team_for_channels(self) -> TeamsPolicy:
        if self.spaces != "group-chat" and not self.team_id:
            raise ValueError(f"spaces: {self.spaces} needs team_id, the team's Graph group id")
        return self


Band = Literal["under-18", "18-25"]


def _both_bands() -> list[Band]:
    return ["under-18", "18-25"]


class ReportPolicy(BaseModel):
    """The quarterly keyworking return (``teamaround report quarterly``)."""

    model_config = ConfigDict(extra="forbid")

    # The age bands the keyworking service covers: a band left out reads N/A
    # in the return's tables (NHS England's return has both columns).
    bands: list[Band] = Field(default_factory=_both_bands, min_length=1)
    # The workforce table's rows name each post's holder by their initials
    # (as returns do) or by their name.
    workforce_names: Literal["initials", "names"] = "initials"

    @field_validator("bands")
    @classmethod
    def _bands(cls, value: list[Band]) -> list[Band]:
        if len(set(value)) != len(value):
            raise ValueError("give each band once: under-18, 18-25")
        return value


class Post(BaseModel):
    """One keyworking post: its role and who holds it. A post nobody holds is
    vacant; its employer, grade and part-time may be given here (a holder's
    come from the directory unless given)."""

    model_config = ConfigDict(extra="forbid")

    role: str = Field(min_length=1, max_length=120)
    person: str | None = None  # the holder's email, as in the directory; empty: vacant
    since: date | None = None  # in post since: a new starter in the quarter this falls in
    employer: EmployerKind | None = None
    grade: str | None = Field(None, max_length=40)
    part_time: bool | None = None

    @field_validator("person")
    @classmethod
    def _person(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        email = value.strip().lower()
        if "@" not in email:
            raise ValueError("the holder is named by their email, as in the directory")
        return email

    @field_validator("employer", mode="before")
    @classmethod
    def _employer(cls, value: object) -> object:
        if value is None or value == "":
            return None
        kind = employer_kind(str(value))
        if kind is None:
            raise ValueError(f"unknown employer {value!r}; use {EMPLOYER_WORDS}")
        return kind


class RetentionPolicy(BaseModel):
    """How long records are kept (``teamaround records purge``, monthly).

    The defaults follow the Records Management Code of Practice 2021 (NHSX,
    now NHS England), Appendix II: children's records until the 25th
    birthday (26th if 17 when care ended), mental health records 20 years
    after care ended. A young person's records (their register entry, their
    networks, actions, reviews) are kept ``years_after_leaving`` after they
    left the register, and at least until ``until_age`` where the month they
    turn 18 is known. Chat copies go sooner: ``chat_copies_days_after_transfer``
    days after the case record is transferred and their network is closed.
    """

    model_config = ConfigDict(extra="forbid")

    years_after_leaving: int = Field(20, ge=1, le=100)
    until_age: int = Field(25, ge=18, le=100)
    chat_copies_days_after_transfer: int = Field(30, ge=0, le=3650)


class EmailPolicy(BaseModel):
    """Email to people outside the chat platforms (and those who prefer it).

    ``content: link-only`` (the default, after NHS guidance on email): the
    body holds the link to the one-action page and the due date, never the
    action's text; ``full`` adds the message as chat would show it. Subjects
    never hold more than the young person's pseudonymous reference. A link
    works for ``link_days`` days (and never once the action is closed, the
    person has left or the keyworker revoked it).
    """

    model_config = ConfigDict(extra="forbid")

    content: Literal["link-only", "full"] = "link-only"
    link_days: int = Field(14, ge=1, le=90)


class MembershipReviewPolicy(BaseModel):
    """Need-to-know spaces are reviewed for movers and leavers: every
    ``every_weeks`` each open network's keyworker is asked, in one message,
    about members with no activity there for ``inactive_days`` and members
    who have left the directory. A network not reviewed for twice the
    interval is flagged on the agenda."""

    model_config = ConfigDict(extra="forbid")

    every_weeks: int = Field(8, ge=1, le=52)
    inactive_days: int = Field(90, ge=7, le=730)


class Policy(BaseModel):
    """One register's policy. See ``policy.example.yaml`` for every field."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    register_name: str = Field("Default register", alias="register")
    area: str = ""
    timezone: str = "Europe/London"
    service_hours: HoursPolicy = Field(default_factory=HoursPolicy)
    channel_pattern: str = "yp-{ref}"
    max_action_text: int = Field(500, ge=20, le=2000)
    reminder_working_days_before: int = Field(2, ge=0, le=20)
    ladder: list[LadderStage] = Field(default_factory=_default_ladder, min_length=1, max_length=8)
    snooze_max_working_days: int = Field(5, ge=0, le=20)
    # Stage "chair": who the DSR chair is. Empty: everyone in the directory
    # whose role names them a chair.
    chair_email: str | None = None
    reviews: ReviewPolicy = Field(default_factory=ReviewPolicy)
    register_rules: RegisterPolicy = Field(default_factory=RegisterPolicy)
    jobs: JobsPolicy = Field(default_factory=JobsPolicy)
    teams: TeamsPolicy = Field(default_factory=TeamsPolicy)
    report: ReportPolicy = Field(default_factory=ReportPolicy)
    retention: RetentionPolicy = Field(default_factory=RetentionPolicy)
    membership_review: MembershipReviewPolicy = Field(default_factory=MembershipReviewPolicy)
    # The keyworking service's posts, for the return's workforce table (empty:
    # one row per keyworker in the directory, and no vacant posts known).
    workforce: list[Post] = Field(default_factory=list)

    @field_validator("workforce")
    @classmethod
    def _one_post_each(cls, value: list[Post]) -> list[Post]:
        held = [post.person for post in value if post.person]
        twice = sorted({email for email in held if held.count(email) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} holds more than one post; list each person once")
        return value

    email: EmailPolicy = Field(default_factory=EmailPolicy)

    @field_validator("channel_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        if "{ref}" not in value:
            raise ValueError("must contain {ref}, the young person's reference")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}; for England use Europe/London") from None
        return value

    def calendar(self) -> WorkingCalendar:
        hours = ServiceHours(
            start=self.service_hours.start,
            end=self.service_hours.end,
            weekdays=frozenset(WEEKDAYS.index(d) for d in self.service_hours.days),
        )
        return WorkingCalendar(timezone=self.timezone, hours=hours)


def load_policy(path: Path | None) -> Policy:
    """Read and validate a policy file; the error names the field at fault."""
    if path is None:
        return Policy()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"TEAMAROUND_CONFIG: cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"TEAMAROUND_CONFIG: {path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"TEAMAROUND_CONFIG: {path} must hold a mapping of settings")
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise ConfigError(f"TEAMAROUND_CONFIG: {path} has problems:\n" + "\n".join(lines)) from None
