"""The weekly DSR review agenda, built from what the register already holds.

Pure: ``build`` turns an :class:`AgendaData` snapshot (gathered with a fixed
number of queries by ``commands.dsr.meetings.agenda_data``) into sections, in
the order a DSR meeting runs; ``as_message`` and ``as_markdown`` render them.
One line per young person: reference, rating, keyworker, flags.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.dates import format_day_year, format_numeric
from bot.messages import Block, BulletList, Context, Header, Message
from bot.policy import Policy
from commands.vocabulary import RATING_LABEL


@dataclass(frozen=True)
class Person:
    """One young person as the agenda sees them (by reference only)."""

    reference: str
    rating: str | None
    keyworker: str | None
    flags: tuple[str, ...] = ()
    added_on: date | None = None
    rated_on: date | None = None
    age_band: str = "under-18"
    admitted_on: date | None = None
    setting: str | None = None
    out_of_area: bool = False
    last_review: date | None = None
    next_review: date | None = None
    open_actions: int = 0


@dataclass(frozen=True)
class RatingChange:
    reference: str
    rating: str
    on: date
    rationale: str


@dataclass(frozen=True)
class Escalated:
    agency: str
    action_id: int
    reference: str
    text: str
    owner: str
    stage: int


@dataclass(frozen=True)
class ReviewDue:
    reference: str
    text: str
    due: date


@dataclass(frozen=True)
class AgendaData:
    meeting_on: date
    since: date  # the last meeting (or a week before this one)
    people: Sequence[Person]
    rating_changes: Sequence[RatingChange] = ()
    escalated: Sequence[Escalated] = ()
    reviews_due: Sequence[ReviewDue] = ()
    # The previous meeting whose agenda was posted, and what it decided
    # (one line per outcome recorded against it).
    last_meeting: date | None = None
    decided: Sequence[str] = ()
    area: str = ""  # the policy's `area:`, shown in the heading
    # When the meeting moved off its usual day (a bank holiday): that day, and why.
    moved_from: date | None = None
    why_moved: str | None = None


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[str, ...]
    empty: str = "Nobody."


@dataclass(frozen=True)
class Agenda:
    title: str
    sections: tuple[Section, ...] = field(default_factory=tuple)


def _line(p: Person) -> str:
    rating = RATING_LABEL.get(p.rating or "", "not rated")
    line = f"{p.reference} — {rating} — {p.keyworker or 'no keyworker'}"
    return line + (f" — {'; '.join(p.flags)}" if p.flags else "")


def _blue_line(p: Person, *, today: date) -> str:
    parts = [_line(p)]
    if p.admitted_on is not None:
        days = (today - p.admitted_on).days
        where = f"{p.setting or 'hospital'}{', out of area' if p.out_of_area else ''}"
        parts.append(f"admitted {format_numeric(p.admitted_on)} to {where} ({days} days)")
    last = format_numeric(p.last_review) if p.last_review else "none recorded"
    nxt = format_numeric(p.next_review) if p.next_review else "not scheduled"
    parts.append(f"last review {last}, next {nxt}")
    parts.append(f"{p.open_actions} open action{'s' if p.open_actions != 1 else ''}")
    return "; ".join(parts)


def _order(people: Sequence[Person]) -> list[Person]:
    return sorted(people, key=lambda p: p.reference)


def _percent(part: int, whole: int) -> str:
    return "n/a" if whole == 0 else f"{round(100 * part / whole)}%"


def build(data: AgendaData, *, today: date, policy: Policy) -> Agenda:
    rules = policy.register_rules
    since = data.since
    people = _order(data.people)
    stale = today - timedelta(weeks=rules.rating_review_weeks)
    green_since = today - timedelta(weeks=rules.step_down_green_weeks)
    horizon = today + timedelta(weeks=rules.reviews_ahead_weeks)

    new = [p for p in people if p.added_on is not None and p.added_on > since]
    blue = [p for p in people if p.rating == "blue"]
    red = [p for p in people if p.rating == "red"]
    amber_due = [
        p for p in people if p.rating == "amber" and (p.rated_on is None or p.rated_on <= stale)
    ]
    step_down = [
        p
        for p in people
        if p.rating == "green"
        and p.rated_on is not None
        and p.rated_on <= green_since
        and p.open_actions == 0
    ]
    changes = tuple(
        f"{c.reference}: now {RATING_LABEL.get(c.rating, c.rating)} "
        f"({format_numeric(c.on)}) — {c.rationale}"
        for c in sorted(data.rating_changes, key=lambda c: (c.on, c.reference))
    )
    by_agency: dict[str, list[Escalated]] = defaultdict(list)
    for item in data.escalated:
        by_agency[item.agency].append(item)
    escalated = tuple(
        f"{agency}: "
        + "; ".join(
            f"#{e.action_id} {e.text} ({e.reference}, {e.owner}) at stage {e.stage}"
            for e in sorted(items, key=lambda e: (-e.stage, e.action_id))
        )
        for agency, items in sorted(by_agency.items())
    )
    reviews = tuple(
        f"{r.reference} — {r.text} — due {format_numeric(r.due)}"
        + (" (overdue)" if r.due < today else "")
        for r in sorted(data.reviews_due, key=lambda r: (r.due, r.reference))
        if r.due <= horizon
    )
    needing = [p for p in people if p.rating in ("red", "amber")]
    covered = [p for p in needing if p.keyworker]
    inpatients = [p for p in blue if p.keyworker]
    coverage = (
        f"Red and Amber with a named keyworker: {len(covered)} of {len(needing)} "
        f"({_percent(len(covered), len(needing))}; target {rules.keyworker_target_percent}%)",
        f"In hospital (Blue) with a named keyworker: {len(inpatients)} of {len(blue)} "
        f"({_percent(len(inpatients), len(blue))})",
    )
    last: tuple[Section, ...] = ()
    if data.last_meeting is not None:
        last = (
            Section(
                f"Last meeting ({format_day_year(data.last_meeting, today=today)}) decided",
                tuple(data.decided),
                empty="No outcomes were recorded.",
            ),
        )
    sections = (
        *last,
        Section(f"New to the register since {format_numeric(since)}", tuple(map(_line, new))),
        Section("Blue: in hospital", tuple(_blue_line(p, today=today) for p in blue)),
        Section("Red", tuple(map(_line, red))),
        Section(
            f"Amber due review (rating not reviewed for {rules.rating_review_weeks} weeks)",
            tuple(map(_line, amber_due)),
        ),
        Section(f"Rating changes since {format_numeric(since)}", changes, empty="None."),
        Section("Escalated actions by agency (stage 2 and above)", escalated, empty="None."),
        Section(
            f"Reviews due in the next {rules.reviews_ahead_weeks} weeks or overdue",
            reviews,
            empty="None.",
        ),
        Section("Keyworker coverage", coverage),
        Section(
            f"Proposed step-downs (Green for {rules.step_down_green_weeks} weeks, nothing open)",
            tuple(map(_line, step_down)),
        ),
        Section("Any other business", (), empty="—"),
    )
    area = f" — {data.area}" if data.area else ""
    title = f"DSR review agenda{area} — {format_day_year(data.meeting_on, today=today)}"
    if data.moved_from is not None:
        usual = format_day_year(data.moved_from, today=today)
        moved = f"Moved from {usual}: {data.why_moved or 'it is not a working day'}."
        return Agenda(title=title, sections=(Section("Date", (moved,)), *sections))
    return Agenda(title=title, sections=sections)


def as_message(agenda: Agenda) -> Message:
    blocks: list[Block] = [Header(text=agenda.title)]
    text = [agenda.title]
    for section in agenda.sections:
        blocks.append(Header(text=section.title))
        if section.lines:
            blocks.append(BulletList(items=section.lines))
        else:
            blocks.append(Context(text=section.empty))
        text += [section.title, *(section.lines or (section.empty,))]
    blocks.append(
        Context(text="References only: no names, dates of birth or NHS numbers in this agenda.")
    )
    return Message(text="\n".join(text), blocks=tuple(blocks))


def as_markdown(agenda: Agenda) -> str:
    out = [f"# {agenda.title}", ""]
    for section in agenda.sections:
        out += [f"## {section.title}", ""]
        out += [f"- {line}" for line in section.lines] or [section.empty]
        out.append("")
    out.append("_References only: no names, dates of birth or NHS numbers in this agenda._")
    return "\n".join(out) + "\n"


def as_messages(agenda: Agenda, *, lines_per_message: int = 40) -> list[Message]:
    """The agenda as chat messages that fit every platform's limits: sections
    in order, a long section split across messages, at most
    ``lines_per_message`` lines (and so a few dozen blocks) in each."""
    messages: list[Message] = []
    blocks: list[Block] = [Header(text=agenda.title)]
    text: list[str] = [agenda.title]
    used = 0

    def flush() -> None:
        nonlocal blocks, text, used
        messages.append(Message(text="\n".join(text), blocks=tuple(blocks)))
        blocks, text, used = [], [], 0

    for section in agenda.sections:
        lines = list(section.lines)
        first = True
        while first or lines:
            if used >= lines_per_message or len(blocks) >= 40:
                flush()
            room = max(1, lines_per_message - used)
            part, lines = lines[:room], lines[room:]
            title = section.title if first else f"{section.title} (continued)"
            blocks.append(Header(text=title))
            blocks.append(BulletList(items=tuple(part)) if part else Context(text=section.empty))
            text += [title, *(part or [section.empty])]
            used += max(1, len(part))
            first = False
    blocks.append(
        Context(text="References only: no names, dates of birth or NHS numbers in this agenda.")
    )
    flush()
    return messages
