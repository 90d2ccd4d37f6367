"""The one-action page: what someone reached by email sees and does through
the link in it (``GET/POST /a/{token}``).

The link (``bot.links``) names one person and one action. It works while it
is younger than the policy's ``email.link_days``, the action is open, the
person is in the directory and the keyworker has not revoked it; anything
else is refused with a plain page saying why and whom to ask, and changes
nothing. Everything the page shows and does goes through the same services
and permissions as the chat commands (``commands.action.service``,
``commands.authority``), in a unit of work whose caller is that person, so
the card in the network's space is edited, the trail and the audit log say
it was done "by email link", and an escalation contact's access is their
grant, as in chat. Every view is audited. A form needs the page's CSRF
token, whose nonce also keys the submission: a double click acts once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from bot.dates import DateParseError, format_day_year, parse_due_date
from bot.errors import UserError
from bot.invocation import Actor, Conversation
from bot.links import LinkClaims, LinkSigner
from bot.messages import Fact
from bot.pages import Choice, Field, Form, Page, refusal
from commands.action import service, views
from commands.authority import Role, Verb, for_action
from commands.context import AlreadyHandled, Services, Unit, unit_of_work
from store import audit
from store.models import Action, LinkRevocation, Person

VIA = "email link"
FORMS = ("done", "update", "propose", "reassign")


@dataclass(frozen=True)
class Opened:
    """A link that checks out: its claims, the action and the person."""

    claims: LinkClaims
    action: Action
    person: Person


def _whom_to_ask(action: Action | None) -> str:
    keyworker = action.network.keyworker if action is not None else None
    if keyworker is not None:
        return f"Ask {keyworker.name}, the keyworker ({keyworker.email})."
    return "Ask your area's keyworking service."


async def _open(
    services: Services, signer: LinkSigner, token: str, *, closed_ok: bool = False
) -> Opened | Page:
    """The link's action and person, or the refusal page (nothing written).
    ``closed_ok``: the page right after the person closed it themselves."""
    claims = signer.read(token)
    if claims is None:
        return refusal(
            title="This link doesn't work",
            why="It isn't a link Teamaround made: it may have been copied incompletely.",
            ask="Open it again from the email, or ask your area's keyworking service.",
            status=404,
        )
    now = services.clock.now()
    async with services.db.reader() as session:
        action = await session.get(Action, claims.action_id)
        person = await session.get(Person, claims.person_id)
        revoked = await session.scalar(
            select(LinkRevocation.id)
            .where(
                LinkRevocation.action_id == claims.action_id,
                LinkRevocation.person_id == claims.person_id,
                LinkRevocation.revoked_at >= claims.issued_at,
            )
            .limit(1)
        )
        if action is None or person is None:
            return refusal(
                title="This link doesn't work",
                why="The action it was for no longer exists.",
                ask="Ask your area's keyworking service.",
                status=404,
            )
        ask = _whom_to_ask(action)
        days = services.policy.email.link_days
        if claims.issued_at + timedelta(days=days) < now:
            return refusal(
                title="This link has expired",
                why=f"Links in Teamaround's emails work for {days} days, and this one is older.",
                ask=f"The next email about action #{action.id} will carry a new link. {ask}",
                status=410,
            )
        if revoked is not None:
            return refusal(
                title="This link has been stopped",
                why=f"The keyworker stopped the links to action #{action.id} sent to you.",
                ask=ask,
                status=403,
            )
        if not person.active:
            return refusal(
                title="This link no longer works",
                why="The directory says you have left, so Teamaround can't act for you.",
                ask=ask,
                status=403,
            )
        if action.status != "open" and not closed_ok:
            closed = services.calendar.local_date(action.closed_at or now)
            return refusal(
                title=f"Action #{action.id} is {views.STATUS_LABEL[action.status].lower()}",
                why=f"It was closed on {format_day_year(closed, today=services.today())}, "
                "so there is nothing more to do here.",
                ask=ask,
                status=410,
            )
        return Opened(claims=claims, action=action, person=person)


def _actor(person: Person) -> Actor:
    return Actor(platform="web", platform_user_id=f"person:{person.id}", email=person.email)


def _conversation(action_id: int) -> Conversation:
    return Conversation(platform="web", conversation_id=f"action:{action_id}")


async def view(
    services: Services,
    signer: LinkSigner,
    *,
    token: str,
    notice: str = "",
    tone: str = "",
    closed_ok: bool = False,
) -> Page:
    """The page for a link: the action, its trail and the forms the person
    may use (each view audited), or the refusal."""
    opened = await _open(services, signer, token, closed_ok=closed_ok)
    if isinstance(opened, Page):
        return opened
    try:
        async with unit_of_work(
            services,
            actor=_actor(opened.person),
            conversation=_conversation(opened.action.id),
            via=VIA,
        ) as unit:
            action = await service.get(unit, action_id=opened.action.id, verb=Verb.ACTION_SHOW)
            audit.record(
                unit.session,
                at=unit.now,
                actor=unit.actor,
                verb="action.page_view",
                object_type="action",
                object_id=action.id,
                after={"through": VIA},
            )
            return await _page(unit, action, signer.form_token(token), notice, tone)
    except UserError as exc:
        return refusal(
            title="You can't open this action",
            why=exc.message,
            ask=exc.hint or _whom_to_ask(opened.action),
            status=403,
        )


async def submit(
    services: Services, signer: LinkSigner, *, token: str, form: Mapping[str, str]
) -> Page:
    """One form posted from the page: carried out through the services as
    the link's person, then the page again with a confirmation, or with what
    to put right (nothing changed)."""
    opened = await _open(services, signer, token)
    if isinstance(opened, Page):
        return opened
    nonce = signer.form_nonce(token, form.get("csrf", ""))
    if nonce is None:
        return refusal(
            title="That form can't be sent",
            why="It didn't come from this page, or came without its security code, so "
            "nothing was changed.",
            ask="Open the link from your email again and use the form there.",
            status=403,
        )
    name = form.get("form", "")
    try:
        async with unit_of_work(
            services,
            actor=_actor(opened.person),
            conversation=_conversation(opened.action.id),
            idempotency_key=f"web:{nonce}",
            via=VIA,
        ) as unit:
            done = await _carry_out(unit, opened.action.id, name, form)
    except AlreadyHandled:
        done = "That was already done."
    except UserError as exc:
        text = exc.message + (f" {exc.hint}" if exc.hint else "")
        page = await view(services, signer, token=token, notice=text, tone="error")
        return page.model_copy(update={"status": 400}) if not page.refused else page
    page = await view(services, signer, token=token, notice=done, closed_ok=True)
    if page.refused:
        # Done by someone whose access ended with it (an escalation contact):
        # the confirmation alone.
        return Page(title=f"Action #{opened.action.id}", notice=done)
    return page


def _required(form: Mapping[str, str], name: str, what: str) -> str:
    value = " ".join(form.get(name, "").split())
    if not value:
        raise UserError(f"Please write {what}.")
    return value


def _date(unit: Unit, form: Mapping[str, str], name: str, *, required: bool) -> date | None:
    text = form.get(name, "").strip()
    if not text:
        if required:
            raise UserError("Please give the date you propose.")
        return None
    try:
        return parse_due_date(text, today=unit.today, calendar=unit.services.calendar).day
    except DateParseError as exc:
        raise UserError(str(exc)) from None


async def _carry_out(unit: Unit, action_id: int, name: str, form: Mapping[str, str]) -> str:
    """One form, through the action services; the confirmation to show."""
    limit = unit.services.policy.max_action_text
    if name == "done":
        action = await service.get(unit, action_id=action_id, verb=Verb.ACTION_DONE)
        evidence = _required(form, "evidence", "what was done (the evidence)")[:limit]
        await service.complete(unit, action=action, evidence=evidence)
        return f"Action #{action.id} is done. Thank you."
    if name in ("update", "propose"):
        action = await service.get(unit, action_id=action_id, verb=Verb.ACTION_UPDATE)
        note = _required(form, "note", "your update")[:limit]
        until = _date(unit, form, "until", required=name == "propose")
        await service.add_update(unit, action=action, note=note, until=until)
        if until is None:
            return f"Your update is on action #{action.id}."
        shown = format_day_year(until, today=unit.today)
        who = action.network.keyworker.name if action.network.keyworker else "The keyworker"
        return (
            f"Your update is on action #{action.id}; chasing waits until {shown}. "
            f"{who} has been asked to agree the new date."
        )
    if name == "reassign":
        action = await service.get(unit, action_id=action_id, verb=Verb.ACTION_REASSIGN)
        email = form.get("owner", "").strip().lower()
        owner = await unit.session.scalar(select(Person).where(Person.email == email))
        if owner is None or not owner.active:
            raise UserError("Please choose who should own the action now.")
        reason = " ".join(form.get("reason", "").split())[:limit] or None
        await service.reassign(unit, action=action, owner=owner, reason=reason)
        return f"Action #{action.id} is now with {owner.name} ({owner.agency.name})."
    raise UserError("I don't know that form.")


async def _may(unit: Unit, verb: Verb, action: Action) -> tuple[bool, Role | None]:
    decision = await for_action(
        unit.session, verb, person=unit.actor, action=action, policy=unit.services.policy
    )
    return decision.allowed, decision.via


async def _page(unit: Unit, action: Action, form_token: str, notice: str, tone: str) -> Page:
    cal, today = unit.services.calendar, unit.today
    events = await service.history(unit, action=action)
    keyworker = action.network.keyworker
    facts = [
        Fact(label="Young person", value=action.network.young_person.reference),
        Fact(label="Owner", value=f"{action.owner.name} ({action.agency.name})"),
        Fact(label="Due", value=views.due_phrase(action, today=today, calendar=cal)),
        Fact(label="Status", value=views.STATUS_LABEL[action.status]),
        Fact(
            label="Escalation",
            value=f"stage {action.escalation_stage}" if action.escalation_stage else "not chased",
        ),
    ]
    chasing = views.chasing_phrase(action, today=today)
    if chasing:
        facts.append(Fact(label="Chasing", value=chasing))
    if action.latest_update:
        facts.append(Fact(label="Latest update", value=action.latest_update))
    facts.append(
        Fact(
            label="Keyworker",
            value=f"{keyworker.name} ({keyworker.email})" if keyworker else "none named",
        )
    )
    forms: list[Form] = []
    if action.status == "open":
        forms = await _forms(unit, action)
    return Page(
        title=f"Action #{action.id}",
        action_text=action.text,
        facts=tuple(facts),
        trail=tuple(views.event_line(e, calendar=cal) for e in reversed(events)),
        forms=tuple(forms),
        form_token=form_token,
        notice=notice,
        notice_tone="error" if tone == "error" else "success",
    )


_NOTE_HINT = "What has happened, or what is in the way. The network's space sees it."


async def _forms(unit: Unit, action: Action) -> list[Form]:
    forms: list[Form] = []
    if (await _may(unit, Verb.ACTION_DONE, action))[0]:
        forms.append(
            Form(
                name="done",
                title="Mark it done",
                fields=(
                    Field(
                        name="evidence",
                        label="What was done",
                        kind="textarea",
                        hint="The evidence, for the record: what was sent, agreed or booked.",
                        required=True,
                    ),
                ),
                submit="Mark as done",
            )
        )
    if (await _may(unit, Verb.ACTION_UPDATE, action))[0]:
        forms.append(
            Form(
                name="update",
                title="Add an update",
                fields=(
                    Field(
                        name="note", label="Update", kind="textarea", hint=_NOTE_HINT, required=True
                    ),
                    Field(
                        name="until",
                        label="Chasing can wait until (optional)",
                        kind="date",
                        hint="For example 12/12/2026.",
                    ),
                ),
                submit="Add update",
            )
        )
        forms.append(
            Form(
                name="propose",
                title="Propose a new date",
                intro="The keyworker is asked to agree it; chasing waits until then.",
                fields=(
                    Field(
                        name="until",
                        label="New date",
                        kind="date",
                        hint="For example 12/12/2026.",
                        required=True,
                    ),
                    Field(name="note", label="Why", kind="textarea", required=True),
                ),
                submit="Propose this date",
            )
        )
    allowed, via = await _may(unit, Verb.ACTION_REASSIGN, action)
    if allowed and via is Role.CONTACT:
        colleagues = (
            await unit.session.scalars(
                select(Person)
                .where(
                    Person.agency_id == unit.actor.agency_id,
                    Person.active.is_(True),
                    Person.id != action.owner_id,
                )
                .order_by(Person.name)
            )
        ).all()
        if colleagues:
            forms.append(
                Form(
                    name="reassign",
                    title=f"Reassign within {unit.actor.agency.name}",
                    intro="They join the network to do it; the keyworker is told.",
                    fields=(
                        Field(
                            name="owner",
                            label="New owner",
                            kind="select",
                            required=True,
                            choices=tuple(
                                Choice(
                                    value=p.email,
                                    label=f"{p.name} ({p.role})" if p.role else p.name,
                                )
                                for p in colleagues
                            ),
                        ),
                        Field(name="reason", label="Reason (optional)", kind="textarea"),
                    ),
                    submit="Reassign",
                )
            )
    return forms
