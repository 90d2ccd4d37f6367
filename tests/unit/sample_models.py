"""In-memory models (no database) for renderer tests: one action in one network."""

from __future__ import annotations

from datetime import UTC, date, datetime

from store.models import Action, Agency, Network, Person, YoungPerson


def person(pid: int, name: str, agency: Agency) -> Person:
    p = Person(id=pid, email=f"{name.split()[0].lower()}@example.org", name=name, role="")
    p.agency = agency
    return p


SEN_TEAM = Agency(id=1, name="SEN & Inclusion")
SOCIAL_CARE = Agency(id=2, name="Children's Social Care")
SAM = person(1, "Sam Patel", SEN_TEAM)
KIM = person(2, "Kim Lee", SOCIAL_CARE)


def sample_action(*, platform: str, text: str, latest_update: str, **changes: object) -> Action:
    """Action #7 for Sam (SEN & Inclusion), assigned by Kim, in DSR-0042's network."""
    fields: dict[str, object] = {
        "id": 7,
        "text": text,
        "due_date": date(2026, 11, 18),
        "status": "open",
        "latest_update": latest_update,
        "evidence": None,
        "escalation_stage": 0,
        "created_at": datetime(2026, 11, 10, 10, 0, tzinfo=UTC),
    }
    fields.update(changes)
    a = Action(**fields)
    a.owner = SAM
    a.agency = SEN_TEAM
    a.assigned_by = KIM
    n = Network(
        id=1,
        status="open",
        space_platform=platform,
        space_name="yp-dsr-0042",
        keyworker_id=KIM.id,
        opened_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    )
    n.young_person = YoungPerson(id=1, reference="DSR-0042", rating="amber")
    n.keyworker = KIM
    a.network = n
    return a
