"""Pure renderers for the DSR register: replies, an entry, the list, help."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.calendar import WorkingCalendar
from bot.dates import format_day_year, format_numeric
from bot.messages import (
    BulletList,
    Context,
    Fact,
    Header,
    Message,
    Section,
    plain,
    record_card,
)
from bot.policy import Policy
from commands import catalogue
from commands.dsr.consent import Withdrawn
from commands.dsr.entries import LIST_LINES, Entry, Line
from commands.dsr.grammar import CONSENT_LABEL
from commands.dsr.outcomes import OutcomeRecorded
from commands.dsr.register import FollowUp, KeyworkerSet, SteppedDown
from commands.dsr.support import SupportRecorded
from commands.vocabulary import RATING_LABEL
from store.models import Admission, Meeting, Network, Person, YoungPerson

AGE_BAND_LABEL = {"under-18": "under 18", "18-25": "18–25"}
# Who rated someone when the register's history was brought in (an import,
# or migration 0005's backfill): nobody Teamaround knew of.
BEFORE_TEAMAROUND = "recorded before Teamaround"


def rating_label(rating: str | None) -> str:
    return RATING_LABEL.get(rating or "", "not rated yet")


def _day(day: date, *, today: date) -> str:
    return f"{format_day_year(day, today=today)} ({format_numeric(day)})"


def _follow_up_lines(follow_up: FollowUp, *, today: date) -> list[str]:
    lines = []
    if follow_up.action is not None:
        action = follow_up.action
        lines.append(
            f"Action #{action.id} “{action.text}” is with {action.owner.name}, due "
            f"{format_day_year(action.due_date, today=today)}."
        )
    lines.extend(follow_up.notes)
    return lines


def _with_follow_ups(first: str, follow_up: FollowUp, *, today: date) -> Message:
    lines = [first, *_follow_up_lines(follow_up, today=today)]
    warned = any("couldn't" in note or "no keyworker" in note for note in follow_up.notes)
    return Message(
        text="\n".join(lines),
        blocks=tuple(Section(text=line) for line in lines),
        tone="warning" if warned else "success",
    )


def added(young_person: YoungPerson, *, today: date, calendar: WorkingCalendar) -> Message:
    ehcp = ", with an EHCP" if young_person.ehcp else ""
    joined = calendar.local_date(young_person.created_at)
    since = f" (on the register since {_day(joined, today=today)})" if joined != today else ""
    text = (
        f"Added {young_person.reference} to the register{since}: "
        f"{AGE_BAND_LABEL[young_person.age_band]}{ehcp}; "
        f"{CONSENT_LABEL[young_person.consent_basis]} recorded on "
        f"{format_numeric(young_person.consent_date)}. "
        f'Rate them next: /dsr rate {young_person.reference} red|amber|green|blue "why"'
    )
    return plain(text, tone="success")


def rated(young_person: YoungPerson, follow_up: FollowUp, *, rating: str, today: date) -> Message:
    ref = young_person.reference
    if follow_up.superseded_on is not None and follow_up.on is not None:
        return plain(
            f"Recorded {ref} as rated {rating_label(rating)} on {_day(follow_up.on, today=today)}"
            f" in their history. A later rating ({format_numeric(follow_up.superseded_on)}) "
            f"stays their current one: {rating_label(young_person.rating)}.",
            tone="success",
        )
    first = f"{ref} is now rated {rating_label(young_person.rating)}."
    if follow_up.on is not None and follow_up.on != today:
        first = (
            f"{ref} is rated {rating_label(young_person.rating)} since "
            f"{_day(follow_up.on, today=today)}."
        )
    return _with_follow_ups(first, follow_up, today=today)


def admitted(
    young_person: YoungPerson, admission: Admission, follow_up: FollowUp, *, today: date
) -> Message:
    where = f"{admission.setting}{' (out of area)' if admission.out_of_area else ''}"
    first = (
        f"{young_person.reference} admitted to {where} on "
        f"{_day(admission.admitted_on, today=today)}; now rated Blue."
    )
    if follow_up.action is not None:
        action = follow_up.action
        lines = [
            first,
            f"Post-admission review: action #{action.id} with {action.owner.name}, due "
            f"{format_day_year(action.due_date, today=today)}.",
            *follow_up.notes,
        ]
        return Message(
            text="\n".join(lines),
            blocks=tuple(Section(text=line) for line in lines),
            tone="success",
        )
    return _with_follow_ups(first, follow_up, today=today)


def discharged(young_person: YoungPerson, admission: Admission, *, today: date) -> Message:
    assert admission.discharged_on is not None
    days = (admission.discharged_on - admission.admitted_on).days
    ref = young_person.reference
    plural = "s" if days != 1 else ""
    text = (
        f"{ref} discharged from {admission.setting} on "
        f"{_day(admission.discharged_on, today=today)}, after {days} day{plural}. "
        f"They are still rated {rating_label(young_person.rating)}: please give a new rating, "
        f'for example /dsr rate {ref} amber "Home with support from the crisis team"'
    )
    return plain(text, tone="warning")


def keyworker_set(done: KeyworkerSet, person: Person, *, today: date) -> Message:
    ref, network = done.young_person.reference, done.network
    if done.superseded_on is not None and done.on is not None:
        return plain(
            f"Recorded {person.name} as {ref}'s keyworker from {_day(done.on, today=today)} "
            f"until the next change on {format_numeric(done.superseded_on)}, in their history.",
            tone="success",
        )
    text = f"{person.name} is now {ref}'s keyworker"
    if done.on is not None and done.on != today:
        text = f"{person.name} is {ref}'s keyworker since {_day(done.on, today=today)}"
    if network is not None:
        text += f", here and in #{network.space_name}"
    return plain(text + ".", tone="success")


def transition_set(young_person: YoungPerson) -> Message:
    month = young_person.transition_month
    assert month is not None
    return plain(
        f"{young_person.reference} turns 18 in {month.strftime('%B %Y')} "
        f"({month.month:02d}/{month.year}).",
        tone="success",
    )


def removed(young_person: YoungPerson, network: Network | None) -> Message:
    text = (
        f"{young_person.reference} is removed from the register ({young_person.archive_reason}). "
        "Their history is kept."
    )
    if network is not None:
        text += (
            f" Their network #{network.space_name} is still open: close it from there once "
            "its actions are finished (see /network help)."
        )
    return plain(text, tone="success")


def consent_withdrawn(done: Withdrawn) -> Message:
    yp = done.young_person
    assert yp.left_on is not None
    text = (
        f"Consent withdrawn: {yp.reference} left the register on {format_numeric(yp.left_on)}. "
        "Nothing more is processed for them except keeping the record for its retention."
    )
    if done.network is not None:
        text += f" Their network #{done.network.space_name} is closed and its members told" + (
            f"; {done.cancelled} open action{'s' if done.cancelled != 1 else ''} cancelled, "
            "so nobody is chased."
            if done.cancelled
            else "."
        )
    return plain(text, tone="success")


def consent_reviewed(young_person: YoungPerson, *, next_due: date | None) -> Message:
    assert young_person.consent_reviewed_on is not None
    text = (
        f"Recorded: {young_person.reference}'s consent re-checked on "
        f"{format_numeric(young_person.consent_reviewed_on)} "
        f"({CONSENT_LABEL.get(young_person.consent_basis, young_person.consent_basis)})."
    )
    if next_due is not None:
        text += f" The next re-check is due by {format_numeric(next_due)}."
    return plain(text, tone="success")


def stepped_down(done: SteppedDown) -> Message:
    yp = done.young_person
    assert yp.left_on is not None
    credit = (
        f" It counts towards {done.keyworker.name}'s step-downs this quarter."
        if done.keyworker
        else " They had no keyworker recorded, so it is not credited to anyone."
    )
    text = (
        f"{yp.reference} stepped down on {format_numeric(yp.left_on)}: outcomes met, keyworking "
        f"support ended, and they are off the register (their history is kept).{credit}"
    )
    if done.network is not None:
        text += (
            f" Their network #{done.network.space_name} is still open: close it from there once "
            "its actions are finished (see /network help)."
        )
    text += " If they need support again, add them with a new reference (/dsr add …)."
    return plain(text, tone="success")


def support_recorded(done: SupportRecorded, *, today: date) -> Message:
    yp = done.young_person
    ref = yp.reference
    since = "" if done.on == today else f" (from {format_numeric(done.on)})"
    if done.kind is None:
        who = f" with {done.keyworker.name}" if done.keyworker else ""
        text = (
            f"{ref}'s preventive keyworking support{who} ended{since}. It is counted in this "
            "quarter's return as preventive support; it is not a step-down."
        )
        if done.network is not None:
            text += (
                f" Their network #{done.network.space_name} is still open: close it from there "
                "once its actions are finished (see /network help)."
            )
        return plain(text, tone="success")
    keyworker = done.keyworker.name if done.keyworker else "nobody"
    if yp.preventive_only:
        where = (
            f"{ref} isn't on the DSR: they are counted in the quarterly return's preventive "
            "support, never on the DSR."
        )
        if done.new:
            where = (
                f"{ref} is recorded for preventive support only "
                f"({AGE_BAND_LABEL[yp.age_band]}; {CONSENT_LABEL[yp.consent_basis]} recorded on "
                f"{format_numeric(yp.consent_date)}), not on the DSR: they are counted in the "
                "quarterly return's preventive support, never on the DSR."
            )
    else:
        where = f"{ref} ({rating_label(yp.rating)}) is counted in the return's preventive support."
    text = f"{ref} is receiving preventive keyworking support from {keyworker}{since}. {where}"
    if done.network is None:
        text += f" Their network, when they need one: /network open {ref}"
    return plain(text, tone="success")


def entry(found: Entry, *, today: date, calendar: WorkingCalendar) -> Message:
    yp = found.young_person
    rating = rating_label(yp.rating)
    if yp.rated_at is not None:
        rating += f" since {_day(calendar.local_date(yp.rated_at), today=today)}"
    consent = f"{CONSENT_LABEL[yp.consent_basis]}, {format_numeric(yp.consent_date)}"
    if found.consent_recorded_by is not None:
        consent += f" (recorded by {found.consent_recorded_by.name})"
    facts = [
        *(
            (Fact(label="On the DSR", value="No: preventive keyworking support only"),)
            if yp.preventive_only
            else ()
        ),
        Fact(label="Age band", value=AGE_BAND_LABEL.get(yp.age_band, yp.age_band)),
        Fact(label="EHCP", value="Yes" if yp.ehcp else "No"),
        Fact(label="Consent", value=consent),
        Fact(label="Rating", value=rating),
        Fact(label="Keyworker", value=found.keyworker.name if found.keyworker else "none"),
    ]
    if yp.preventive_only:
        facts = [f for f in facts if f.label != "Rating"]
    if yp.support is not None and found.support_since is not None:
        facts.append(
            Fact(label="Support", value=f"preventive, since {format_numeric(found.support_since)}")
        )
    admission = found.admission
    if admission is not None:
        days = (today - admission.admitted_on).days
        out = ", out of area" if admission.out_of_area else ""
        facts.append(
            Fact(
                label="In hospital",
                value=f"{admission.setting}{out}, since {format_numeric(admission.admitted_on)} "
                f"({days} day{'s' if days != 1 else ''})",
            )
        )
    if yp.transition_month is not None:
        facts.append(Fact(label="Turns 18", value=yp.transition_month.strftime("%B %Y")))
    if found.flags:
        facts.append(Fact(label="Flags", value="; ".join(found.flags)))
    if found.network is not None:
        facts.append(
            Fact(
                label="Network",
                value=f"#{found.network.space_name}, {found.open_actions} open action"
                f"{'s' if found.open_actions != 1 else ''}",
            )
        )
    else:
        facts.append(Fact(label="Network", value="none open"))
    if yp.archived_at is not None:
        left_on = yp.left_on or calendar.local_date(yp.archived_at)
        facts.append(
            Fact(
                label="Stepped down" if yp.leaving_reason == "stepped-down" else "Removed",
                value=f"{format_numeric(left_on)}: {yp.archive_reason or 'no reason given'}",
            )
        )
    title = f"{yp.reference} · " + (
        "preventive support" if yp.preventive_only else rating_label(yp.rating)
    )
    history = tuple(
        f"{format_numeric(calendar.local_date(change.at))} {rating_label(change.rating)} — "
        f"{change.rationale} ({change.actor.name if change.actor else BEFORE_TEAMAROUND})"
        for change in found.history
    ) or ("No rating changes recorded yet.",)
    lists: list[tuple[str, tuple[str, ...]]] = (
        []
        if yp.preventive_only and not found.history
        else [("Rating history, newest first", history)]
    )
    if found.decided:
        lists.append(("Decided at DSR meetings, newest first", found.decided))
    return record_card(title, facts, lists)


def register_list(
    lines: Sequence[Line], total: int, *, only: str | None, own: bool = False
) -> Message:
    """The register, or (``own``) the part a keyworker holds."""
    which = {
        None: "On the register",
        "no-keyworker": "On the register without a keyworker",
        "preventive": "Receiving preventive keyworking support",
    }.get(only, f"Rated {rating_label(only)}")
    if own:
        which = f"{which}, of those you hold" if only else "The young people you hold"
    if not lines and own:
        text = f"{which}: nobody." if only else "You aren't anyone's keyworker on the register."
        hint = "DSR chairs and admins see the whole register."
        return Message(text=f"{text} {hint}", blocks=(Section(text=text), Context(text=hint)))
    if not lines:
        text = f"{which}: nobody." if only else "Nobody is on the register yet."
        hint = "Add someone with /dsr add REF --age-band … --consent … --consent-date …"
        return Message(
            text=f"{text} {hint}" if not only else text,
            blocks=(Section(text=text),) + (() if only else (Context(text=hint),)),
        )
    title = f"{which} ({total})"
    items = tuple(
        f"{line.reference} — "
        + ("not on the DSR" if line.preventive_only else rating_label(line.rating))
        + f" — {line.keyworker or 'no keyworker'}"
        + (f" — {'; '.join(line.flags)}" if line.flags else "")
        for line in lines
    )
    blocks: tuple[Header | BulletList | Context, ...] = (
        Header(text=title),
        BulletList(items=items),
    )
    parts = [title, *items]
    if total > len(lines):
        more = (
            f"Showing the first {LIST_LINES} of {total}; narrow it down with, for example, "
            "/dsr list red or /dsr list no-keyworker."
        )
        parts.append(more)
        blocks += (Context(text=more),)
    return Message(text="\n".join(parts), blocks=blocks)


def agenda_posted(meeting: Meeting, *, posted: bool, policy: Policy, today: date) -> Message:
    when = _day(meeting.meeting_on, today=today)
    if not posted:
        text = (
            f"The agenda for the meeting on {when} was already posted (by {meeting.posted_by}); "
            "I haven't posted it twice."
        )
        return Message(text=text, blocks=(Section(text=text),), tone="warning")
    where = (
        f"to {policy.register_rules.agenda_channel.split(':', 1)[1]}"
        if policy.register_rules.agenda_channel
        else "to the DSR chair by direct message"
    )
    text = f"The agenda for the meeting on {when} is on its way {where}, and kept for the record."
    return Message(text=text, blocks=(Section(text=text),), tone="success")


def outcome_recorded(recorded: OutcomeRecorded, *, today: date) -> Message:
    ref = recorded.young_person.reference
    parts = [
        f"Outcome recorded for {ref} at the meeting on "
        f"{_day(recorded.meeting.meeting_on, today=today)}."
    ]
    if recorded.rated is not None:
        parts.append(f"Now rated {rating_label(recorded.young_person.rating)}.")
        parts += recorded.rated.notes
    if recorded.action is not None:
        action = recorded.action
        parts.append(
            f"Action #{action.id} is with {action.owner.name} ({action.agency.name}), due "
            f"{format_day_year(action.due_date, today=today)}."
        )
    text = " ".join(parts)
    return Message(text=text, blocks=(Section(text=text),), tone="success")


def help_message(policy: Policy) -> Message:
    return catalogue.help_message(catalogue.DSR, policy)
