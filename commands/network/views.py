"""Pure renderers for networks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from bot.calendar import WorkingCalendar
from bot.dates import format_day_year
from bot.messages import BulletList, Context, Fact, Facts, Header, Message, Section
from bot.policy import Policy
from commands import catalogue
from commands.vocabulary import RATING_LABEL
from store.models import Network, NetworkMember

CLOSE_REASON = {
    "stepped-down": "stepped down",
    "moved": "moved away",
    "consent-withdrawn": "consent withdrawn",
    "other": "other",
}


def member_line(member: NetworkMember, network: Network) -> str:
    person = member.person
    role = member.role or person.role
    tags = []
    if network.keyworker_id == person.id:
        tags.append("keyworker")
    suffix = f" — {', '.join(tags)}" if tags else ""
    role_part = f", {role}" if role else ""
    return f"{person.name} ({person.agency.name}{role_part}){suffix}"


def network_card(
    network: Network,
    members: Sequence[NetworkMember],
    *,
    open_actions: int,
    overdue: int,
    today: date,
    calendar: WorkingCalendar | None = None,
    next_review: date | None = None,
) -> Message:
    yp = network.young_person
    opened = (
        calendar.local_date(network.opened_at)
        if calendar
        else network.opened_at.astimezone(ZoneInfo("Europe/London")).date()
    )
    rating = RATING_LABEL.get(yp.rating or "", "not rated")
    keyworker = network.keyworker.name if network.keyworker else "none named yet"
    status = "Open" if network.status == "open" else "Closed"
    actions = f"{open_actions} open" + (f", {overdue} overdue" if overdue else "")
    lines = tuple(member_line(m, network) for m in members)
    blocks = (
        Header(text=f"{yp.reference} · network ({status.lower()})"),
        Facts(
            facts=(
                Fact(label="Rating", value=rating),
                Fact(label="Keyworker", value=keyworker),
                Fact(label="Open actions", value=actions),
                Fact(
                    label="Next review",
                    value=format_day_year(next_review, today=today)
                    if next_review
                    else "not scheduled",
                ),
            )
        ),
        Section(text=f"Who is involved ({len(lines)}):"),
        BulletList(items=lines or ("nobody yet",)),
        Context(
            text=f"Opened {format_day_year(opened, today=today)} · "
            "reference only: no names, dates of birth or NHS numbers here."
        ),
    )
    text = (
        f"{yp.reference} network: rating {rating}, keyworker {keyworker}, "
        f"{len(lines)} people, {actions} actions"
    )
    return Message(text=text, blocks=blocks)


def topic(network: Network) -> str:
    yp = network.young_person
    keyworker = network.keyworker.name if network.keyworker else "no keyworker yet"
    rating = RATING_LABEL.get(yp.rating or "", "not rated")
    return f"{yp.reference} · {rating} · keyworker: {keyworker}"


def closing_summary(network: Network, *, done: int, cancelled: int) -> Message:
    reason = CLOSE_REASON.get(network.close_reason or "", network.close_reason or "")
    text = (
        f"This network for {network.young_person.reference} is now closed ({reason}): "
        f"{network.close_note}. {done} actions were completed and {cancelled} cancelled. "
        "Remember to transfer any decisions to the case record."
    )
    return Message(text=text, blocks=(Header(text="Network closed"), Section(text=text)))


def added_dm(network: Network, *, by: str) -> Message:
    text = (
        f"{by} added you to the network for {network.young_person.reference} "
        f"(#{network.space_name}). Type /action list mine to see anything you own."
    )
    return Message(text=text, blocks=(Section(text=text),))


def removed_dm(network: Network, *, by: str) -> Message:
    text = (
        f"{by} took you out of the network for {network.young_person.reference} "
        f"(#{network.space_name}). If that is a mistake, ask them or a DSR chair."
    )
    return Message(text=text, blocks=(Section(text=text),))


def displaced_dm(network: Network, *, by: str, keyworker: str) -> Message:
    text = (
        f"{by} named {keyworker} the keyworker for {network.young_person.reference} "
        f"(#{network.space_name}) in your place. You are still a member of the network. "
        "If that is a mistake, ask them or a DSR chair."
    )
    return Message(text=text, blocks=(Section(text=text),))


def joined_for_action_dm(network: Network, *, person: object, by: str, action_id: int) -> Message:
    name = getattr(person, "name", "Someone")
    agency = getattr(getattr(person, "agency", None), "name", "")
    text = (
        f"{by}, to whom action #{action_id} was escalated, gave it to {name} ({agency}), "
        f"who has joined the network for {network.young_person.reference} to carry it out."
    )
    return Message(text=text, blocks=(Section(text=text),))


def help_message(policy: Policy) -> Message:
    return catalogue.help_message(catalogue.NETWORK, policy)
