"""Who may do what: one table, consulted by every command (and by anything
else that acts for someone, such as a page reached from an emailed link).

The decision is pure: :func:`decide` takes what the person is to the thing
they want to act on (a :class:`Subject`: the network's keyworker, the
action's owner, a member, an escalation contact, …) and their standing in
the register (DSR chair, admin, keyworker by profession) and answers with a
:class:`Decision` that can say, when it refuses, who could do it instead.

The loaders (:func:`for_action`, :func:`for_network`,
:func:`for_young_person`, :func:`for_register`) read what a decision needs
with an explicit session, so that "may person P do verb V on action A" can
be asked without a chat conversation. :func:`authorise` is the commands'
way in: it decides for the caller of a unit of work, raises the refusal, and
records the use of an escalation grant (see ``commands/action/access.py``).

The principles (issue 12): a keyworker manages the networks they hold, and
may open a young person's network when that young person has no keyworker
yet (becoming it) or is theirs; joining a network, naming a new keyworker and
removing people are for the current keyworker, a DSR chair or an admin;
register changes are for DSR chairs and admins, and for the young person's
own keyworker where the policy allows it (``register_rules.keyworker_may``);
register-wide views are for chairs and admins, and a keyworker sees the
young people they hold; an escalation contact sees and acts on the one
action escalated to them while it is at their stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import PermissionDenied
from bot.policy import KeyworkerMay, Policy
from store import queries
from store.models import Action, ActionGrant, Cetr, Network, Person, YoungPerson

if TYPE_CHECKING:
    from commands.context import Unit


class Role(StrEnum):
    """What someone is to the thing acted on; the README table's columns."""

    KEYWORKER = "the network's keyworker"
    OWNER = "the action's owner"
    ASSIGNER = "its assigner"
    MEMBER = "a network member"
    CONTACT = "an escalation contact, while escalated to them"
    CHAIR = "a DSR chair"
    ADMIN = "an admin"
    OTHER_KEYWORKER = "a keyworker of another network"
    ANYONE = "anyone else"


class Condition(StrEnum):
    """A role that may act only when something else holds too."""

    UNCLAIMED = "while the young person has no keyworker"
    POLICY = "if the policy allows it"
    OWN_AGENCY = "to someone in their own agency"
    OWN_ENTRIES = "the young people they hold"


Subject = Literal["register", "young person", "network", "action", "review"]


@dataclass(frozen=True)
class Rule:
    """One command's permission entry.

    ``allowed``: roles that may; ``only_if``: roles that may when a condition
    holds; ``doing``: what the refusal says cannot be done ("{what}" is the
    thing acted on); ``register_verb``: the word ``keyworker_may`` uses.
    """

    command: str
    subject: Subject
    allowed: frozenset[Role]
    doing: str
    only_if: tuple[tuple[Role, Condition], ...] = ()
    register_verb: KeyworkerMay | None = None


def _rule(
    command: str,
    subject: Subject,
    doing: str,
    *allowed: Role,
    only_if: tuple[tuple[Role, Condition], ...] = (),
    register_verb: KeyworkerMay | None = None,
) -> Rule:
    return Rule(command, subject, frozenset(allowed), doing, only_if, register_verb)


# Short names for the table below.
KW, OWN, ASG, MEM, CON = Role.KEYWORKER, Role.OWNER, Role.ASSIGNER, Role.MEMBER, Role.CONTACT
CH, AD, OK, ANY = Role.CHAIR, Role.ADMIN, Role.OTHER_KEYWORKER, Role.ANYONE
_MANAGERS = (KW, ASG, CH, AD)
_NETWORK_PEOPLE = (KW, MEM, CH, AD)
_REGISTER_KEEPERS = (CH, AD)


def _register_change(command: str, doing: str, word: KeyworkerMay) -> Rule:
    return _rule(
        command,
        "young person",
        doing,
        *_REGISTER_KEEPERS,
        only_if=((KW, Condition.POLICY),),
        register_verb=word,
    )


class Verb(Enum):
    """Every command's permission entry. A sub-command maps to exactly one
    verb (each handler's ``verb_of``, an exhaustive ``match``), so a new
    sub-command cannot type-check without an entry here."""

    NETWORK_OPEN = _rule(
        "/network open",
        "young person",
        "open {what}'s network",
        KW,
        CH,
        AD,
        only_if=((OK, Condition.UNCLAIMED),),
    )
    NETWORK_ADD = _rule("/network add", "network", "add people to {what}", KW, CH, AD)
    NETWORK_REMOVE = _rule("/network remove", "network", "remove people from {what}", KW, CH, AD)
    NETWORK_KEYWORKER = _rule(
        "/network keyworker", "network", "name the keyworker of {what}", KW, CH, AD
    )
    NETWORK_SHOW = _rule("/network show", "network", "see who is in {what}", *_NETWORK_PEOPLE)
    NETWORK_CLOSE = _rule("/network close", "network", "close {what}", KW, CH, AD)
    NETWORK_HELP = _rule("/network help", "register", "see the help", ANY)

    ACTION_ASSIGN = _rule("/action assign", "network", "give actions in {what}", *_NETWORK_PEOPLE)
    ACTION_LIST = _rule(
        "/action list [overdue|all|@person]",
        "network",
        "list the actions of {what}",
        *_NETWORK_PEOPLE,
    )
    ACTION_LIST_MINE = _rule("/action list mine", "register", "list your own actions", ANY)
    ACTION_SHOW = _rule("/action show", "action", "see {what}", KW, OWN, ASG, MEM, CON, CH, AD)
    ACTION_DONE = _rule("/action done", "action", "complete {what}", KW, OWN, ASG, CH, AD)
    ACTION_UPDATE = _rule(
        "/action update", "action", "add an update to {what}", KW, OWN, ASG, CON, CH, AD
    )
    ACTION_DUE = _rule("/action due", "action", "change the due date of {what}", *_MANAGERS)
    ACTION_REASSIGN = _rule(
        "/action reassign",
        "action",
        "reassign {what}",
        *_MANAGERS,
        only_if=((CON, Condition.OWN_AGENCY),),
    )
    ACTION_CANCEL = _rule("/action cancel", "action", "cancel {what}", *_MANAGERS)
    ACTION_CHASE = _rule("/action chase", "action", "chase {what}", *_MANAGERS)
    ACTION_ESCALATE = _rule("/action escalate", "action", "escalate {what}", *_MANAGERS)
    ACTION_SNOOZE = _rule("/action snooze", "action", "snooze the chasing of {what}", *_MANAGERS)
    ACTION_REVOKE_LINK = _rule(
        "/action revoke-link", "action", "stop the emailed links to {what}", KW, CH, AD
    )
    ACTION_HELP = _rule("/action help", "register", "see the help", ANY)

    CETR_RECORD = _rule("/cetr record", "network", "record a review in {what}", KW, CH, AD)
    CETR_REC = _rule("/cetr rec", "network", "add recommendations in {what}", *_NETWORK_PEOPLE)
    CETR_SHOW = _rule(
        "/cetr show, /cetr list", "network", "see the reviews of {what}", *_NETWORK_PEOPLE
    )
    CETR_REPORT_SENT = _rule(
        "/cetr report-sent", "review", "record the report of {what} as sent", KW, OWN, ASG, CH, AD
    )
    CETR_HELP = _rule("/cetr help", "register", "see the help", ANY)

    DSR_ADD = _rule("/dsr add", "register", "add young people to the register", *_REGISTER_KEEPERS)
    DSR_RATE = _register_change("/dsr rate", "change {what}'s rating", "rate")
    DSR_ADMIT = _register_change("/dsr admit", "record {what}'s admission", "admit")
    DSR_DISCHARGE = _register_change("/dsr discharge", "record {what}'s discharge", "discharge")
    DSR_TRANSITION = _register_change(
        "/dsr transition", "record when {what} turns 18", "transition"
    )
    DSR_KEYWORKER = _register_change("/dsr keyworker", "record {what}'s keyworker", "keyworker")
    DSR_REMOVE = _register_change("/dsr remove", "take {what} off the register", "remove")
    DSR_STEP_DOWN = _register_change("/dsr step-down", "step {what} down", "step-down")
    # Keyworkers record their own preventive work: always the young person's
    # keyworker (not a policy choice), and any keyworker for a young person
    # nobody holds yet (someone new to the register becomes theirs).
    DSR_SUPPORT = _rule(
        "/dsr support",
        "young person",
        "record keyworking support for {what}",
        KW,
        CH,
        AD,
        only_if=((OK, Condition.UNCLAIMED),),
    )
    DSR_OUTCOME = _register_change(
        "/dsr outcome", "record a DSR meeting's decision about {what}", "outcome"
    )
    DSR_VISIT = _register_change("/dsr visit", "record a visit to {what}", "visit")
    DSR_SHOW = _rule("/dsr show", "young person", "see {what}'s entry", KW, CH, AD)
    DSR_LIST = _rule(
        "/dsr list",
        "register",
        "see the register",
        *_REGISTER_KEEPERS,
        only_if=((KW, Condition.OWN_ENTRIES), (OK, Condition.OWN_ENTRIES)),
    )
    DSR_AGENDA_PREVIEW = _rule(
        "/dsr agenda preview", "register", "see the DSR agenda", *_REGISTER_KEEPERS
    )
    DSR_AGENDA_POST = _rule(
        "/dsr agenda post", "register", "post the DSR agenda", *_REGISTER_KEEPERS
    )
    DSR_REPORT = _rule(
        "/dsr report", "register", "produce the quarterly report", *_REGISTER_KEEPERS
    )
    DSR_CONSENT = _rule(
        "/dsr consent",
        "young person",
        "record {what}'s consent withdrawn or re-checked",
        KW,
        CH,
        AD,
    )
    DSR_HELP = _rule("/dsr help", "register", "see the help", ANY)

    # Information governance (the operator's command line, run `--as` someone).
    RECORD_EXPORT = _rule(
        "teamaround export record", "young person", "export {what}'s case record", CH, AD
    )
    RECORD_TRANSFERRED = _rule(
        "teamaround records transferred",
        "young person",
        "record {what}'s case record as transferred",
        CH,
        AD,
    )
    RECORD_ERASE = _rule("teamaround records erase", "young person", "erase {what}'s records", AD)
    RECORDS_PURGE = _rule(
        "teamaround records purge", "register", "erase records past their retention", AD
    )
    AUDIT_EXPORT = _rule(
        "teamaround audit export", "register", "export the audit and access log", AD
    )

    @property
    def rule(self) -> Rule:
        rule: Rule = self.value
        return rule


# -- who someone is -------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """Someone's standing in the register as a whole, from the directory:
    a role naming a chair (or the policy's ``chair_email``), an admin, or a
    keyworker ("Keyworker", "DSR chair (commissioner)", "Admin")."""

    chair: bool = False
    admin: bool = False
    keyworker: bool = False


def standing(person: Person, policy: Policy) -> Standing:
    role = person.role.lower()
    chair_email = (policy.chair_email or "").strip().lower()
    return Standing(
        chair="chair" in role or (bool(chair_email) and person.email == chair_email),
        admin="admin" in role,
        keyworker="keyworker" in role,
    )


@dataclass(frozen=True)
class Facts:
    """What a person is to the thing acted on (all optional: a register-wide
    command has none), with names for a refusal that says who can."""

    what: str = "that"
    keyworker: Person | None = None
    owner: Person | None = None
    assigner: Person | None = None
    member: bool = False
    # The open escalation grant the person holds on this action, if any.
    grant: ActionGrant | None = None
    # The young person has no keyworker yet (who may open their network).
    unclaimed: bool = False


def roles_of(person: Person, standing: Standing, facts: Facts) -> frozenset[Role]:
    roles = {Role.ANYONE}
    if facts.keyworker is not None and facts.keyworker.id == person.id:
        roles.add(Role.KEYWORKER)
    if facts.owner is not None and facts.owner.id == person.id:
        roles.add(Role.OWNER)
    if facts.assigner is not None and facts.assigner.id == person.id:
        roles.add(Role.ASSIGNER)
    if facts.member:
        roles.add(Role.MEMBER)
    if facts.grant is not None:
        roles.add(Role.CONTACT)
    if standing.chair:
        roles.add(Role.CHAIR)
    if standing.admin:
        roles.add(Role.ADMIN)
    if standing.keyworker and Role.KEYWORKER not in roles:
        roles.add(Role.OTHER_KEYWORKER)
    return frozenset(roles)


# The role a decision is taken through, when several allow it: the
# strongest first, so that an escalation grant counts as used only when
# nothing else allowed the person.
_PRECEDENCE = (
    Role.ADMIN,
    Role.CHAIR,
    Role.KEYWORKER,
    Role.ASSIGNER,
    Role.OWNER,
    Role.MEMBER,
    Role.OTHER_KEYWORKER,
    Role.CONTACT,
    Role.ANYONE,
)


@dataclass(frozen=True)
class Decision:
    verb: Verb
    allowed: bool
    # The role it was allowed through (None when refused).
    via: Role | None
    roles: frozenset[Role]
    facts: Facts
    policy_allows: bool = False
    # Conditions the caller must still meet (a contact reassigning: the new
    # owner must be in their agency), checked when the target is known.
    pending: tuple[Condition, ...] = ()
    # /dsr list: "all", or only "own" (the young people they hold).
    scope: Literal["all", "own"] = "all"

    @property
    def grant(self) -> ActionGrant | None:
        """The escalation grant this decision relies on, if nothing else allowed it."""
        return self.facts.grant if self.via is Role.CONTACT else None

    def who(self) -> str:
        """Who may do it, in words, naming people where the facts know them."""
        return who_may(self.verb, self.facts, policy_allows=self.policy_allows)

    def refusal(self) -> PermissionDenied:
        doing = self.verb.rule.doing.format(what=self.facts.what)
        keyworker = self.facts.keyworker
        hint = (
            f"Ask {keyworker.name}, the keyworker, or your DSR chair."
            if keyworker is not None
            else "Ask your DSR chair."
        )
        if self.verb is Verb.ACTION_DUE and Role.OWNER in self.roles:
            hint = (
                f"You can propose a new date with an update: /action update "
                f"{self.facts.what.removeprefix('action #')} NOTE --until DATE"
            )
        return PermissionDenied(f"Only {self.who()} can {doing}.", hint=hint)


def _named(label: str, person: Person | None) -> str:
    return f"{label} ({person.name})" if person is not None else label


_WHO = {
    Role.KEYWORKER: "the keyworker",
    Role.OWNER: "the owner",
    Role.ASSIGNER: "whoever assigned it",
    Role.MEMBER: "the network's members",
    Role.CONTACT: "the people it is escalated to",
    Role.CHAIR: "a DSR chair",
    Role.ADMIN: "an admin",
    Role.OTHER_KEYWORKER: "a keyworker",
    Role.ANYONE: "anyone",
}
_ORDER = (
    Role.KEYWORKER,
    Role.OWNER,
    Role.ASSIGNER,
    Role.MEMBER,
    Role.CONTACT,
    Role.OTHER_KEYWORKER,
    Role.CHAIR,
    Role.ADMIN,
    Role.ANYONE,
)


def who_may(verb: Verb, facts: Facts | None, *, policy_allows: bool) -> str:
    """Who may do ``verb``, in words. With ``facts`` about one thing: naming
    the people they know ("the keyworker (Kim Lee), whoever assigned it (Jo
    Hughes), a DSR chair or an admin"), leaving out a condition that cannot
    hold there. Without (``None``): in general, for the help."""
    rule = verb.rule
    parts: list[str] = []
    named: set[int] = set()
    conditional = dict(rule.only_if)
    for role in _ORDER:
        if Role.MEMBER in rule.allowed and role in (Role.KEYWORKER, Role.OWNER, Role.ASSIGNER):
            continue  # members already
        if role is Role.KEYWORKER and rule.subject == "register":
            continue  # no one thing's keyworker: "a keyworker" says it
        if role in rule.allowed:
            label = _WHO[role]
        elif role in conditional:
            condition = conditional[role]
            if condition is Condition.POLICY and not policy_allows:
                continue
            if condition is Condition.UNCLAIMED and facts is not None and not facts.unclaimed:
                continue
            label = _WHO[role] if condition is Condition.POLICY else f"{_WHO[role]} ({condition})"
        else:
            continue
        person = (
            None
            if facts is None
            else {
                Role.KEYWORKER: facts.keyworker,
                Role.OWNER: facts.owner,
                Role.ASSIGNER: facts.assigner,
            }.get(role)
        )
        if person is not None:
            if person.id in named:
                continue  # the keyworker who also assigned it is named once
            named.add(person.id)
            label = f"{label} ({person.name})"
        elif role is Role.KEYWORKER and facts is not None and rule.subject == "young person":
            continue  # nobody holds them yet
        parts.append(label)
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def policy_allows(verb: Verb, policy: Policy) -> bool:
    word = verb.rule.register_verb
    return word is not None and word in policy.register_rules.keyworker_may


def decide(
    verb: Verb,
    *,
    person: Person,
    standing: Standing,
    facts: Facts,
    policy: Policy,
    reassign_to: Person | None = None,
) -> Decision:
    """Whether ``person`` may do ``verb``. Pure.

    ``reassign_to``: for a reassignment, the new owner (an escalation contact
    may reassign only within their own agency); without it the condition is
    left ``pending`` for the caller to check once the new owner is known.
    """
    rule = verb.rule
    roles = roles_of(person, standing, facts)
    allows = policy_allows(verb, policy)
    through: list[Role] = [r for r in rule.allowed if r in roles]
    pending: list[Condition] = []
    own_only = False
    for role, condition in rule.only_if:
        if role not in roles:
            continue
        if (condition is Condition.UNCLAIMED and facts.unclaimed) or (
            condition is Condition.POLICY and allows
        ):
            through.append(role)
        elif condition is Condition.OWN_ENTRIES:
            through.append(role)
            own_only = True
        elif condition is Condition.OWN_AGENCY:
            if reassign_to is None:
                pending.append(condition)
                through.append(role)
            elif reassign_to.agency_id == person.agency_id:
                through.append(role)
    via = next((r for r in _PRECEDENCE if r in through), None)
    # Roles that allow the whole thing make a condition on another role moot.
    unconditional = via is not None and via in rule.allowed
    return Decision(
        verb=verb,
        allowed=via is not None,
        via=via,
        roles=roles,
        facts=facts,
        policy_allows=allows,
        pending=() if unconditional else tuple(pending),
        scope="own" if own_only and not unconditional else "all",
    )


# -- reading what a decision needs ------------------------------------------------------------


async def open_grant(
    session: AsyncSession, *, action_id: int, person_id: int
) -> ActionGrant | None:
    """The person's escalation grant on the action that has not ended, if any."""
    return await session.scalar(
        select(ActionGrant)
        .where(
            ActionGrant.action_id == action_id,
            ActionGrant.person_id == person_id,
            ActionGrant.ended_at.is_(None),
        )
        .order_by(ActionGrant.id.desc())
        .limit(1)
    )


def action_facts(action: Action, *, member: bool, grant: ActionGrant | None) -> Facts:
    return Facts(
        what=f"action #{action.id}",
        keyworker=action.network.keyworker,
        owner=action.owner,
        assigner=action.assigned_by,
        member=member,
        grant=grant if action.status == "open" else None,
    )


def _grant_may_help(verb: Verb) -> bool:
    rule = verb.rule
    return Role.CONTACT in rule.allowed or any(r is Role.CONTACT for r, _ in rule.only_if)


async def for_action(
    session: AsyncSession,
    verb: Verb,
    *,
    person: Person,
    action: Action,
    policy: Policy,
    reassign_to: Person | None = None,
    member: bool | None = None,
) -> Decision:
    """May ``person`` do ``verb`` on ``action``? Reads their membership of its
    network (unless ``member`` is known) and, only when nothing else allows
    them and the verb is open to escalation contacts, their open escalation
    grant on it."""
    if member is None:
        member = await queries.is_member(session, network_id=action.network_id, person_id=person.id)
    person_standing = standing(person, policy)
    decision = decide(
        verb,
        person=person,
        standing=person_standing,
        facts=action_facts(action, member=member, grant=None),
        policy=policy,
        reassign_to=reassign_to,
    )
    if decision.allowed or action.status != "open" or not _grant_may_help(verb):
        return decision
    grant = await open_grant(session, action_id=action.id, person_id=person.id)
    if grant is None:
        return decision
    return decide(
        verb,
        person=person,
        standing=person_standing,
        facts=action_facts(action, member=member, grant=grant),
        policy=policy,
        reassign_to=reassign_to,
    )


def network_facts(network: Network, *, member: bool) -> Facts:
    return Facts(
        what=f"{network.young_person.reference}'s network",
        keyworker=network.keyworker,
        member=member,
    )


async def for_network(
    session: AsyncSession, verb: Verb, *, person: Person, network: Network, policy: Policy
) -> Decision:
    member = await queries.is_member(session, network_id=network.id, person_id=person.id)
    return decide(
        verb,
        person=person,
        standing=standing(person, policy),
        facts=network_facts(network, member=member),
        policy=policy,
    )


def review_facts(review: Cetr, network: Network, *, member: bool, recorder: Person | None) -> Facts:
    """A review's chair owns its report follow-up and whoever recorded it
    assigned it: they are its "owner" and "assigner" here."""
    return Facts(
        what=f"review #{review.id}",
        keyworker=network.keyworker,
        owner=review.chair,
        assigner=recorder,
        member=member,
    )


async def young_person_keyworker(session: AsyncSession, young_person: YoungPerson) -> Person | None:
    """The register's keyworker, or else the keyworker of their open network."""
    keyworker_id = young_person.keyworker_id
    if keyworker_id is None:
        network = await queries.open_network_for(session, young_person_id=young_person.id)
        keyworker_id = network.keyworker_id if network else None
    return await session.get(Person, keyworker_id) if keyworker_id else None


async def for_young_person(
    session: AsyncSession,
    verb: Verb,
    *,
    person: Person,
    young_person: YoungPerson,
    policy: Policy,
) -> Decision:
    keyworker = await young_person_keyworker(session, young_person)
    facts = Facts(
        what=young_person.reference,
        keyworker=keyworker,
        unclaimed=keyworker is None,
    )
    return decide(
        verb, person=person, standing=standing(person, policy), facts=facts, policy=policy
    )


def for_newcomer(verb: Verb, *, person: Person, policy: Policy, reference: str) -> Decision:
    """A young person the register does not know yet (``/dsr support REF
    preventive`` for someone not on the DSR): nobody holds them."""
    return decide(
        verb,
        person=person,
        standing=standing(person, policy),
        facts=Facts(what=reference, unclaimed=True),
        policy=policy,
    )


def for_register(verb: Verb, *, person: Person, policy: Policy) -> Decision:
    return decide(
        verb,
        person=person,
        standing=standing(person, policy),
        facts=Facts(what="the register"),
        policy=policy,
    )


# -- the commands' way in ---------------------------------------------------------------------


@dataclass
class Decisions:
    """Decisions already taken in one unit of work, so that a handler and
    the services it calls ask once, and a grant's use is recorded once."""

    taken: dict[tuple[Verb, str, int], Decision] = field(default_factory=dict)
    used: set[int] = field(default_factory=set)


async def authorise(
    unit: Unit,
    verb: Verb,
    *,
    action: Action | None = None,
    network: Network | None = None,
    young_person: YoungPerson | None = None,
    review: tuple[Cetr, Network] | None = None,
    reassign_to: Person | None = None,
    newcomer: str | None = None,
) -> Decision:
    """Decide for the unit's caller; raise the refusal (which says who can)
    or return the decision. ``newcomer``: the reference of a young person the
    register does not know yet. A decision taken through an escalation grant
    records the grant's use (``commands.action.access.record_use``)."""
    session, person, policy = unit.session, unit.actor, unit.services.policy
    key: tuple[Verb, str, int]
    if action is not None:
        key = (verb, "action", action.id)
    elif network is not None:
        key = (verb, "network", network.id)
    elif young_person is not None:
        key = (verb, "young person", young_person.id)
    elif review is not None:
        key = (verb, "review", review[0].id)
    elif newcomer is not None:
        key = (verb, "newcomer", 0)
    else:
        key = (verb, "register", 0)
    known = unit.decisions.taken.get(key)
    if known is not None and reassign_to is None:
        decision = known
    elif action is not None:
        decision = await for_action(
            session,
            verb,
            person=person,
            action=action,
            policy=policy,
            reassign_to=reassign_to,
            member=await unit.is_member(action.network),
        )
    elif network is not None:
        decision = decide(
            verb,
            person=person,
            standing=standing(person, policy),
            facts=network_facts(network, member=await unit.is_member(network)),
            policy=policy,
        )
    elif young_person is not None:
        decision = await for_young_person(
            session, verb, person=person, young_person=young_person, policy=policy
        )
    elif review is not None:
        cetr, review_network = review
        recorder = await session.get(Person, cetr.recorded_by_id)
        decision = decide(
            verb,
            person=person,
            standing=standing(person, policy),
            facts=review_facts(
                cetr, review_network, member=await unit.is_member(review_network), recorder=recorder
            ),
            policy=policy,
        )
    elif newcomer is not None:
        decision = for_newcomer(verb, person=person, policy=policy, reference=newcomer)
    else:
        decision = for_register(verb, person=person, policy=policy)
    if not decision.allowed:
        raise decision.refusal()
    unit.decisions.taken[key] = decision
    grant = decision.grant
    if grant is not None and action is not None and grant.id not in unit.decisions.used:
        from commands.action import access

        unit.decisions.used.add(grant.id)
        await access.record_use(unit, action=action, grant=grant, verb=verb)
    return decision


# -- the README's table -------------------------------------------------------------------------

TABLE_ROLES = (
    Role.KEYWORKER,
    Role.OWNER,
    Role.ASSIGNER,
    Role.MEMBER,
    Role.CONTACT,
    Role.CHAIR,
    Role.ADMIN,
    Role.OTHER_KEYWORKER,
    Role.ANYONE,
)
_SHORT = {
    Role.KEYWORKER: "keyworker",
    Role.OWNER: "owner",
    Role.ASSIGNER: "assigner",
    Role.MEMBER: "member",
    Role.CONTACT: "escalation contact",
    Role.CHAIR: "DSR chair",
    Role.ADMIN: "admin",
    Role.OTHER_KEYWORKER: "other keyworker",
    Role.ANYONE: "anyone else",
}
_CELL = {
    Condition.UNCLAIMED: "if none yet",
    Condition.POLICY: "if policy",
    Condition.OWN_AGENCY: "own agency",
    Condition.OWN_ENTRIES: "their own",
}


def _cell(rule: Rule, role: Role) -> str:
    if Role.ANYONE in rule.allowed or role in rule.allowed:
        return "yes"
    # The keyworker, an action's owner and its assigner are network members.
    if Role.MEMBER in rule.allowed and role in (Role.KEYWORKER, Role.OWNER, Role.ASSIGNER):
        return "yes"
    for conditional, condition in rule.only_if:
        if conditional is role:
            return _CELL[condition]
    return ""


def table_markdown() -> str:
    """The authority table as Markdown, for the README (a test keeps them
    equal). Help is for everyone and is left out."""
    header = "| command | " + " | ".join(_SHORT[r] for r in TABLE_ROLES) + " |"
    lines = [header, "| --- |" + " :-: |" * len(TABLE_ROLES)]
    for verb in Verb:
        rule = verb.rule
        if Role.ANYONE in rule.allowed and rule.command.endswith(" help"):
            continue
        cells = " | ".join(_cell(rule, role) for role in TABLE_ROLES)
        command = rule.command.replace("|", "\\|")
        lines.append(f"| `{command}` | {cells} |")
    return "\n".join(lines) + "\n"
