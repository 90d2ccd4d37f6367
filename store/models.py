"""SQLAlchemy 2 typed models.

Young people are held by pseudonymous reference only: no name, date of birth
or NHS number is stored anywhere. All instants are aware UTC datetimes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    InstrumentedAttribute,
    Mapped,
    mapped_column,
    relationship,
    validates,
)

from bot import routing
from bot.folding import fold
from store.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}  # noqa: RUF012


class Register(Base):
    """One area's Dynamic Support Register."""

    __tablename__ = "registers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    area: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    created_at: Mapped[datetime]


class Agency(Base):
    __tablename__ = "agencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # The name as compared (bot.folding.fold): unique, so "ÉQUIPE SANTÉ" and
    # "Équipe Santé" are one agency on SQLite and PostgreSQL alike.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), default="other")
    stage2_contact_email: Mapped[str | None] = mapped_column(String(254))
    senior_contact_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime]

    @validates("name")
    def _keep_key(self, _: str, name: str) -> str:
        self.name_key = fold(name)
        return name


# A person's chat accounts: which column holds their user id on each chat
# platform. The one table of it: every look-up, link and route reads it.
ACCOUNT_COLUMNS: dict[str, str] = {"slack": "slack_user_id", "teams": "teams_user_id"}


class Person(Base):
    """A professional (or family member) in the directory, and the ways to
    reach them: their chat accounts (``ACCOUNT_COLUMNS``), their email, and
    which they prefer (``reach``)."""

    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    role: Mapped[str] = mapped_column(String(120), default="")
    # From the directory's optional columns, for the quarterly return's
    # workforce table: the pay grade ("Band 6") and whether they work part-time.
    grade: Mapped[str | None] = mapped_column(String(40))
    part_time: Mapped[bool | None] = mapped_column(Boolean)
    line_manager_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    teams_user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # "chat" (Slack or Teams; email when they have no account there) or
    # "email" (always email, when it is connected): bot.routing.REACH_CHOICES.
    reach: Mapped[str] = mapped_column(String(8), default="chat", server_default="chat")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    agency: Mapped[Agency] = relationship(lazy="joined")
    # Loaded on purpose where needed (escalation), never as part of every join.
    line_manager: Mapped[Person | None] = relationship(remote_side="Person.id", lazy="raise")

    @staticmethod
    def account_column(platform: str) -> InstrumentedAttribute[str | None] | None:
        """The column of a chat platform's user ids (None: not a chat platform)."""
        name = ACCOUNT_COLUMNS.get(platform)
        return getattr(Person, name) if name else None

    def account(self, platform: str) -> str | None:
        name = ACCOUNT_COLUMNS.get(platform)
        return getattr(self, name) if name else None

    def link_account(self, platform: str, user_id: str) -> None:
        """Remember their account on a chat platform, unless one is known already."""
        name = ACCOUNT_COLUMNS.get(platform)
        if name and not getattr(self, name):
            setattr(self, name, user_id)

    def ways(self) -> routing.Person:
        """How to reach them, for ``bot.routing.route``."""
        accounts = {p: v for p in ACCOUNT_COLUMNS if (v := self.account(p))}
        reach: routing.Reach = "email" if self.reach == "email" else "chat"
        return routing.Person(person_id=self.id, email=self.email, accounts=accounts, reach=reach)


class YoungPerson(Base):
    """A young person on the register, known only by a pseudonymous reference."""

    __tablename__ = "young_people"
    __table_args__ = (UniqueConstraint("register_id", "reference"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id"))
    reference: Mapped[str] = mapped_column(String(40))
    age_band: Mapped[str] = mapped_column(String(16))  # under-18 | 18-25
    ehcp: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_basis: Mapped[str] = mapped_column(String(24))  # consent|best-interests|parental
    consent_date: Mapped[date] = mapped_column(Date)
    consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    rating: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]
    # The register's own record of the keyworker (the open network has its own).
    keyworker_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # The first day of the month they turn 18 (child → adult services).
    transition_month: Mapped[date | None] = mapped_column(Date)
    rated_at: Mapped[datetime | None]
    archive_reason: Mapped[str | None] = mapped_column(Text)
    # The local day they left the register and why: "stepped-down" (outcomes
    # met, support ended) or "removed" (consent withdrawn, moved away, …).
    left_on: Mapped[date | None] = mapped_column(Date)
    leaving_reason: Mapped[str | None] = mapped_column(String(16))
    # Known only for preventive keyworking support (``/dsr support REF
    # preventive``): never on the DSR, so never counted on it, until they join
    # it (``/dsr add``), when ``created_at`` becomes the moment they joined.
    preventive_only: Mapped[bool] = mapped_column(Boolean, default=False)
    # The kind of keyworking support recorded now: "preventive", or None (the
    # history is in SupportChange).
    support: Mapped[str | None] = mapped_column(String(16))
    # Information governance (issue 16): the last consent re-check (None: only
    # the consent_date); when the whole record went to the case-management
    # system and who received it; when retention or `records erase` erased
    # its personal texts (the structure reports count stays).
    consent_reviewed_on: Mapped[date | None] = mapped_column(Date)
    record_transferred_at: Mapped[datetime | None]
    record_transferred_by: Mapped[str | None] = mapped_column(String(254))
    erased_at: Mapped[datetime | None]

    register: Mapped[Register] = relationship(lazy="raise")


class Network(Base):
    """The professionals around one young person, and their chat space."""

    __tablename__ = "networks"
    __table_args__ = (UniqueConstraint("space_platform", "space_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    keyworker_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | closed
    space_platform: Mapped[str] = mapped_column(String(16))
    space_id: Mapped[str | None] = mapped_column(String(128))
    space_name: Mapped[str] = mapped_column(String(80))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(24))
    close_note: Mapped[str | None] = mapped_column(Text)
    # When the chat copies of a closed, transferred network were deleted
    # (Slack chat.delete, Teams "moved to the case record"), through the outbox.
    chat_copies_deleted_at: Mapped[datetime | None]
    # The keyworker's last membership review (issue 16): asked, and answered.
    members_reviewed_at: Mapped[datetime | None]

    young_person: Mapped[YoungPerson] = relationship(lazy="joined")
    keyworker: Mapped[Person | None] = relationship(foreign_keys=[keyworker_id], lazy="joined")


class NetworkMember(Base):
    __tablename__ = "network_members"
    __table_args__ = (UniqueConstraint("network_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(120), default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    added_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(foreign_keys=[person_id], lazy="joined")


class Action(Base):
    """An agreed action: exactly one named owner, an agency and a due date."""

    __tablename__ = "actions"
    __table_args__ = (Index("ix_actions_status_due", "status", "due_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open|done|cancelled
    source: Mapped[str] = mapped_column(String(16), default="manual")
    escalation_stage: Mapped[int] = mapped_column(Integer, default=0)
    latest_update: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # The review whose recommendation this is (source "cetr"), if any.
    cetr_id: Mapped[int | None] = mapped_column(ForeignKey("cetrs.id"), index=True)
    # The escalation ladder (see commands/action/ladder.py). All local days.
    # stage_since: when the current stage was reached, or the owner last
    # gave an update (either restarts the wait for the next stage).
    stage_since: Mapped[date | None] = mapped_column(Date)
    # The owner proposed a date: the ladder waits until it has passed.
    paused_until: Mapped[date | None] = mapped_column(Date)
    # Snoozed by the keyworker or chair (bounded); the ladder is not reset.
    snoozed_until: Mapped[date | None] = mapped_column(Date)
    # The due date the owner was last reminded of (a reminder goes once per date).
    reminded_for: Mapped[date | None] = mapped_column(Date)
    # Reached the last stage: on the next DSR review agenda.
    flagged_for_agenda: Mapped[bool] = mapped_column(Boolean, default=False)

    network: Mapped[Network] = relationship(lazy="joined")
    owner: Mapped[Person] = relationship(foreign_keys=[owner_id], lazy="joined")
    agency: Mapped[Agency] = relationship(lazy="joined")
    assigned_by: Mapped[Person] = relationship(foreign_keys=[assigned_by_id], lazy="joined")


class ActionGrant(Base):
    """Access to one action for someone an escalation stage asked to help
    (stage 2 and up: a line manager, a senior contact, the DSR chair). While
    it lasts they may see that action (its card and trail, the network's
    reference and keyworker: nothing else of the network) and act on it
    (see ``commands/authority.py``). It ends when the action is done or
    cancelled, or leaves their stage; ``end_reason`` says which."""

    __tablename__ = "action_grants"
    __table_args__ = (Index("ix_action_grants_person_open", "person_id", "ended_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    stage: Mapped[int] = mapped_column(Integer)
    # The ladder's contact kind that reached them: line-manager | senior | chair
    contact: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[datetime]
    # Who escalated by hand (None: the chase sweep).
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    last_used_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    # done | cancelled | moved (another stage reached) | reset (a new due date)
    end_reason: Mapped[str | None] = mapped_column(String(16))

    person: Mapped[Person] = relationship(foreign_keys=[person_id], lazy="joined")


class LinkRevocation(Base):
    """The keyworker stopped someone's emailed links to one action
    (``/action revoke-link``): every link to it issued to them before
    ``revoked_at`` is refused from then on."""

    __tablename__ = "link_revocations"
    __table_args__ = (Index("ix_link_revocations_action_person", "action_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    revoked_at: Mapped[datetime]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class Cetr(Base):
    """A Care (Education) and Treatment Review, or a local area emergency
    protocol meeting. Panel experts are independent of the network, so they
    are recorded by name rather than as directory members."""

    __tablename__ = "cetrs"
    id: Mapped[int] = mapped_column(primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("networks.id"))
    # community-cetr | community-ctr | inpatient | post-admission | laep
    kind: Mapped[str] = mapped_column(String(20))
    held_on: Mapped[date] = mapped_column(Date)
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    delegated_chair: Mapped[bool] = mapped_column(Boolean, default=False)
    clinical_expert: Mapped[str | None] = mapped_column(String(120))
    expert_by_experience: Mapped[str | None] = mapped_column(String(120))
    # secure setting (adults): the next inpatient review is due later.
    secure_setting: Mapped[bool] = mapped_column(Boolean, default=False)
    report_sent_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    young_person: Mapped[YoungPerson] = relationship(lazy="joined")
    chair: Mapped[Person | None] = relationship(foreign_keys=[chair_id], lazy="joined")


class RatingChange(Base):
    """One change of a young person's rating: the full history, with who,
    when and why."""

    __tablename__ = "rating_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    rating: Mapped[str] = mapped_column(String(8))  # red | amber | green | blue
    rationale: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime]

    actor: Mapped[Person | None] = relationship(lazy="joined")


class KeyworkerChange(Base):
    """One change of the keyworker the register records for a young person
    (``None``: no keyworker from then on), so that caseloads and coverage can
    be reconstructed as at any day."""

    __tablename__ = "keyworker_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    keyworker_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime]


class SupportChange(Base):
    """One change of the kind of keyworking support recorded for a young
    person: ``kind`` "preventive" from ``at`` on, or None (it ended), so that
    the quarterly report can count preventive support at any time in a
    quarter."""

    __tablename__ = "support_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    kind: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime]


class ConsentEvent(Base):
    """One consent event after joining: a re-check ("reviewed", with the basis
    then) or a withdrawal ("withdrawn"), on a local day, by whom."""

    __tablename__ = "consent_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # reviewed | withdrawn
    on: Mapped[date] = mapped_column(Date)
    basis: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime]


class MembershipReviewItem(Base):
    """One member a keyworker was asked about in a membership review (no
    activity for a while, or left the directory), and the answer."""

    __tablename__ = "membership_review_items"
    __table_args__ = (UniqueConstraint("network_id", "person_id", "asked_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    reason: Mapped[str] = mapped_column(String(12))  # inactive | leaver
    asked_on: Mapped[date] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(String(8))  # remove | keep
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    answered_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(foreign_keys=[person_id], lazy="joined")


class Admission(Base):
    """One inpatient episode: open until ``discharged_on`` is recorded."""

    __tablename__ = "admissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    admitted_on: Mapped[date] = mapped_column(Date)
    setting: Mapped[str] = mapped_column(String(120))
    out_of_area: Mapped[bool] = mapped_column(Boolean, default=False)
    discharged_on: Mapped[date | None] = mapped_column(Date)
    # None: brought in from the register's history (`teamaround register import`).
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    # The commissioner's last oversight visit (out-of-area inpatients).
    last_visit_on: Mapped[date | None] = mapped_column(Date)


class ImportedEvent(Base):
    """One event of a register history file already applied (`teamaround
    register import`), by its key: importing the same file again finds every
    key here and changes nothing."""

    __tablename__ = "imported_events"
    __table_args__ = (UniqueConstraint("register_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id"))
    # "DSR-0042|2025-10-01|rated|red|1": reference, day, event, value, and
    # which occurrence of those four in the file.
    key: Mapped[str] = mapped_column(String(200))
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    imported_at: Mapped[datetime]


class Meeting(Base):
    """One DSR review meeting: its agenda, posted once (the unique key is the
    guard, whichever process or re-run gets there first)."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("register_id", "meeting_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id"))
    meeting_on: Mapped[date] = mapped_column(Date)
    agenda_markdown: Mapped[str] = mapped_column(Text)
    posted_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime]


class MeetingOutcome(Base):
    """A decision the DSR meeting took about one young person."""

    __tablename__ = "meeting_outcomes"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"))
    decision: Mapped[str] = mapped_column(Text)
    rating: Mapped[str | None] = mapped_column(String(8))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime]


class JobLock(Base):
    """One row per scheduled job: runs of the same job take this row's lock
    (SELECT … FOR UPDATE on PostgreSQL; SQLite's write lock does the same),
    so two processes never run it at once."""

    __tablename__ = "job_locks"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_run_at: Mapped[datetime | None]
    last_run_by: Mapped[str | None] = mapped_column(String(64))


class ActionEvent(Base):
    """One line of an action's history (its evidence trail)."""

    __tablename__ = "action_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    actor: Mapped[Person | None] = relationship(lazy="joined")


class AuditEvent(Base):
    """Append-only record of every change: who, what, before, after, when."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_label: Mapped[str] = mapped_column(String(254))
    verb: Mapped[str] = mapped_column(String(48))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Outbox(Base):
    """A message to deliver later, written in the same transaction as the change."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        # A card's versions, in order: the relay looks for earlier and newer ones.
        Index("ix_outbox_card_key_id", "card_key", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    target_kind: Mapped[str] = mapped_column(String(12))  # network | person | conversation
    target_id: Mapped[int] = mapped_column(Integer)
    # For target_kind "conversation": "platform:conversation id" (the chair's channel).
    target_ref: Mapped[str | None] = mapped_column(String(160))
    # post | card | dm | space | retract (delete a sent message's chat copy)
    op: Mapped[str] = mapped_column(String(12))
    card_key: Mapped[str | None] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    platform: Mapped[str | None] = mapped_column(String(16))
    platform_message_id: Mapped[str | None] = mapped_column(String(128))
    # Where the message landed (a direct message's channel or chat is known
    # only from the platform's answer): its chat copy can be deleted later.
    platform_conversation_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class CardRef(Base):
    """Where a card (network card, action card) lives, so edits go in place."""

    __tablename__ = "card_refs"
    __table_args__ = (UniqueConstraint("card_key", "platform"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    card_key: Mapped[str] = mapped_column(String(80))
    platform: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[str] = mapped_column(String(128))
    message_id: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime]


class ProcessedEvent(Base):
    """Inbound deliveries already handled (Slack retries, double clicks)."""

    __tablename__ = "processed_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    seen_at: Mapped[datetime]


class TeamsConversation(Base):
    """Where and how to reach a Teams conversation (a chat, a channel, a
    person's 1:1 chat with the bot): the Bot Connector's service URL changes
    from time to time, so every inbound activity refreshes it."""

    __tablename__ = "teams_conversations"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # personal | groupChat | channel
    service_url: Mapped[str] = mapped_column(String(300))
    tenant_id: Mapped[str] = mapped_column(String(64))
    # For channels: the team's Graph group id and the channel id.
    team_id: Mapped[str | None] = mapped_column(String(200))
    channel_id: Mapped[str | None] = mapped_column(String(200))
    # For a 1:1 chat: the person's Entra object id.
    user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    updated_at: Mapped[datetime] = mapped_column(index=True)
