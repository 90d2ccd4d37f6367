"""Who may do what, as a matrix: every command against every role, on the
database under test (SQLite or PostgreSQL).

The roles are people in one state of the demo area (Mon 23 Nov 2026, 10:00):

- keyworker: Kim Lee, who holds DSR-0042's network (and DSR-0051 on the
  register, with no network yet);
- owner: Sam Patel (CAMHS), who owns action #1 there and chairs review #1;
- assigner: Jo Hughes, a member who assigned action #1 and recorded review #1;
- member: Alex Morgan, a member with nothing of their own;
- contact: Morgan Reed, Sam's line manager, to whom action #1 is escalated
  (stage 2), not a member;
- chair: Priya Shah, the DSR chair, not a member;
- admin: Chris Evans;
- other keyworker: Ade Okafor, who holds DSR-0043's network;
- anyone: Taylor Brown, in the directory and nothing else.

Expected answers are written out here, not read from the code under test.
A refusal must name who can ("Only …") and change nothing: no row in any
table (so no audit event and no outbox row). An allowed command must run to
the end without any refusal, on a fresh copy of the state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bot.clock import FrozenClock
from bot.errors import PermissionDenied, UserError
from bot.invocation import Actor, Conversation, Invocation
from bot.main import App, build
from bot.settings import Settings
from commands.directory.demo import seed
from integrations.sandbox.gateway import ConsoleGateway
from store import migrate
from store.models import (
    Action,
    ActionGrant,
    Admission,
    Base,
    Cetr,
    Meeting,
    Network,
    NetworkMember,
    Person,
    SupportChange,
    YoungPerson,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)

ROLES = {
    "keyworker": "kim.lee@example.org",
    "owner": "sam.patel@example.org",
    "assigner": "jo.hughes@example.org",
    "member": "alex.morgan@example.org",
    "contact": "morgan.reed@example.org",
    "chair": "priya.shah@example.org",
    "admin": "chris.evans@example.org",
    "other keyworker": "ade.okafor@example.org",
    "anyone": "taylor.brown@example.org",
}
EVERYONE = frozenset(ROLES)
NETWORK_PEOPLE = {"keyworker", "owner", "assigner", "member", "chair", "admin"}
MANAGERS = {"keyworker", "assigner", "chair", "admin"}
KEEPERS = {"chair", "admin"}
CHANNEL = "yp-dsr-0042"
GENERAL = "general"


async def with_admission(session: AsyncSession, state: State) -> None:
    session.add(
        Admission(
            young_person_id=state.yp["DSR-0042"],
            admitted_on=date(2026, 11, 20),
            setting="Oak Ward",
            out_of_area=True,
            recorded_by_id=state.people["priya.shah@example.org"],
            created_at=NOW,
        )
    )


async def with_preventive_support(session: AsyncSession, state: State) -> None:
    young_person = await session.get_one(YoungPerson, state.yp["DSR-0051"])
    young_person.support = "preventive"
    session.add(
        SupportChange(young_person_id=young_person.id, kind="preventive", at=NOW, actor_id=None)
    )


async def with_action_done(session: AsyncSession, state: State) -> None:
    await session.execute(update(Action).values(status="done", closed_at=NOW))


Prepare = Callable[[AsyncSession, "State"], Awaitable[None]]


@dataclass(frozen=True)
class Case:
    line: str
    allowed: frozenset[str]
    where: str = CHANNEL
    prepare: Prepare | None = None


def case(
    line: str, allowed: set[str] | frozenset[str], where: str = CHANNEL, prepare: Any = None
) -> Case:
    return Case(line, frozenset(allowed), where, prepare)


PANEL = '--chair @kim.lee --clinical-expert "Dr A Khan" --expert-by-experience "R Jones"'
CASES = [
    # /network
    case("/network open DSR-0063", {"keyworker", "other keyworker", *KEEPERS}, GENERAL),
    case("/network open DSR-0051", {"keyworker", *KEEPERS}, GENERAL),
    case("/network add @casey.ward", {"keyworker", *KEEPERS}),
    case("/network add @casey.ward --network DSR-0042", {"keyworker", *KEEPERS}, GENERAL),
    case("/network remove @alex.morgan", {"keyworker", *KEEPERS}),
    case("/network keyworker @ade.okafor", {"keyworker", *KEEPERS}),
    case("/network show", NETWORK_PEOPLE),
    case(
        '/network close --reason moved "Moved away"',
        {"keyworker", *KEEPERS},
        prepare=with_action_done,
    ),
    case("/network help", EVERYONE),
    # /action
    case("/action assign @sam.patel Ring the school by Friday", NETWORK_PEOPLE),
    case("/action list", NETWORK_PEOPLE),
    case("/action list overdue", NETWORK_PEOPLE),
    case("/action list mine", EVERYONE),
    case("/action show {action}", NETWORK_PEOPLE | {"contact"}, GENERAL),
    case("/action done {action} Sent by secure email", MANAGERS | {"owner"}),
    case("/action update {action} Rang the family", MANAGERS | {"owner", "contact"}, GENERAL),
    case("/action due {action} 4/12 agreed with the family", MANAGERS),
    # Alex is in the network but not in CAMHS; Lee Grant is both.
    case("/action reassign {action} @alex.morgan", MANAGERS),
    case("/action reassign {action} @lee.grant", MANAGERS | {"contact"}, GENERAL),
    case("/action cancel {action} Duplicate of another action", MANAGERS),
    case("/action chase {action}", MANAGERS),
    case("/action escalate {action} Placement at risk", MANAGERS),
    case("/action snooze {action} Friday waiting for the panel", MANAGERS),
    case("/action help", EVERYONE),
    # /cetr
    case(f"/cetr record community-cetr 19/11 {PANEL}", {"keyworker", *KEEPERS}),
    case("/cetr rec {cetr} @sam.patel Send the plan by Friday", NETWORK_PEOPLE),
    case("/cetr show {cetr}", NETWORK_PEOPLE),
    case("/cetr list", NETWORK_PEOPLE),
    case("/cetr report-sent {cetr} today", {"keyworker", "owner", "assigner", *KEEPERS}),
    case("/cetr help", EVERYONE),
    # /dsr: typed in #general
    case(
        "/dsr add DSR-0100 --age-band under-18 --consent consent --consent-date 20/11/2026",
        KEEPERS,
        GENERAL,
    ),
    # The policy lets a young person's own keyworker rate, admit, discharge
    # and record transitions (register_rules.keyworker_may, the default).
    case('/dsr rate DSR-0042 red "Placement breaking down"', {"keyworker", *KEEPERS}, GENERAL),
    case('/dsr admit DSR-0042 today --setting "Oak Ward"', {"keyworker", *KEEPERS}, GENERAL),
    case("/dsr discharge DSR-0042 today", {"keyworker", *KEEPERS}, GENERAL, prepare=with_admission),
    case("/dsr transition DSR-0042 03/2027", {"keyworker", *KEEPERS}, GENERAL),
    case("/dsr keyworker DSR-0042 @ade.okafor", KEEPERS, GENERAL),
    case("/dsr remove DSR-0042 Consent withdrawn", KEEPERS, GENERAL),
    case("/dsr step-down DSR-0042", KEEPERS, GENERAL),
    case('/dsr outcome DSR-0042 "Stay Amber; review in a month"', KEEPERS, GENERAL),
    case("/dsr visit DSR-0042 today", KEEPERS, GENERAL, prepare=with_admission),
    case("/dsr show DSR-0042", {"keyworker", *KEEPERS}, GENERAL),
    # Keyworkers record their own preventive work (always, not by policy):
    # DSR-0051 is Kim's and Green; DSR-0101 is new to the register.
    case("/dsr support DSR-0051 preventive", {"keyworker", *KEEPERS}, GENERAL),
    case(
        "/dsr support DSR-0101 preventive @kim.lee --age-band under-18 --consent parental "
        "--consent-date 20/11/2026",
        {"keyworker", *KEEPERS},
        GENERAL,
    ),
    case(
        "/dsr support DSR-0051 end",
        {"keyworker", *KEEPERS},
        GENERAL,
        prepare=with_preventive_support,
    ),
    # A keyworker lists the young people they hold; chairs and admins, all.
    case("/dsr list", {"keyworker", "other keyworker", *KEEPERS}, GENERAL),
    case("/dsr agenda preview", KEEPERS, GENERAL),
    case("/dsr agenda post", KEEPERS, GENERAL),
    case("/dsr report", KEEPERS, GENERAL),
    case("/dsr help", EVERYONE, GENERAL),
]


@dataclass
class State:
    people: dict[str, int]
    yp: dict[str, int]
    action: int
    cetr: int


@dataclass
class Rig:
    app: App
    state: State | None = None


async def reset(app: App, *, prepare: Prepare | None = None) -> State:
    """Empty every table, then build the state described above."""
    async with app.db.transaction() as session:
        tables = list(reversed(Base.metadata.sorted_tables))
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await session.execute(table.delete())
    async with app.db.transaction() as session:
        await seed(
            session, register_name=app.policy.register_name, now=NOW, consent_date=NOW.date()
        )
        people = {p.email: p.id for p in (await session.scalars(select(Person))).all()}
        yp = {y.reference: y.id for y in (await session.scalars(select(YoungPerson))).all()}
        kim, ade = people[ROLES["keyworker"]], people[ROLES["other keyworker"]]
        await session.execute(
            update(YoungPerson)
            .where(YoungPerson.reference.in_(("DSR-0042", "DSR-0051")))
            .values(keyworker_id=kim)
        )
        await session.execute(
            update(YoungPerson).where(YoungPerson.reference == "DSR-0043").values(keyworker_id=ade)
        )
        ours = Network(
            young_person_id=yp["DSR-0042"],
            keyworker_id=kim,
            status="open",
            space_platform="console",
            space_id=CHANNEL,
            space_name=CHANNEL,
            opened_by_id=kim,
            opened_at=NOW,
        )
        theirs = Network(
            young_person_id=yp["DSR-0043"],
            keyworker_id=ade,
            status="open",
            space_platform="console",
            space_id="yp-dsr-0043",
            space_name="yp-dsr-0043",
            opened_by_id=ade,
            opened_at=NOW,
        )
        session.add_all([ours, theirs])
        await session.flush()
        members = [ROLES[r] for r in ("keyworker", "owner", "assigner", "member")]
        members.append("lee.grant@example.org")  # CAMHS, like the owner
        session.add_all(
            NetworkMember(network_id=ours.id, person_id=people[email], added_at=NOW)
            for email in members
        )
        session.add(NetworkMember(network_id=theirs.id, person_id=ade, added_at=NOW))
        owner = people[ROLES["owner"]]
        camhs = (await session.get_one(Person, owner)).agency_id
        action = Action(
            network_id=ours.id,
            text="Send the EHCP draft",
            owner_id=owner,
            agency_id=camhs,
            assigned_by_id=people[ROLES["assigner"]],
            due_date=date(2026, 11, 18),
            status="open",
            escalation_stage=2,
            stage_since=date(2026, 11, 20),
            created_at=NOW,
            updated_at=NOW,
        )
        review = Cetr(
            young_person_id=yp["DSR-0042"],
            network_id=ours.id,
            kind="community-cetr",
            held_on=date(2026, 11, 20),
            chair_id=owner,
            clinical_expert="Dr A Khan",
            expert_by_experience="R Jones",
            recorded_by_id=people[ROLES["assigner"]],
            created_at=NOW,
            updated_at=NOW,
        )
        session.add_all([action, review])
        await session.flush()
        session.add(
            ActionGrant(
                action_id=action.id,
                person_id=people[ROLES["contact"]],
                stage=2,
                contact="line-manager",
                granted_at=NOW,
            )
        )
        register_id = (await session.get_one(YoungPerson, yp["DSR-0042"])).register_id
        session.add(
            Meeting(
                register_id=register_id,
                meeting_on=date(2026, 11, 16),
                agenda_markdown="# DSR review agenda — Mon 16 Nov\n",
                posted_by="priya.shah@example.org",
                created_at=NOW,
            )
        )
        state = State(people=people, yp=yp, action=action.id, cetr=review.id)
        if prepare is not None:
            await prepare(session, state)
    return state


async def counts(app: App) -> dict[str, int]:
    """How many rows every table holds."""
    async with app.db.reader() as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


async def run(app: App, role: str, line: str, where: str, state: State) -> None:
    email = ROLES[role]
    command, _, rest = line.format(action=state.action, cetr=state.cetr).lstrip("/").partition(" ")
    await app.dispatcher.dispatch(
        Invocation(
            actor=Actor(platform="console", platform_user_id=email, email=email),
            conversation=Conversation(platform="console", conversation_id=where),
            command=command,
            text=rest,
        )
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def rig(
    tmp_path_factory: pytest.TempPathFactory, postgres_url: str | None
) -> AsyncIterator[Rig]:
    if postgres_url is None:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('matrix') / 'teamaround.db'}"
    else:
        url = postgres_url
        engine = create_async_engine(postgres_url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await migrate.upgrade_async(url)
    app = build(
        Settings(database_url=url),
        clock=FrozenClock(NOW),
        gateways={"console": ConsoleGateway(lambda _: None)},
    )
    try:
        yield Rig(app=app)
    finally:
        await app.db.dispose()


@pytest.mark.parametrize("case", CASES, ids=[c.line.split(" --")[0][:48] for c in CASES])
async def test_every_role(rig: Rig, case: Case) -> None:
    app = rig.app
    state = await reset(app, prepare=case.prepare)
    wrong: list[str] = []
    # Refusals first, all on the same state: none of them may change it.
    before = await counts(app)
    for role in ROLES:
        if role in case.allowed:
            continue
        try:
            await run(app, role, case.line, case.where, state)
        except PermissionDenied as refused:
            if not refused.message.startswith("Only"):
                wrong.append(f"{role}: refused without saying who can: {refused.message}")
        except UserError as error:
            wrong.append(f"{role}: expected a refusal, got: {error.message}")
        else:
            wrong.append(f"{role}: expected a refusal, but it was done")
        after = await counts(app)
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        if changed:
            wrong.append(f"{role}: the refusal changed {changed}")
            before = after
    # Each allowed role on a fresh state.
    for role in sorted(case.allowed):
        state = await reset(app, prepare=case.prepare)
        try:
            await run(app, role, case.line, case.where, state)
        except UserError as error:
            wrong.append(f"{role}: expected it to be done, got: {error.message}")
    assert not wrong, f"{case.line}\n" + "\n".join(wrong)
