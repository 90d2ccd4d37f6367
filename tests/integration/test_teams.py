"""Teamaround in Microsoft Teams, end to end against the fake Teams on loopback:
real HTTP to /api/messages with minted JWTs, msal tokens from the fake Entra,
Bot Connector and Graph calls through the outbox relay."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from store.models import Action, AuditEvent, Outbox
from tests.fakes.teams import DEFAULT_APP_ID, FakeActivity
from tests.integration.teams_harness import TeamsRig, running

KIM = "kim.lee@example.org"
SAM = "sam.patel@example.org"
JO = "jo.hughes@example.org"
PRIYA = "priya.shah@example.org"
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
async def rig(migrated_url: str) -> AsyncIterator[TeamsRig]:
    async with running(migrated_url) as rig:
        yield rig


async def open_network(rig: TeamsRig) -> str:
    """Kim opens DSR-0042 from her 1:1 chat with Sam and Jo; returns the group chat id."""
    kim_chat = rig.personal(KIM)
    status = await rig.say(KIM, kim_chat, f"network open DSR-0042 --members {SAM} {JO}")
    assert status == 200
    assert "yp-dsr-0042" in rig.texts(kim_chat)[-1]
    await rig.deliver()
    chat = rig.teams.chat_with_topic("yp-dsr-0042")
    assert chat is not None, [c.topic for c in rig.teams.conversations.values()]
    return chat.id


def cards_in(rig: TeamsRig, conversation_id: str, word: str) -> list[FakeActivity]:
    """The bot's posts (not its replies to commands) whose card mentions ``word``."""
    return [
        a
        for a in rig.teams.messages_in(conversation_id, from_bot=True)
        if a.cards and word in json.dumps(a.cards) and a.reply_to_id is None
    ]


async def assign(rig: TeamsRig, chat_id: str, text: str = "Send the EHCP draft by Friday") -> Any:
    status = await rig.say(KIM, chat_id, f"action assign @{SAM} {text}", mentions=[SAM])
    assert status == 200
    # If refused, why is in Kim's 1:1 chat with the bot.
    assert "Action #1" in rig.texts(chat_id)[-1], rig.texts(rig.personal(KIM))[-1:]
    await rig.deliver()
    cards = cards_in(rig, chat_id, "Action #1")
    assert len(cards) == 1
    return cards[0]


async def test_opening_a_network_creates_a_group_chat_with_its_members_and_a_pinned_card(
    rig: TeamsRig,
) -> None:
    chat_id = await open_network(rig)
    chat = rig.teams.conversations[chat_id]
    members = {rig.teams.users[user_id].email for user_id in chat.members}
    assert members == {KIM, SAM, JO}
    assert rig.teams.bot_in(chat_id)  # the app was installed in the chat
    pinned = rig.teams.pinned_in(chat_id)
    assert len(pinned) == 1
    assert "DSR-0042" in json.dumps(pinned[0].cards)
    assert len(rig.teams.calls_to("create_chat")) == 1
    # Sam and Jo were told, each in their own 1:1 chat with the bot.
    sam_chat = rig.teams.personal_conversation(rig.users[SAM])
    assert any("DSR-0042" in text for text in rig.texts(sam_chat))


async def test_a_keyworker_alone_waits_for_a_second_member_then_the_chat_starts(
    rig: TeamsRig,
) -> None:
    kim_chat = rig.personal(KIM)
    assert await rig.say(KIM, kim_chat, "network open DSR-0042") == 200
    report = await rig.deliver()
    assert report.retried >= 1 and rig.teams.chat_with_topic("yp-dsr-0042") is None
    assert await rig.say(KIM, kim_chat, f"network add {SAM} --network DSR-0042") == 200
    assert "Added Sam Patel" in rig.texts(kim_chat)[-1]
    rig.clock.advance(timedelta(minutes=1))
    await rig.deliver()
    chat = rig.teams.chat_with_topic("yp-dsr-0042")
    assert chat is not None
    assert {rig.teams.users[u].email for u in chat.members} == {KIM, SAM}
    async with rig.app.db.reader() as session:
        dead = await session.scalar(select(func.count()).where(Outbox.status == "dead"))
    assert dead == 0


async def test_assign_by_mention_and_complete_by_card_button_edits_the_card_in_place(
    rig: TeamsRig,
) -> None:
    chat_id = await open_network(rig)
    card = await assign(rig, chat_id, "Send the **EHCP** draft <at>Jo Hughes</at> by Friday")
    body = json.dumps(card.cards)
    assert "\\\\*\\\\*EHCP\\\\*\\\\*" in body  # typed markdown is shown, not applied
    assert "Jo Hughes" in body
    assert not card.cards[0].get("msteams", {}).get("entities")  # typed <at> pings nobody
    # The owner is told 1:1, and the message opens the card.
    sam_chat = rig.teams.personal_conversation(rig.users[SAM])
    dm = [
        a for a in rig.teams.messages_in(sam_chat, from_bot=True) if "EHCP" in json.dumps(a.cards)
    ]
    assert len(dm) == 1
    assert "teams.microsoft.com/l/message/" in json.dumps(dm[0].cards)

    status = await rig.submit(
        SAM,
        chat_id,
        card,
        {"teamaround": "action.done", "value": "1", "evidence": "Sent by secure email"},
    )
    assert status == 200
    await rig.deliver()
    assert card.updates >= 1  # edited in place, not posted again
    assert "Done" in json.dumps(card.cards)
    assert cards_in(rig, chat_id, "Action #1") == [card]
    async with rig.app.db.reader() as session:
        action = await session.scalar(select(Action))
    assert action is not None and action.status == "done"


async def test_updating_and_changing_the_due_date_work_by_mention_and_by_form(
    rig: TeamsRig,
) -> None:
    chat_id = await open_network(rig)
    card = await assign(rig, chat_id)
    assert await rig.say(SAM, chat_id, "action update 1 Draft with the family now") == 200
    status = await rig.submit(
        KIM,  # the keyworker agrees new dates
        chat_id,
        card,
        {
            "teamaround": "action.due",
            "value": "1:2026-11-27",
            "due": "2026-12-04",
            "reason": "Waiting for the school's report",
        },
    )
    assert status == 200
    await rig.deliver()
    text = json.dumps(card.cards)
    assert "Draft with the family now" in text
    assert "Fri 4 Dec" in text


async def test_a_bad_command_gets_a_kind_reply_and_changes_nothing(rig: TeamsRig) -> None:
    chat_id = await open_network(rig)
    assert await rig.say(KIM, chat_id, "action assign nobody do a thing by someday") == 200
    # The group chat hears only that it failed; why goes to the asker alone.
    assert "I've told you why in your chat with me" in rig.texts(chat_id)[-1]
    reply = rig.texts(rig.teams.personal_conversation(rig.users[KIM]))[-1]
    assert "For example" in reply or "Try" in reply
    assert await rig.say(KIM, chat_id, "hello there") == 200
    assert "Mention me with a command" in rig.texts(chat_id)[-1]
    async with rig.app.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Action)) == 0


FORGERIES: list[dict[str, Any]] = [
    {"audience": "11111111-2222-4333-8444-555555555555"},
    {"issuer": "https://sts.windows.net/evil/"},
    {"expired": True},
    {"unendorsed": True},
    {"service_url": "https://evil.example/"},
    {"alg": "none"},
    {"alg": "HS256"},
    {"token": ""},
    {"token": "not-a-jwt"},
    # Microsoft's JwtTokenValidation compares aud to the app id: a list is refused,
    # even one holding our id; and the header must be exactly "Bearer <token>".
    {"claims": {"aud": [DEFAULT_APP_ID]}},
    {"claims": {"aud": [DEFAULT_APP_ID, "another-app"]}},
    {"scheme": "bearer "},
    {"scheme": "Bearer  "},
    {"scheme": "Bearer\t"},
    {"drop": ["exp"]},  # stricter than Microsoft: exp is required
]


@pytest.mark.parametrize(
    "forgery", FORGERIES, ids=lambda f: next(iter(f)) + "=" + str(next(iter(f.values())))
)
async def test_a_forged_or_expired_token_gets_401_and_changes_nothing(
    rig: TeamsRig, forgery: dict[str, Any]
) -> None:
    chat_id = await open_network(rig)
    async with rig.app.db.reader() as session:
        audits = await session.scalar(select(func.count()).select_from(AuditEvent))
    before = len(rig.teams.messages_in(chat_id, from_bot=True))
    activity = rig.teams.message_activity(
        rig.users[KIM],
        chat_id,
        "action assign <at>Sam Patel</at> Forged by Friday",
        mentions=[rig.users[SAM]],
    )
    status, _ = await rig.teams.deliver(rig.endpoint, activity, **forgery)
    assert status == 401
    await rig.deliver()
    async with rig.app.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Action)) == 0
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == audits
    assert len(rig.teams.messages_in(chat_id, from_bot=True)) == before


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
async def test_tokens_signed_with_any_algorithm_microsoft_allows_are_accepted(
    rig: TeamsRig, alg: str
) -> None:
    kim_chat = rig.personal(KIM)
    assert await rig.say(KIM, kim_chat, "network help", alg=alg) == 200
    assert "network" in rig.texts(kim_chat)[-1].lower()


async def test_signing_keys_are_cached_and_fetched_again_for_a_new_key(rig: TeamsRig) -> None:
    kim_chat = rig.personal(KIM)
    assert await rig.say(KIM, kim_chat, "action help") == 200
    assert await rig.say(KIM, kim_chat, "network help") == 200
    assert rig.teams.jwks_fetches == 1
    rig.teams.issuer.rotate()  # Microsoft starts signing with a key we haven't seen
    assert await rig.say(KIM, kim_chat, "cetr help") == 200
    assert rig.teams.jwks_fetches == 2
    # A key nobody publishes is refused without another fetch this hour.
    assert await rig.say(KIM, kim_chat, "dsr help", unpublished=True) == 401
    assert rig.teams.jwks_fetches == 2


async def test_a_repeated_activity_is_handled_once(rig: TeamsRig) -> None:
    chat_id = await open_network(rig)
    activity = rig.teams.message_activity(
        rig.users[KIM],
        chat_id,
        "action assign <at>Sam Patel</at> Book the review by Friday",
        mentions=[rig.users[SAM]],
    )
    for _ in range(2):
        status, _ = await rig.teams.deliver(rig.endpoint, activity)
        assert status == 200
    async with rig.app.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Action)) == 1


async def test_chases_mention_the_owner_and_reminders_reach_them_in_teams(rig: TeamsRig) -> None:
    from commands.action.jobs import run_chase, run_reminders

    chat_id = await open_network(rig)
    await assign(rig, chat_id, "Send the EHCP draft by 25/11")
    sam_chat = rig.teams.personal_conversation(rig.users[SAM])
    rig.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=LONDON))
    await run_reminders(rig.app.services, now=rig.clock.now())
    await rig.deliver()
    assert any("due" in t.lower() and "EHCP" in t for t in rig.texts(sam_chat))

    rig.clock.set(datetime(2026, 11, 26, 9, 30, tzinfo=LONDON))
    await run_chase(rig.app.services, now=rig.clock.now())
    await rig.deliver()
    digest = rig.teams.messages_in(chat_id, from_bot=True)[-1]
    assert "Overdue actions for DSR-0042" in json.dumps(digest.cards)
    entities = digest.cards[0]["msteams"]["entities"]
    assert [e["mentioned"]["id"] for e in entities] == [rig.users[SAM].id]


async def test_the_weekly_agenda_reaches_the_chair_in_teams(rig: TeamsRig) -> None:
    from commands.dsr.jobs import run_agenda

    await open_network(rig)
    report = await run_agenda(rig.app.services, now=datetime(2026, 11, 23, 9, 30, tzinfo=LONDON))
    assert report
    await rig.deliver()
    priya_chat = rig.teams.personal_conversation(rig.users[PRIYA])
    texts = rig.texts(priya_chat)
    assert any("DSR review" in t or "agenda" in t.lower() for t in texts), texts
    assert rig.users[PRIYA].app_installed  # installed for her through Graph to reach her


async def test_someone_outside_the_organisation_is_reported_and_the_rest_proceed(
    rig: TeamsRig,
) -> None:
    rig.users[JO].in_tenant = False  # a guest Graph can't see
    chat_id = await open_network(rig)
    members = {rig.teams.users[u].email for u in rig.teams.conversations[chat_id].members}
    assert members == {KIM, SAM}
    await rig.deliver()
    assert any(
        "jo.hughes@example.org isn't in this organisation's Microsoft 365 directory" in t
        for t in rig.texts(chat_id)
    )


async def test_rate_limits_and_gateway_errors_are_retried_and_each_message_lands_once(
    rig: TeamsRig,
) -> None:
    chat_id = await open_network(rig)

    assert (
        await rig.say(
            KIM, chat_id, f"action assign @{SAM} Book the review by Friday", mentions=[SAM]
        )
        == 200
    )
    rig.teams.fail_next("connector", status=429, times=1, retry_after=2)
    rig.teams.fail_next("connector", status=502, times=1)
    for _ in range(6):
        await rig.deliver()
        rig.clock.advance(timedelta(minutes=2))
    assert len(cards_in(rig, chat_id, "Action #1")) == 1


async def test_when_the_app_is_removed_from_the_chat_it_is_put_back_and_nothing_is_lost(
    rig: TeamsRig,
) -> None:
    chat_id = await open_network(rig)
    chat = rig.teams.conversations[chat_id]
    chat.apps.clear()  # someone removed the app from the chat
    chat.bot_installed = False
    assert await rig.say(KIM, rig.personal(KIM), f"network add {PRIYA} --network DSR-0042") == 200
    report = await rig.deliver()
    assert report.retried >= 1  # the card edit met 403 BotNotInConversationRoster
    assert rig.teams.bot_in(chat_id)  # … and Teamaround put itself back
    rig.clock.advance(timedelta(minutes=1))
    await rig.deliver()
    pinned = rig.teams.pinned_in(chat_id)[0]
    assert "Priya Shah" in json.dumps(pinned.cards)  # the card edit landed after all
    async with rig.app.db.reader() as session:
        assert await session.scalar(select(func.count()).where(Outbox.status == "dead")) == 0


async def test_a_person_who_blocked_the_bot_is_parked_with_a_clear_reason(rig: TeamsRig) -> None:
    rig.users[SAM].blocked_bot = True
    await open_network(rig)
    async with rig.app.db.reader() as session:
        dead = (await session.scalars(select(Outbox).where(Outbox.status == "dead"))).all()
    assert [r.idempotency_key.split(":")[0] for r in dead] == ["dm"]
    assert "ConversationBlockedByUser" in (dead[0].last_error or "")


async def test_a_message_too_big_for_teams_is_sent_shortened(rig: TeamsRig) -> None:
    chat_id = await open_network(rig)
    rig.teams.max_activity_bytes = 3000
    assert (
        await rig.say(
            KIM, chat_id, f"action assign @{SAM} Book the review by Friday", mentions=[SAM]
        )
        == 200
    )
    await rig.deliver()
    last = rig.teams.messages_in(chat_id, from_bot=True)[-1]
    assert "Action #1" in last.text and not last.cards


async def test_installing_in_a_team_remembers_how_to_reach_its_channel(rig: TeamsRig) -> None:
    from integrations.teams.references import References

    team = rig.teams.add_team("Keyworking", members=[rig.users[KIM]], bot_installed=True)
    general = rig.teams.teams[team].general_channel_id
    update = rig.teams.conversation_update_activity(general)
    status, _ = await rig.teams.deliver(rig.endpoint, update)
    assert status == 200
    reference = await References(rig.app.db).get(general)
    assert reference is not None
    assert (reference.kind, reference.team_id) == ("channel", team)
    assert reference.service_url == rig.teams.service_url


async def test_a_wrong_client_secret_parks_messages_with_the_reason_and_no_secret(
    migrated_url: str,
) -> None:
    async with running(migrated_url) as rig:
        chat_id = await open_network(rig)
        status = await rig.say(
            KIM, chat_id, f"action assign @{SAM} Ring the school by Friday", mentions=[SAM]
        )
        assert status == 200
        secret = rig.teams.app_password
        rig.teams.app_password = "rotated-in-the-portal"  # ours is now the wrong one
        rig.teams.expire_tokens()
        await rig.deliver()
        async with rig.app.db.reader() as session:
            dead = (await session.scalars(select(Outbox).where(Outbox.status == "dead"))).all()
        assert dead  # not retried for ever: a wrong secret won't fix itself
        assert all("Entra refused a token (invalid_client)" in (r.last_error or "") for r in dead)
        assert all(secret not in (r.last_error or "") for r in dead)


async def test_register_answers_asked_in_a_shared_chat_go_to_the_asker_privately(
    rig: TeamsRig,
) -> None:
    chat_id = await open_network(rig)
    assert await rig.say(KIM, chat_id, f"network add @{PRIYA}", mentions=[PRIYA]) == 200
    await rig.deliver()
    assert await rig.say(PRIYA, chat_id, "dsr list") == 200
    assert "I've sent you the answer in your chat with me." in rig.texts(chat_id)[-1]
    assert "DSR-0043" not in "\n".join(rig.texts(chat_id))  # the register stays private
    priya_chat = rig.teams.personal_conversation(rig.users[PRIYA])
    assert "DSR-0043" in rig.texts(priya_chat)[-1]


async def test_the_chair_gets_the_quarterly_report_with_its_pictures_in_teams(
    rig: TeamsRig,
) -> None:
    priya_chat = rig.personal(PRIYA)
    assert await rig.say(PRIYA, priya_chat, "dsr report") == 200
    await rig.deliver()
    [summary] = [
        a for a in rig.teams.messages_in(priya_chat, from_bot=True) if "Quarterly" in a.text
    ]
    card = json.dumps(summary.cards)
    assert "Q2 2026/27" in card
    assert card.count("data:image/png;base64,") >= 1  # pictures shown in the card
    # Documents Teams can't carry are named, with where to get them.
    assert "keyworking-2026-27-q2.xlsx" in card and "administrator" in card


async def test_only_teams_activities_from_our_own_tenant_are_accepted(rig: TeamsRig) -> None:
    kim_chat = rig.personal(KIM)
    elsewhere = rig.teams.message_activity(rig.users[KIM], kim_chat, "network help")
    elsewhere["conversation"]["tenantId"] = "00000000-0000-4000-8000-000000000bad"
    elsewhere["channelData"]["tenant"]["id"] = "00000000-0000-4000-8000-000000000bad"
    status, _ = await rig.teams.deliver(rig.endpoint, elsewhere)
    assert status == 401
    webchat = rig.teams.message_activity(rig.users[KIM], kim_chat, "network help")
    webchat["channelId"] = "webchat"  # where a sender could choose its own ids
    status, _ = await rig.teams.deliver(rig.endpoint, webchat)
    assert status == 401
    assert not rig.texts(kim_chat)  # nothing was answered


async def test_when_microsoft_cannot_be_reached_requests_are_refused_without_piling_up(
    rig: TeamsRig,
) -> None:
    kim_chat = rig.personal(KIM)
    rig.teams.outage(service="botframework")
    for _ in range(3):
        assert await rig.say(KIM, kim_chat, "network help") == 401
    assert rig.teams.metadata_fetches <= 1  # one try, then a pause, not one per request


async def test_an_oversized_request_is_refused_before_it_is_read_or_checked(
    rig: TeamsRig,
) -> None:
    response = await rig.http.post("/api/messages", content=b"x" * (300 * 1024))
    assert response.status_code == 413
    assert rig.teams.metadata_fetches == 0  # refused before any token check


async def test_the_line_manager_acts_from_the_escalation_card_in_their_1to1_chat(
    rig: TeamsRig,
) -> None:
    """Stage 2 asks Sam's line manager, Morgan Reed, who is not in the group
    chat: their 1:1 chat gets the action with its buttons; Open shows it there,
    Add update edits the card in the network's chat."""
    from datetime import date

    from commands.action.jobs import run_chase

    morgan = "morgan.reed@example.org"
    chat_id = await open_network(rig)
    card = await assign(rig, chat_id, "Send the EHCP draft by 25/11")
    morgan_chat = rig.personal(morgan)
    for day in (date(2026, 11, 26), date(2026, 11, 30)):  # stage 1, then stage 2
        rig.clock.set(datetime(day.year, day.month, day.day, 9, 30, tzinfo=LONDON))
        await run_chase(rig.app.services, now=rig.clock.now())
        await rig.deliver()
    [escalation] = [
        a
        for a in rig.teams.messages_in(morgan_chat, from_bot=True)
        if "need you" in json.dumps(a.cards)
    ]
    assert '"teamaround": "action.show"' in json.dumps(escalation.cards)

    status = await rig.submit(
        morgan, morgan_chat, escalation, {"teamaround": "action.show", "value": "1"}
    )
    assert status == 200
    shown = rig.texts(morgan_chat)[-1]
    assert "Send the EHCP draft" in shown and "Kim Lee" in shown, shown

    status = await rig.submit(
        morgan,
        morgan_chat,
        escalation,
        {"teamaround": "action.update", "value": "1", "note": "Spoke to Sam: Friday"},
    )
    assert status == 200
    assert "Update added to action #1." in rig.texts(morgan_chat)[-1]
    await rig.deliver()
    assert "Spoke to Sam: Friday" in json.dumps(card.cards)  # edited in the network's chat


async def test_a_rating_typed_in_a_network_chat_goes_to_the_asker_alone(rig: TeamsRig) -> None:
    chat_id = await open_network(rig)
    assert await rig.say(KIM, chat_id, f"network add @{PRIYA}", mentions=[PRIYA]) == 200
    await rig.deliver()
    assert await rig.say(PRIYA, chat_id, 'dsr rate DSR-0043 red "Crisis at home"') == 200
    assert "I've sent you the answer in your chat with me." in rig.texts(chat_id)[-1]
    assert "now rated Red" not in "\n".join(rig.texts(chat_id))
    priya_chat = rig.teams.personal_conversation(rig.users[PRIYA])
    assert "DSR-0043 is now rated Red" in rig.texts(priya_chat)[-1]


async def test_an_answer_met_by_a_rate_limit_is_sent_after_the_wait_and_logged_as_no_error(
    rig: TeamsRig, caplog: pytest.LogCaptureFixture
) -> None:
    kim_chat = rig.personal(KIM)
    rig.teams.fail_next("reply", status=429, times=2, retry_after=0)

    assert await rig.say(KIM, kim_chat, "help") == 200

    assert "action assign @Sam" in rig.texts(kim_chat)[-1]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_answer_the_platform_keeps_refusing_is_a_warning_with_a_reference(
    rig: TeamsRig, caplog: pytest.LogCaptureFixture
) -> None:
    kim_chat = rig.personal(KIM)
    rig.teams.fail_next("reply", status=503, times=3, retry_after=0)

    assert await rig.say(KIM, kim_chat, "help") == 200

    assert rig.texts(kim_chat) == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    (warning,) = [r for r in caplog.records if "reply was not delivered" in r.getMessage()]
    assert "after 3 tries (HTTP 503)" in warning.getMessage()
    assert getattr(warning, "reference", "").startswith("TA-")
