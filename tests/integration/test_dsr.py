"""The DSR register (`/dsr`) end to end over a real database (SQLite or PostgreSQL).

The clock reads Monday 23 November 2026, 10:00 in London. Expected dates are
worked out by hand here, not with the code under test. The demo register
holds DSR-0042 (amber), DSR-0043 (red), DSR-0051 (green), DSR-0057 (blue) and
DSR-0063 (amber); none has a keyworker or a network yet.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from store.models import (
    Action,
    Admission,
    AuditEvent,
    Network,
    NetworkMember,
    Person,
    RatingChange,
    YoungPerson,
)
from tests.conftest import Harness, text_of

KIM = "kim.lee@example.org"  # keyworker
PRIYA = "priya.shah@example.org"  # DSR chair (commissioner, ICB)
SAM = "sam.patel@example.org"  # CAMHS: not a coordinator
ADE = "ade.okafor@example.org"  # another keyworker
CH = "yp-dsr-0042"

ADD = "/dsr add DSR-0100 --age-band under-18 --ehcp --consent parental --consent-date 20/11/2026"


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness


async def say(h: Harness, email: str, line: str) -> str:
    """What the caller sees in the console, with the facts' alignment squeezed out."""
    shown = text_of(await h.say(email, line, channel="general"))
    return "\n".join(" ".join(row.split()) for row in shown.splitlines())


async def open_network(h: Harness, ref: str = "DSR-0042", *, with_chair: bool = True) -> str:
    reply = await h.say(KIM, f"/network open {ref}")
    channel = reply.switch_to
    assert channel, text_of(reply)
    if with_chair:
        reply = await h.say(KIM, "/network add @priya.shah", channel=channel)
        assert "Priya Shah" in text_of(reply), text_of(reply)
    return channel


async def young_person(h: Harness, ref: str) -> YoungPerson:
    async with h.app.db.reader() as session:
        found = await session.scalar(select(YoungPerson).where(YoungPerson.reference == ref))
    assert found is not None
    return found


async def person_id(h: Harness, email: str) -> int:
    async with h.app.db.reader() as session:
        found = await session.scalar(select(Person.id).where(Person.email == email))
    assert found is not None
    return found


async def actions(h: Harness) -> list[tuple[str, str, date, str]]:
    async with h.app.db.reader() as session:
        rows = (await session.scalars(select(Action).order_by(Action.id))).unique().all()
        return [(a.text, a.owner.email, a.due_date, a.source) for a in rows]


async def history(h: Harness, ref: str) -> list[tuple[str, str, str | None]]:
    async with h.app.db.reader() as session:
        rows = (
            await session.execute(
                select(RatingChange.rating, RatingChange.rationale, Person.email)
                .join(YoungPerson, YoungPerson.id == RatingChange.young_person_id)
                .outerjoin(Person, Person.id == RatingChange.actor_id)
                .where(YoungPerson.reference == ref)
                .order_by(RatingChange.id)
            )
        ).all()
    return [(r, why, who) for r, why, who in rows]


async def list_lines(h: Harness, line: str = "/dsr list") -> list[str]:
    shown = await say(h, PRIYA, line)
    return [part.split(" — ")[0].lstrip("•- ").strip() for part in shown.splitlines()[1:]]


# -- add --------------------------------------------------------------------------


async def test_adding_without_consent_is_refused_and_changes_nothing(h: Harness) -> None:
    before = (await h.count(AuditEvent), await h.count(YoungPerson))
    shown = await say(h, PRIYA, "/dsr add DSR-0100 --age-band under-18 --ehcp")
    assert "without the consent basis" in shown, shown
    assert "best-interests decision" in shown
    shown = await say(h, PRIYA, "/dsr add DSR-0100 --age-band under-18 --consent consent")
    assert "--consent-date" in shown, shown
    assert (await h.count(AuditEvent), await h.count(YoungPerson)) == before


async def test_adding_records_the_consent_and_who_recorded_it(h: Harness) -> None:
    shown = await say(h, PRIYA, ADD)
    assert "Added DSR-0100" in shown and "parental responsibility" in shown, shown
    assert "20/11/2026" in shown
    added = await young_person(h, "DSR-0100")
    assert (added.age_band, added.ehcp, added.consent_basis, added.consent_date) == (
        "under-18",
        True,
        "parental",
        date(2026, 11, 20),
    )
    assert added.consent_recorded_by_id == await person_id(h, PRIYA)
    assert added.rating is None
    shown = await say(h, PRIYA, "/dsr show DSR-0100")
    assert "Consent: parental responsibility, 20/11/2026 (recorded by Priya Shah)" in shown, shown
    assert "Rating: not rated yet" in shown


async def test_a_reference_already_on_the_register_or_a_name_is_refused(h: Harness) -> None:
    before = await h.count(AuditEvent)
    shown = await say(h, PRIYA, ADD.replace("DSR-0100", "dsr-0042"))
    assert "DSR-0042 is already on the register" in shown, shown
    shown = await say(h, PRIYA, ADD.replace("DSR-0100", "Jane Smith"))
    assert "never a name" in shown, shown
    assert await h.count(AuditEvent) == before


async def test_someone_who_is_not_a_coordinator_is_refused_kindly(h: Harness) -> None:
    before = await h.count(AuditEvent)
    for line in (ADD, "/dsr list", "/dsr show DSR-0042", '/dsr rate DSR-0042 red "x"'):
        shown = await say(h, SAM, line)
        assert "Only DSR chairs, admins and young people's own keyworkers can use the DSR" in shown
        assert "DSR-0043" not in shown
    assert await h.count(AuditEvent) == before


# -- rate -------------------------------------------------------------------------


async def test_every_rating_change_is_kept_in_order_with_who_and_why(h: Harness) -> None:
    await say(h, PRIYA, '/dsr rate DSR-0051 amber "Placement under strain"')
    await say(h, PRIYA, "/dsr rate DSR-0051 green Settled again with extra support")
    assert await history(h, "DSR-0051") == [
        ("amber", "Placement under strain", PRIYA),
        ("green", "Settled again with extra support", PRIYA),
    ]
    rated = await young_person(h, "DSR-0051")
    assert rated.rating == "green" and rated.rated_at is not None
    shown = await say(h, PRIYA, "/dsr show DSR-0051")
    newest = shown.index("Green — Settled again with extra support (Priya Shah)")
    oldest = shown.index("Amber — Placement under strain (Priya Shah)")
    assert newest < oldest, shown
    async with h.app.db.reader() as session:
        verbs = (await session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id))).all()
    # The chair is not in DSR-0051's network: their /dsr show is in the access log.
    assert verbs[-3:] == ["register.rate", "register.rate", "access.read"]


async def test_a_rating_needs_a_rationale(h: Harness) -> None:
    shown = await say(h, PRIYA, "/dsr rate DSR-0051 amber")
    assert "reason for rating DSR-0051 amber" in shown, shown
    assert await history(h, "DSR-0051") == []


async def test_red_without_a_keyworker_or_network_prompts_a_referral_and_explains(
    h: Harness,
) -> None:
    shown = await say(h, PRIYA, '/dsr rate DSR-0063 red "In crisis; A&E twice this week"')
    assert "DSR-0063 is now rated Red" in shown, shown
    assert "no keyworker: please make a keyworking referral" in shown
    assert "C(E)TR must take place" in shown
    assert "couldn't create the C(E)TR action: DSR-0063 has no open network" in shown
    assert "/network open DSR-0063" in shown
    assert await actions(h) == []
    assert (await young_person(h, "DSR-0063")).rating == "red"


async def test_amber_without_a_keyworker_prompts_a_referral_too(h: Harness) -> None:
    shown = await say(h, PRIYA, '/dsr rate DSR-0051 amber "Placement under strain"')
    assert "keyworking referral" in shown, shown
    shown = await say(h, PRIYA, '/dsr rate DSR-0051 green "Settled"')
    assert "keyworking referral" not in shown, shown


async def test_red_asks_the_chair_for_a_cetr_in_the_network(h: Harness) -> None:
    await open_network(h)  # Kim, a keyworker, opens it and is its keyworker
    shown = await say(h, PRIYA, '/dsr rate DSR-0042 red "Family in crisis"')
    # 10 working days after Mon 23 Nov -> Mon 7 Dec.
    assert await actions(h) == [("Hold a C(E)TR (rated Red)", PRIYA, date(2026, 12, 7), "review")]
    assert "Hold a C(E)TR (rated Red)" in shown and "Mon 7 Dec" in shown, shown
    assert "referral" not in shown  # the network's keyworker counts
    shown = await say(h, PRIYA, "/dsr show DSR-0042")
    assert "1 open action" in shown and "Keyworker: Kim Lee" in shown, shown


async def test_red_explains_when_the_chair_is_not_in_the_network(h: Harness) -> None:
    await open_network(h, with_chair=False)
    shown = await say(h, PRIYA, '/dsr rate DSR-0042 red "Family in crisis"')
    assert "DSR-0042 is now rated Red" in shown, shown
    assert "Priya Shah, the DSR chair, isn't in DSR-0042's network" in shown
    assert f"/network add {PRIYA}" in shown
    assert await actions(h) == []


async def test_red_after_a_recent_cetr_asks_for_no_other(h: Harness) -> None:
    channel = await open_network(h)
    panel = '--chair @priya.shah --clinical-expert "Dr A Khan" --expert-by-experience "R Jones"'
    reply = await h.say(KIM, f"/cetr record cetr 20/11 {panel}", channel=channel)
    assert reply.message.tone == "success", text_of(reply)
    before = await actions(h)
    shown = await say(h, PRIYA, '/dsr rate DSR-0042 red "Family in crisis"')
    assert "A C(E)TR was held on 20/11/2026" in shown, shown
    assert await actions(h) == before


# -- admit and discharge ----------------------------------------------------------


async def test_an_admission_sets_blue_and_schedules_the_post_admission_review(
    h: Harness,
) -> None:
    await open_network(h)
    shown = await say(h, PRIYA, '/dsr admit DSR-0042 20/11 --setting "Oak Ward" --out-of-area')
    assert "DSR-0042 admitted to Oak Ward (out of area) on Fri 20 Nov" in shown, shown
    assert "now rated Blue" in shown
    # 5 working days after Fri 20 Nov -> Fri 27 Nov.
    assert await actions(h) == [
        ("Hold the post-admission C(E)TR", PRIYA, date(2026, 11, 27), "review")
    ]
    assert "Fri 27 Nov" in shown
    assert (await young_person(h, "DSR-0042")).rating == "blue"
    assert (await history(h, "DSR-0042"))[-1] == ("blue", "Admitted to Oak Ward", PRIYA)
    shown = await say(h, PRIYA, "/dsr show DSR-0042")
    assert "In hospital: Oak Ward, out of area, since 20/11/2026 (3 days)" in shown, shown


async def test_admitting_twice_is_refused(h: Harness) -> None:
    await say(h, PRIYA, '/dsr admit DSR-0051 today --setting "Oak Ward"')
    before = await h.count(AuditEvent)
    shown = await say(h, PRIYA, '/dsr admit DSR-0051 today --setting "Elm Ward"')
    assert "already recorded as admitted to Oak Ward since 23/11/2026" in shown, shown
    assert "/dsr discharge DSR-0051" in shown
    assert await h.count(AuditEvent) == before
    assert await h.count(Admission) == 1


async def test_an_admission_without_a_network_says_the_review_was_not_scheduled(
    h: Harness,
) -> None:
    shown = await say(h, PRIYA, '/dsr admit DSR-0051 today --setting "Oak Ward"')
    assert "now rated Blue" in shown, shown
    assert "couldn't schedule the post-admission review: DSR-0051 has no open network" in shown
    assert await actions(h) == []


async def test_an_admission_date_in_the_future_is_refused(h: Harness) -> None:
    shown = await say(h, PRIYA, '/dsr admit DSR-0051 tomorrow --setting "Oak Ward"')
    assert "in the future" in shown, shown
    assert await h.count(Admission) == 0


async def test_discharge_ends_the_episode_and_asks_for_a_new_rating(h: Harness) -> None:
    shown = await say(h, PRIYA, "/dsr discharge DSR-0051 today")
    assert "DSR-0051 has no open admission" in shown, shown
    await say(h, PRIYA, '/dsr admit DSR-0051 16/11 --setting "Oak Ward"')
    shown = await say(h, PRIYA, "/dsr discharge DSR-0051 13/11")
    assert "can't be before that" in shown, shown
    shown = await say(h, PRIYA, "/dsr discharge DSR-0051 today")
    assert "discharged from Oak Ward on Mon 23 Nov (23/11/2026), after 7 days" in shown, shown
    assert "please give a new rating" in shown and "/dsr rate DSR-0051" in shown
    async with h.app.db.reader() as session:
        [episode] = (await session.scalars(select(Admission))).all()
    assert episode.discharged_on == date(2026, 11, 23)
    assert (await young_person(h, "DSR-0051")).rating == "blue"  # left for people to decide
    shown = await say(h, PRIYA, "/dsr show DSR-0051")
    assert "In hospital" not in shown, shown
    # A new episode may now begin.
    shown = await say(h, PRIYA, '/dsr admit DSR-0051 today --setting "Elm Ward"')
    assert "now rated Blue" in shown, shown


# -- keyworker and transition -----------------------------------------------------


async def test_naming_the_keyworker_also_sets_the_open_networks(h: Harness) -> None:
    await open_network(h)
    shown = await say(h, PRIYA, "/dsr keyworker DSR-0042 @ade.okafor")
    assert "Ade Okafor is now DSR-0042's keyworker, here and in #yp-dsr-0042" in shown, shown
    ade = await person_id(h, ADE)
    assert (await young_person(h, "DSR-0042")).keyworker_id == ade
    async with h.app.db.reader() as session:
        network = await session.scalar(select(Network))
        member = await session.scalar(select(NetworkMember).where(NetworkMember.person_id == ade))
    assert network is not None and network.keyworker_id == ade
    assert member is not None and member.removed_at is None
    shown = await say(h, PRIYA, "/dsr keyworker DSR-0042 @ade.okafor")
    assert "already DSR-0042's keyworker" in shown, shown


async def test_the_register_and_the_network_share_one_keyworker(h: Harness) -> None:
    await say(h, PRIYA, "/dsr keyworker DSR-0051 @ade.okafor")
    # Kim is a keyworker too, but DSR-0051 is Ade's: she can't open their network.
    reply = await h.say(KIM, "/network open DSR-0051")
    assert "Only the keyworker (Ade Okafor), a DSR chair or an admin" in text_of(reply)
    reply = await h.say(ADE, "/network open DSR-0051")
    assert reply.switch_to, text_of(reply)
    async with h.app.db.reader() as session:
        network = await session.scalar(select(Network))
    assert network is not None and network.keyworker_id == await person_id(h, ADE)
    await h.say(PRIYA, "/network keyworker @kim.lee", channel=reply.switch_to)
    assert (await young_person(h, "DSR-0051")).keyworker_id == await person_id(h, KIM)


async def test_a_keyworker_without_a_network_is_kept_on_the_register(h: Harness) -> None:
    shown = await say(h, PRIYA, "/dsr keyworker DSR-0051 @kim.lee")
    assert "Kim Lee is now DSR-0051's keyworker." in shown, shown
    shown = await say(h, PRIYA, '/dsr rate DSR-0051 amber "Placement under strain"')
    assert "referral" not in shown, shown


async def test_the_transition_month_is_kept_as_its_first_day(h: Harness) -> None:
    shown = await say(h, PRIYA, "/dsr transition DSR-0042 Mar 2027")
    assert "DSR-0042 turns 18 in March 2027" in shown, shown
    assert (await young_person(h, "DSR-0042")).transition_month == date(2027, 3, 1)
    await say(h, PRIYA, "/dsr transition DSR-0042 04/2027")
    assert (await young_person(h, "DSR-0042")).transition_month == date(2027, 4, 1)
    assert "Turns 18: April 2027" in await say(h, PRIYA, "/dsr show DSR-0042")


# -- list and remove --------------------------------------------------------------


async def test_the_list_runs_red_amber_blue_green_then_unrated(h: Harness) -> None:
    await say(h, PRIYA, ADD)
    assert await list_lines(h) == [
        "DSR-0043",
        "DSR-0042",
        "DSR-0063",
        "DSR-0057",
        "DSR-0051",
        "DSR-0100",
    ]
    shown = await say(h, PRIYA, "/dsr list")
    assert "DSR-0043 — Red — no keyworker" in shown, shown
    assert "DSR-0100 — not rated yet — no keyworker" in shown
    assert await list_lines(h, "/dsr list amber") == ["DSR-0042", "DSR-0063"]
    await say(h, PRIYA, "/dsr keyworker DSR-0063 @kim.lee")
    assert "DSR-0063 — Amber — Kim Lee" in await say(h, PRIYA, "/dsr list")
    assert await list_lines(h, "/dsr list no-keyworker") == [
        "DSR-0043",
        "DSR-0042",
        "DSR-0057",
        "DSR-0051",
        "DSR-0100",
    ]


async def test_removing_someone_archives_them_and_hides_them(h: Harness) -> None:
    shown = await say(h, PRIYA, "/dsr remove DSR-0063 Consent withdrawn")
    assert "DSR-0063 is removed from the register (Consent withdrawn)" in shown, shown
    assert "DSR-0063" not in await list_lines(h)
    assert "DSR-0063" not in await list_lines(h, "/dsr list amber")
    removed = await young_person(h, "DSR-0063")
    assert removed.archived_at is not None and removed.archive_reason == "Consent withdrawn"
    before = await h.count(AuditEvent)
    shown = await say(h, PRIYA, '/dsr rate DSR-0063 red "x"')
    assert "was removed from the register on 23/11/2026" in shown, shown
    shown = await say(h, PRIYA, '/dsr admit DSR-0063 today --setting "Oak Ward"')
    assert "was removed from the register" in shown, shown
    assert await h.count(AuditEvent) == before
    shown = await say(h, PRIYA, "/dsr show DSR-0063")  # the history is kept
    assert "Removed: 23/11/2026: Consent withdrawn" in shown, shown
    shown = await say(h, PRIYA, ADD.replace("DSR-0100", "DSR-0063"))
    assert "please use a new reference" in shown, shown


async def test_help_lists_the_agenda_preview_and_what_is_coming(h: Harness) -> None:
    shown = await say(h, SAM, "/dsr help")
    assert "/dsr rate REF" in shown and "/dsr agenda preview" in shown, shown
    assert "/dsr agenda post" in shown and "/dsr outcome REF" in shown


async def test_flags_show_on_the_list_and_clear_when_the_facts_change(h: Harness) -> None:
    shown = await say(h, PRIYA, "/dsr list")
    assert "DSR-0043 — Red — no keyworker — keyworker needed; C(E)TR needed" in shown, shown
    await say(h, PRIYA, "/dsr keyworker DSR-0043 @kim.lee")
    shown = await say(h, PRIYA, "/dsr list red")
    assert "DSR-0043 — Red — Kim Lee — C(E)TR needed" in shown, shown
    # A child admitted on Fri 20 Nov is due an inpatient review by 20 Feb 2027.
    await say(h, PRIYA, ADD)
    await say(h, PRIYA, "/dsr keyworker DSR-0100 @kim.lee")
    await say(h, PRIYA, "/dsr admit DSR-0100 20/11/2026 --setting Oakview")
    assert "DSR-0100 — Blue — Kim Lee\n" in await say(h, PRIYA, "/dsr list") + "\n"
    h.clock.set(h.clock.now().replace(year=2027, month=2, day=22))
    shown = await say(h, PRIYA, "/dsr show DSR-0100")
    assert "Flags: inpatient review overdue since 20/02/2027" in shown, shown
    assert "rating not reviewed since 23/11/2026" in shown


async def test_the_agenda_preview_is_built_from_the_register_in_a_fixed_number_of_queries(
    h: Harness,
) -> None:
    from sqlalchemy import event

    await open_network(h)
    await say(h, PRIYA, '/dsr rate DSR-0042 red "Placement breaking down"')
    statements: list[str] = []
    event.listen(
        h.app.db.engine.sync_engine,
        "before_cursor_execute",
        lambda *args: statements.append(str(args[2])),
    )
    shown = await say(h, PRIYA, "/dsr agenda preview")
    few = len(statements)
    today = "*DSR review agenda — Demo area (synthetic) — Mon 23 Nov*"
    assert shown.startswith(today), shown
    red = shown.split("*Red*", 1)[1].split("*Amber due review", 1)[0]
    assert "DSR-0042 — Red — Kim Lee" in red and "DSR-0043 — Red — no keyworker" in red
    assert "DSR-0042: now Red (23/11/2026) — Placement breaking down" in shown
    assert "Hold a C(E)TR (rated Red) — due 07/12/2026" in shown
    assert "Red and Amber with a named keyworker: 1 of 3 (33%; target 90%)" in shown

    for n in range(30):  # many more young people: not one more query
        await say(
            h,
            PRIYA,
            f"/dsr add DSR-{200 + n} --age-band 18-25 --consent consent --consent-date 20/11/2026",
        )
    statements.clear()
    shown = await say(h, PRIYA, "/dsr agenda preview")
    assert len(statements) == few
    assert "DSR-229 — not rated — no keyworker" in shown.split("*Blue", 1)[0]
