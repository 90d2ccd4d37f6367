"""Preventive keyworking support (`/dsr support REF preventive|end`) over a
real database: for someone Green on the DSR, or not on it at all, counted in
the quarterly return's section 2 and never on the DSR.

The clock reads Monday 23 November 2026, 10:00 in London. The demo register
holds DSR-0042 (amber), DSR-0043 (red), DSR-0051 (green), DSR-0057 (blue) and
DSR-0063 (amber), none with a keyworker or a network yet.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from commands.report.figures import ByBand, QuarterlyReport
from commands.report.quarters import Quarter
from commands.report.service import quarterly
from store.models import AuditEvent, KeyworkerChange, Register, SupportChange, YoungPerson
from tests.conftest import Harness, text_of

KIM = "kim.lee@example.org"  # keyworker
ADE = "ade.okafor@example.org"  # another keyworker
PRIYA = "priya.shah@example.org"  # DSR chair
NEW = (
    "/dsr support DSR-0100 preventive --age-band under-18 --consent parental "
    "--consent-date 20/11/2026"
)


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness


async def say(h: Harness, email: str, line: str) -> str:
    shown = text_of(await h.say(email, line, channel="general"))
    return "\n".join(" ".join(row.split()) for row in shown.splitlines())


async def young_person(h: Harness, ref: str) -> YoungPerson:
    async with h.app.db.reader() as session:
        found = await session.scalar(select(YoungPerson).where(YoungPerson.reference == ref))
        assert found is not None
        return found


async def report(h: Harness, quarter: Quarter) -> QuarterlyReport:
    services = h.app.services
    async with h.app.db.reader() as session:
        register = await session.scalar(select(Register))
        assert register is not None
        return await quarterly(
            session,
            register=register,
            quarter=quarter,
            today=services.today(),
            calendar=services.calendar,
            policy=services.policy,
        )


async def test_a_keyworker_records_their_own_preventive_work_for_someone_not_on_the_dsr(
    h: Harness,
) -> None:
    said = await say(h, KIM, NEW)
    assert "DSR-0100 is receiving preventive keyworking support from Kim Lee." in said, said
    assert "not on the DSR" in said and "never on the DSR" in said
    assert "/network open DSR-0100" in said
    new = await young_person(h, "DSR-0100")
    assert new.preventive_only and new.support == "preventive" and new.rating is None
    assert (new.age_band, new.consent_basis, new.consent_date) == (
        "under-18",
        "parental",
        date(2026, 11, 20),
    )
    # Their keyworker is Kim, so they can open the network like anyone's.
    opened = await h.say(KIM, "/network open DSR-0100")
    assert opened.switch_to == "yp-dsr-0100", text_of(opened)
    shown = await say(h, KIM, "/dsr show DSR-0100")
    assert "On the DSR: No: preventive keyworking support only" in shown, shown
    assert "Support: preventive, since 23/11/2026" in shown
    assert "Rating" not in shown
    # Never on the DSR: not on the list, the agenda, nor counted on it.
    listed = await say(h, PRIYA, "/dsr list")
    assert "DSR-0100" not in listed
    assert "DSR-0100 — not on the DSR — Kim Lee" in await say(h, PRIYA, "/dsr list preventive")
    assert "DSR-0100" not in await say(h, PRIYA, "/dsr agenda preview")
    figures = await report(h, Quarter(2026, 3))
    # The demo's five: Red, Amber and Green are four, one an inpatient; not DSR-0100.
    assert sum(c.total for c in figures.on_register.values()) == 5
    assert figures.on_register_total.total == 4 and figures.inpatients.total == 1
    assert figures.supported["preventive"].under_18 == 1


async def test_what_only_the_dsr_has_is_refused_for_them_and_adding_them_joins_it(
    h: Harness,
) -> None:
    await say(h, KIM, NEW)
    for line, what in (
        ('/dsr rate DSR-0100 amber "Worse"', "a rating"),
        ('/dsr admit DSR-0100 today --setting "Oak Ward"', "an admission"),
        ("/dsr step-down DSR-0100", "a step-down"),
    ):
        refused = await say(h, PRIYA, line)
        expected = (
            "DSR-0100 isn't on the DSR: they are known for preventive keyworking support only, "
            f"so I can't record {what}"
        )
        assert expected in refused, refused
        assert "/dsr add DSR-0100 --age-band" in refused
    joined = await say(
        h,
        PRIYA,
        "/dsr add DSR-0100 --age-band under-18 --consent parental --consent-date 23/11/2026",
    )
    assert "Added DSR-0100 to the register" in joined, joined
    yp = await young_person(h, "DSR-0100")
    assert not yp.preventive_only and yp.support == "preventive"
    assert yp.keyworker_id is not None  # still Kim's
    assert "DSR-0100 — not rated yet — Kim Lee" in await say(h, PRIYA, "/dsr list")


async def test_preventive_support_is_for_green_or_not_on_the_dsr(h: Harness) -> None:
    refused = await say(h, PRIYA, "/dsr support DSR-0042 preventive @kim.lee")
    assert "DSR-0042 is rated Amber, so their keyworking counts as Amber" in refused, refused
    await say(h, PRIYA, "/dsr keyworker DSR-0051 @ade.okafor")
    # Ade records his own work; naming another keyworker is for a chair (as /dsr keyworker).
    handing = await say(h, ADE, "/dsr support DSR-0051 preventive @kim.lee")
    assert handing.startswith("Only a DSR chair or an admin can name another keyworker"), handing
    early = await say(h, ADE, "/dsr support DSR-0051 preventive --on 20/11")
    assert "DSR-0051 joined the register on 23/11/2026, so preventive support can't" in early
    done = await say(h, ADE, "/dsr support DSR-0051 preventive")
    assert "DSR-0051 is receiving preventive keyworking support from Ade Okafor." in done, done
    assert "DSR-0051 (Green) is counted in the return's preventive support" in done
    again = await say(h, ADE, "/dsr support DSR-0051 preventive")
    assert "already receiving preventive keyworking support" in again
    # Another keyworker can't take someone who is held; Kim can't for Ade's.
    other = await say(h, KIM, "/dsr support DSR-0051 end")
    assert other.startswith("Only the keyworker (Ade Okafor), a DSR chair or an admin"), other
    too_early = await say(h, ADE, "/dsr support DSR-0051 end --on 22/11")
    assert "began on 23/11/2026, so it can't end before that" in too_early, too_early
    ended = await say(h, ADE, "/dsr support DSR-0051 end")
    assert "DSR-0051's preventive keyworking support with Ade Okafor ended." in ended, ended
    assert "it is not a step-down" in ended
    yp = await young_person(h, "DSR-0051")
    assert yp.support is None and yp.keyworker_id is None  # keyworking ended with it
    nothing = await say(h, ADE, "/dsr support DSR-0051 end")
    assert "has no preventive keyworking support recorded" in nothing


async def test_someone_new_needs_an_age_band_and_consent_and_a_pseudonymous_reference(
    h: Harness,
) -> None:
    async with h.app.db.reader() as session:
        audits_before = len((await session.scalars(select(AuditEvent))).all())
    bare = await say(h, KIM, "/dsr support DSR-0100 preventive")
    assert "DSR-0100 isn't on the register" in bare and "--age-band" in bare, bare
    named = await say(
        h,
        KIM,
        "/dsr support Jane-Smith-2011 preventive --age-band under-18 --consent parental "
        "--consent-date 20/11/2026",
    )
    assert "Start with the young person's register reference" in named or (
        "That isn't a register reference this area uses" in named
    ), named
    assert "Jane" not in named
    other = await say(
        h,
        ADE,
        "/dsr support DSR-0100 preventive @kim.lee --age-band under-18 --consent parental "
        "--consent-date 20/11/2026",
    )
    assert other.startswith("Only a DSR chair or an admin can name another keyworker"), other
    async with h.app.db.reader() as session:
        assert len((await session.scalars(select(AuditEvent))).all()) == audits_before
        assert await session.scalar(select(SupportChange)) is None


async def test_support_counts_in_the_quarter_it_was_given_and_ends_with_a_step_down(
    h: Harness,
) -> None:
    consent = "--consent consent --consent-date 01/10/2026"
    # DSR-0100: preventive from 01/10 to 15/10, never on the DSR.
    await say(h, KIM, f"/dsr support DSR-0100 preventive --on 01/10 --age-band under-18 {consent}")
    ended = await say(h, KIM, "/dsr support DSR-0100 end --on 15/10")
    assert "ended (from 15/10/2026)" in ended, ended
    # DSR-0101: preventive from 01/10, joins the DSR today and steps down.
    await say(h, ADE, f"/dsr support DSR-0101 preventive --on 01/10 --age-band 18-25 {consent}")
    await say(h, PRIYA, f"/dsr add DSR-0101 --age-band 18-25 {consent}")
    await say(h, PRIYA, "/dsr step-down DSR-0101")
    yp = await young_person(h, "DSR-0101")
    assert yp.support is None and yp.left_on == date(2026, 11, 23)
    async with h.app.db.reader() as session:
        kinds = (
            await session.scalars(
                select(SupportChange.kind)
                .where(SupportChange.young_person_id == yp.id)
                .order_by(SupportChange.at)
            )
        ).all()
        assert list(kinds) == ["preventive", None]
        changes = (
            await session.scalars(select(KeyworkerChange.keyworker_id).order_by(KeyworkerChange.at))
        ).all()
        assert len(changes) == 3  # Kim for DSR-0100, none from 15/10; Ade for DSR-0101
    q3 = await report(h, Quarter(2026, 3))
    assert q3.supported["preventive"] == ByBand(1, 1)  # at any time in the quarter
    assert q3.stepped_down == ByBand(0, 1)
    assert q3.on_register_total.total == 4  # the demo's; neither of them
    q2 = await report(h, Quarter(2026, 2))
    assert q2.supported["preventive"] == ByBand(0, 0)
