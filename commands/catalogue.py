"""Every command's help, written once.

Each line is a sub-command with its permission entry (``commands/authority``),
so the help in chat says who may run it. The same lines, in neutral form
(:func:`neutral`), become the Slack manifest's descriptions and usage hints
and the Teams app's command lists (``teamaround manifest slack|teams``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.help import CommandHelp, Space, Usage
from bot.messages import Message, help_card
from bot.policy import Policy
from commands.authority import Role, Verb, policy_allows, who_may

GROUP: tuple[Space, ...] = ("group",)
PERSONAL: tuple[Space, ...] = ("personal",)
BOTH: tuple[Space, ...] = ("group", "personal")


@dataclass(frozen=True)
class Line:
    """A sub-command (with its permission entry), or a note (``verb=None``)."""

    verb: Verb | None
    usage: Usage


@dataclass(frozen=True)
class Command:
    name: str
    title: str  # the help card's header
    summary: str  # one line: what the command is for
    lines: tuple[Line, ...]


def _do(verb: Verb, words: str, does: str, spaces: tuple[Space, ...] = ()) -> Line:
    return Line(verb, Usage(words, does, spaces))


def _note(text: str) -> Line:
    return Line(None, Usage(text, ""))


NETWORK = Command(
    name="network",
    title="Networks: the professionals around one young person",
    summary="The private space for the professionals around one young person",
    lines=(
        _do(
            Verb.NETWORK_OPEN,
            "open REF [--keyworker @person] [--members @a @b]",
            "open a young person's network space",
            GROUP,
        ),
        _do(
            Verb.NETWORK_ADD,
            'add @a @b [--role "SENCo"] [--network REF]',
            "add professionals to this (or REF's) network; each is told",
            GROUP,
        ),
        _do(
            Verb.NETWORK_REMOVE, "remove @person", "take someone out of this network; they are told"
        ),
        _do(
            Verb.NETWORK_KEYWORKER,
            "keyworker @person",
            "name the keyworker; the one before is told",
        ),
        _do(Verb.NETWORK_SHOW, "show", "who is involved, and the open actions", GROUP),
        _do(
            Verb.NETWORK_CLOSE,
            'close --reason stepped-down|moved|other "note"',
            "close the network",
        ),
    ),
)

ACTION = Command(
    name="action",
    title="Actions: every action has one owner and a due date",
    summary="Give someone an action with a due date, and follow it until it is done",
    lines=(
        _do(
            Verb.ACTION_ASSIGN,
            "assign @owner WHAT by WHEN [--agency NAME]",
            "give someone an action",
            GROUP,
        ),
        _do(
            Verb.ACTION_LIST,
            "list [overdue|all|@person]",
            "this network's open actions (all: with done and cancelled ones)",
            GROUP,
        ),
        _do(
            Verb.ACTION_LIST_MINE,
            "list mine",
            "your open actions across your networks, and those escalated to you",
            PERSONAL,
        ),
        _do(Verb.ACTION_SHOW, "show ID", "the action and its history", BOTH),
        _do(Verb.ACTION_DONE, "done ID [evidence]", "mark it done, saying what was done", BOTH),
        _do(
            Verb.ACTION_UPDATE,
            "update ID NOTE [--until DATE]",
            "add a progress update; --until proposes a new date and chasing waits until then",
            BOTH,
        ),
        _do(Verb.ACTION_DUE, "due ID DATE [reason]", "change the due date", GROUP),
        _do(
            Verb.ACTION_REASSIGN,
            "reassign ID @person [reason]",
            "give it to someone else",
            GROUP,
        ),
        _do(Verb.ACTION_CANCEL, "cancel ID reason", "cancel it, saying why"),
        _do(Verb.ACTION_CHASE, "chase ID", "ask the owner for an update now"),
        _do(
            Verb.ACTION_ESCALATE,
            "escalate ID [--stage N] REASON",
            "escalate now, skipping stages if risk is immediate",
        ),
        _do(
            Verb.ACTION_SNOOZE,
            "snooze ID DATE REASON",
            "pause chasing for a few working days",
        ),
        _do(
            Verb.ACTION_REVOKE_LINK,
            "revoke-link ID @person",
            "stop the links to this action emailed to someone (later emails carry new ones)",
        ),
        _note(
            "Dates: 12/12, 12/12/2026, 12 Dec, Friday, next Friday, tomorrow, in 2 weeks, "
            "in 5 working days, end of month."
        ),
    ),
)

CETR = Command(
    name="cetr",
    title="Reviews: C(E)TRs and their recommendations",
    summary="Care (Education) and Treatment Reviews and their recommendations",
    lines=(
        _do(
            Verb.CETR_RECORD,
            'record TYPE DATE --chair @person --clinical-expert "Name" '
            '--expert-by-experience "Name" [--delegated] [--secure]',
            "record a review that was held; creates its follow-ups",
            GROUP,
        ),
        _note(
            "Types: community-cetr, community-ctr, inpatient, post-admission, laep "
            "(a LAEP meeting needs only a chair)"
        ),
        _do(
            Verb.CETR_REC,
            "rec ID @owner WHAT by WHEN [--agency NAME]",
            "add a recommendation as an action",
            GROUP,
        ),
        _do(
            Verb.CETR_REC,
            "rec ID, then one line each: @owner | what | when",
            "preview several; send again with --confirm to create them all",
        ),
        _do(Verb.CETR_SHOW, "show ID", "the review, its panel, follow-ups and recommendations"),
        _do(Verb.CETR_SHOW, "list", "this young person's reviews, newest first"),
        _do(
            Verb.CETR_REPORT_SENT,
            "report-sent ID DATE",
            "record that the report went to every participant",
        ),
        _note("Held and sent dates: today, yesterday, 20/11, 20/11/2026, 20 Nov."),
    ),
)

DSR = Command(
    name="dsr",
    title="The Dynamic Support Register (DSR chairs, admins and keyworkers)",
    summary="The Dynamic Support Register and its review meeting",
    lines=(
        _do(
            Verb.DSR_ADD,
            "add REF --age-band under-18|18-25 [--ehcp] "
            "--consent consent|best-interests|parental --consent-date DATE [--on DATE]",
            "put someone on the register (never without a consent basis); --on: they joined "
            "on an earlier day",
            PERSONAL,
        ),
        _do(
            Verb.DSR_RATE,
            'rate REF red|amber|green|blue "why" [--on DATE]',
            "change the rating; the history is kept. Red asks for a C(E)TR; Red and Amber ask "
            "for a keyworking referral if there's no keyworker",
            PERSONAL,
        ),
        _do(
            Verb.DSR_ADMIT,
            "admit REF DATE --setting NAME [--out-of-area] [--confirm]",
            "record an admission: rated Blue, post-admission review scheduled (--confirm: "
            "admitted further back than the policy's limit, a long stay)",
        ),
        _do(Verb.DSR_DISCHARGE, "discharge REF DATE", "end the admission (then give a new rating)"),
        _do(
            Verb.DSR_KEYWORKER,
            "keyworker REF @person [--on DATE]",
            "record the keyworker (and set it on their open network)",
            PERSONAL,
        ),
        _do(
            Verb.DSR_TRANSITION,
            "transition REF MONTH-YEAR",
            "the month they turn 18, e.g. 03/2027 or March 2027",
        ),
        _do(
            Verb.DSR_SHOW,
            "show REF",
            "their entry, admission, rating history and what DSR meetings decided",
            PERSONAL,
        ),
        _do(
            Verb.DSR_LIST,
            "list [red|amber|green|blue|no-keyworker|preventive]",
            "who is on the register, Red first",
            PERSONAL,
        ),
        _do(
            Verb.DSR_STEP_DOWN,
            'step-down REF [--on DATE] ["note"]',
            "keyworking support ended with its outcomes met: off the register, counted in the "
            "quarterly report",
        ),
        _do(
            Verb.DSR_SUPPORT,
            "support REF preventive [@keyworker] [--on DATE] | support REF end [--on DATE]",
            "preventive keyworking support begins or ends (Green or not yet rated, or not on "
            "the DSR: someone new needs --age-band, --consent and --consent-date as for add); "
            "counted in the quarterly return, never on the DSR",
        ),
        _do(
            Verb.DSR_CONSENT,
            'consent REF withdrawn [--on DATE] ["note"] | consent REF reviewed --basis '
            "consent|best-interests|parental [--on DATE]",
            "consent withdrawn: off the register that day, the network closed, chasing stops; "
            "reviewed: a re-check of consent (due every register_rules.consent_review_months)",
        ),
        _do(
            Verb.DSR_REMOVE,
            "remove REF REASON",
            "take someone off the register (consent withdrawn, moved away); their history is kept",
        ),
        _do(
            Verb.DSR_REPORT,
            "report [QUARTER]",
            "the quarterly keyworking report (financial quarters: 2026-Q3 is Oct–Dec 2026), "
            "sent to you with its spreadsheet and pictures",
        ),
        _do(
            Verb.DSR_AGENDA_PREVIEW,
            "agenda preview",
            "this week's DSR review agenda, only to you",
            PERSONAL,
        ),
        _do(
            Verb.DSR_AGENDA_POST,
            "agenda post",
            "send it to the chair's channel now (once a meeting; it also goes on schedule)",
        ),
        _do(
            Verb.DSR_OUTCOME,
            'outcome REF "decision" [--rate R] [--action @owner WHAT by WHEN]',
            "a decision of the meeting whose agenda was posted last, with a new rating or an "
            "agreed action",
            PERSONAL,
        ),
        _do(Verb.DSR_VISIT, "visit REF DATE", "the commissioner's oversight visit to an inpatient"),
        _do(Verb.DSR_HELP, "help", "everything the register can do", PERSONAL),
        _note(
            "References only: never a name, date of birth or NHS number. "
            "Dates: today, yesterday, 20/11, 20/11/2026, 20 Nov."
        ),
    ),
)

COMMANDS: tuple[Command, ...] = (NETWORK, ACTION, CETR, DSR)


def who(verb: Verb, policy: Policy) -> str:
    """Who may, in general words (no particular network or action)."""
    return who_may(verb, None, policy_allows=policy_allows(verb, policy))


def help_lines(command: Command, policy: Policy) -> tuple[str, ...]:
    lines = []
    for line in command.lines:
        usage = line.usage
        if line.verb is None:
            lines.append(usage.words)
        elif Role.ANYONE in line.verb.rule.allowed:
            lines.append(f"/{command.name} {usage.words} — {usage.does}")
        else:
            lines.append(f"/{command.name} {usage.words} — {usage.does} ({who(line.verb, policy)})")
    return tuple(lines)


def help_message(command: Command, policy: Policy) -> Message:
    """A command's help card, in chat."""
    return help_card(command.title, help_lines(command, policy))


def neutral(commands: Sequence[Command] = COMMANDS) -> tuple[CommandHelp, ...]:
    """The help as the manifests need it (no permissions: those depend on the
    policy and on who asks)."""
    return tuple(
        CommandHelp(
            name=command.name,
            summary=command.summary,
            usages=tuple(line.usage for line in command.lines if line.verb is not None),
        )
        for command in commands
    )
