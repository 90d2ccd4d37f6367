"""Email and the one-action page's pure parts: the email renderer (golden
files in golden/email/; run with UPDATE_GOLDEN=1 to accept a deliberate
change), routing (where a delivery goes), the signed links and their CSRF
tokens, the SMTP URL, and the page's HTML."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot import routing
from bot.errors import ConfigError
from bot.links import LinkSigner
from bot.messages import ActionRef, Context, Message, Section
from bot.pages import Field, Form, Page, refusal
from integrations.email.render import Link, render
from integrations.email.smtp import SmtpSender, message_id, parse_url
from integrations.web.render import render as render_page
from tests.unit.test_render_console import assert_matches_golden

TODAY = date(2026, 11, 23)
KEY = "a-test-only-secret-key-of-at-least-32-characters"
REF = ActionRef(action_id=1, reference="DSR-0042", due=date(2026, 11, 25))
LATE = ActionRef(action_id=7, reference="DSR-0043", due=date(2026, 11, 20))
ASSIGNED = Message(
    text="Kim Lee gave you action #1: Send the EHCP draft to the family, due Wed 25 Nov.",
    blocks=(
        Section(text="Kim Lee gave you action #1: Send the EHCP draft to the family."),
        Context(text="Mark it done with /action done 1 when it's finished."),
    ),
    actions=(REF,),
)


def links(*refs: ActionRef) -> list[Link]:
    return [
        Link(action=r, url=f"https://teamaround.example.org/a/ta1.x{r.action_id}.y") for r in refs
    ]


def test_link_only_holds_the_link_and_due_date_never_the_action_text() -> None:
    email = render(ASSIGNED, content="link-only", links=links(REF), today=TODAY, link_days=14)
    assert email.subject == "DSR-0042: an action for you"
    assert "EHCP" not in email.subject + email.text + email.html
    assert_matches_golden("email/assigned_link_only.txt", email.text)
    assert_matches_golden("email/assigned_link_only.html", email.html)


def test_full_content_adds_the_message_and_a_bundle_says_how_many() -> None:
    chase = ASSIGNED.model_copy(update={"actions": (REF, LATE)})
    email = render(chase, content="full", links=links(REF, LATE), today=TODAY, link_days=14)
    assert email.subject == "DSR-0042, DSR-0043: actions for you"
    assert "EHCP" not in email.subject and "Send the EHCP draft" in email.text
    assert "Action #7 (DSR-0043), due Fri 20 Nov (overdue)" in email.text
    assert_matches_golden("email/bundle_full.txt", email.text)


def test_html_of_an_email_escapes_what_people_typed() -> None:
    typed = Message(text="<script>x</script>", blocks=(Section(text="<b>x</b> & co"),))
    email = render(typed, content="full", links=[], today=TODAY, link_days=14)
    assert "<b>x</b>" not in email.html and "&lt;b&gt;x&lt;/b&gt; &amp; co" in email.html
    assert email.subject == "Teamaround: a message for you"


def ways(**accounts: str) -> routing.Person:
    return routing.Person(person_id=3, email="jo.hughes@example.org", accounts=accounts)


@pytest.mark.parametrize(
    ("person", "platforms", "expected"),
    [
        (ways(slack="U1"), ("slack", "email"), ("slack", "U1")),
        (ways(), ("slack", "email"), ("slack", "")),  # Slack finds them by email, or says not
        (ways(), ("email",), ("email", "")),  # Slack said they aren't there: email
        (ways(teams="29:x"), ("slack", "teams", "email"), ("teams", "29:x")),
        (
            routing.Person(3, "jo.hughes@example.org", {"slack": "U1"}, "email"),
            ("slack", "email"),
            ("email", ""),
        ),
        (
            routing.Person(3, "jo.hughes@example.org", {"slack": "U1"}, "email"),
            ("slack",),
            ("slack", "U1"),
        ),
        (ways(), ("console",), ("console", "jo.hughes@example.org")),
    ],
)
def test_one_function_says_where_a_person_is_reached(
    person: routing.Person, platforms: tuple[str, ...], expected: tuple[str, str]
) -> None:
    address = routing.route(person, platforms=platforms)
    assert not isinstance(address, routing.Unroutable)
    assert (address.platform, address.conversation_id) == expected
    assert address.person_id == 3 and address.email == "jo.hughes@example.org"


def test_nobody_reachable_and_a_space_not_yet_made_are_said_plainly() -> None:
    nowhere = routing.route(ways(), platforms=())
    assert isinstance(nowhere, routing.Unroutable) and nowhere.wait_seconds is None
    waiting = routing.route(routing.Space("slack", None, "yp-dsr-0042"), platforms=("slack",))
    assert isinstance(waiting, routing.Unroutable) and waiting.wait_seconds is not None


def test_a_link_reads_back_only_as_issued() -> None:
    signer = LinkSigner(KEY)
    at = datetime(2026, 11, 23, 10, tzinfo=UTC)
    token = signer.issue(action_id=12, person_id=34, at=at)
    claims = signer.read(token)
    assert claims is not None and (claims.action_id, claims.person_id, claims.issued_at) == (
        12,
        34,
        at,
    )
    other = signer.issue(action_id=13, person_id=34, at=at)
    prefix, _body, mac = token.split(".")
    forged = ".".join((prefix, other.split(".")[1], mac))  # another action, the old signature
    for bad in (
        forged,
        token[:-1],
        token + "x",
        "ta1.a.b",
        "",
        LinkSigner(KEY + "!").issue(action_id=12, person_id=34, at=at),
    ):
        assert signer.read(bad) is None, bad
    assert (
        signer.read(signer.issue(action_id=12, person_id=34, at=at + timedelta(days=1))) is not None
    )


def test_a_form_token_fits_only_its_own_page() -> None:
    signer = LinkSigner(KEY)
    at = datetime(2026, 11, 23, 10, tzinfo=UTC)
    mine = signer.issue(action_id=1, person_id=1, at=at)
    theirs = signer.issue(action_id=1, person_id=2, at=at)
    csrf = signer.form_token(mine)
    assert signer.form_nonce(mine, csrf) == csrf.split(".")[0]
    assert signer.form_nonce(theirs, csrf) is None
    assert signer.form_nonce(mine, "") is None and signer.form_nonce(mine, "nonce.") is None
    assert signer.form_token(mine) != csrf  # a fresh nonce per page


def test_the_smtp_url_requires_tls_except_on_this_host() -> None:
    assert parse_url("smtp://u:p%40ss@relay.example.org:587").starttls
    target = parse_url("smtps://relay.example.org")
    assert target.implicit_tls and target.port == 465 and not target.starttls
    local = parse_url("smtp://127.0.0.1:2525?tls=off")
    assert not local.starttls and not local.implicit_tls
    assert parse_url("smtp://u:p%40ss@relay.example.org").password == "p@ss"
    with pytest.raises(ConfigError, match="only for a relay on this host"):
        parse_url("smtp://relay.example.org:25?tls=off")
    with pytest.raises(ConfigError):
        parse_url("http://relay.example.org")


def test_a_delivery_keeps_its_message_id_on_every_attempt() -> None:
    one = message_id("dm:assigned:1:5", "Teamaround <teamaround@example.org>")
    assert one == message_id("dm:assigned:1:5", "teamaround@example.org")
    assert one != message_id("dm:assigned:1:6", "teamaround@example.org")
    assert one.endswith("@example.org>") and "assigned" not in one
    sender = SmtpSender(url="smtp://127.0.0.1:2525?tls=off", sender="teamaround@example.org")
    email = render(ASSIGNED, content="link-only", links=links(REF), today=TODAY, link_days=14)
    mail = sender.build(to="jo.hughes@example.org", email=email, key="dm:assigned:1:5")
    assert mail["Message-ID"] == one and mail["Auto-Submitted"] == "auto-generated"


def test_the_page_is_labelled_html_with_no_script_and_refusals_have_no_forms() -> None:
    page = Page(
        title="Action #1",
        action_text="<b>Send</b> the draft",
        forms=(
            Form(
                name="done",
                title="Mark it done",
                fields=(
                    Field(
                        name="evidence",
                        label="What was done",
                        kind="textarea",
                        hint="The evidence",
                        required=True,
                    ),
                ),
            ),
        ),
        form_token="n.m",
    )
    html = render_page(page, action_url="/a/ta1.x.y")
    assert '<html lang="en-GB">' in html and "<script" not in html
    assert '<label for="done-evidence">What was done</label>' in html
    assert 'aria-describedby="done-evidence-hint"' in html
    assert (
        "&lt;b&gt;Send&lt;/b&gt;" in html
        and '<input type="hidden" name="csrf" value="n.m">' in html
    )
    refused = render_page(
        refusal(title="This link has expired", why="Too old.", ask="Ask Kim.", status=410),
        action_url="/a/x",
    )
    assert "<form" not in refused and "<h1>This link has expired</h1>" in refused
