"""A synthetic area shaped like a published end-of-quarter keyworking return
(DOMAIN.md K5 and R6): Red, Amber, Green and inpatients in both age bands, a
readmission in each band, step-downs, preventive work for the Green and for
young people not on the DSR, a transition to 18, and sixteen keyworkers'
caseloads with two vacant posts and a new starter.

Everything here is made up: the register history (dated events for
`teamaround register import`), the directory, the policy, the narrative,
and the return "as published" for Q2 2025/26 (1 July to 30 September 2025),
with the two inconsistencies published returns have: an 18-25 percentage that
divides by Red only, and a support total that counts Red and Amber young
people without a keyworker.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

QUARTER = "2025-Q2"
START = date(2025, 4, 1)  # everyone not noted joined in April 2025
AREA = "Northshire"
REGISTER = "Northshire DSR"

# name, email, agency, agency kind, grade, part-time
KEYWORKERS = (
    ("Kim Lee", "kim.lee", "Keyworking Service", "nhs", "Band 6", "no"),
    ("Ade Okafor", "ade.okafor", "Keyworking Service", "nhs", "Band 6", "no"),
    ("Sol Byrne", "sol.byrne", "Keyworking Service", "nhs", "Band 7", "no"),
    ("Tom Hale", "tom.hale", "Keyworking Service", "nhs", "Band 5", "no"),
    ("Ruth Patel", "ruth.patel", "Keyworking Service", "nhs", "Band 5", "yes"),
    ("Dev Moss", "dev.moss", "Keyworking Service", "nhs", "Band 6", "no"),
    ("Ivy Clarke", "ivy.clarke", "Keyworking Service", "nhs", "Band 4", "no"),
    ("Noah Webb", "noah.webb", "Keyworking Service", "nhs", "Band 5", "no"),
    ("Zara Quinn", "zara.quinn", "Keyworking Service", "nhs", "Band 6", "no"),
    ("Owen Fry", "owen.fry", "Keyworking Service", "nhs", "Band 5", "no"),
    ("Gail Ross", "gail.ross", "Northshire Council", "Local authority", "Grade 9", "no"),
    ("Hugo Vance", "hugo.vance", "Northshire Council", "Local authority", "Grade 8", "yes"),
    ("Beth Nolan", "beth.nolan", "Northshire Council", "Local authority", "Grade 8", "no"),
    ("Cal Drew", "cal.drew", "Northshire Council", "Local authority", "Grade 7", "no"),
    ("Mia Eaton", "mia.eaton", "Brightpath Trust", "charity", "Senior", "yes"),
    ("Jay Ward", "jay.ward", "Brightpath Trust", "charity", "Practitioner", "no"),
)
DOMAIN = "keyworking.example.org"
NEW_STARTER = "jay.ward"  # in post since 01/09/2025, no caseload yet
# Caseloads at the end of the quarter, in the order of KEYWORKERS (35 in all).
CASELOADS = (4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 0)


def email(handle: str) -> str:
    return f"{handle}@{DOMAIN}"


def directory_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("Name", "Email", "Organisation", "Job title", "Pay grade", "Part-time",
                     "Agency type"))  # fmt: skip
    writer.writerow(("Priya Shah", "priya.shah@example.org", "ICB", "DSR chair", "", "", "nhs"))
    for name, handle, agency, kind, grade, part_time in KEYWORKERS:
        writer.writerow((name, email(handle), agency, "Keyworker", grade, part_time, kind))
    return out.getvalue()


def policy_yaml() -> str:
    posts = "\n".join(
        f"  - {{role: Keyworker, person: {email(handle)}"
        + (", since: 2025-09-01}" if handle == NEW_STARTER else "}")
        for _, handle, *_ in KEYWORKERS
    )
    return (
        f"register: {REGISTER}\n"
        f"area: {AREA}\n"
        "report:\n"
        "  bands: [under-18, 18-25]\n"
        "workforce:\n"
        f"{posts}\n"
        "  - {role: Keyworker, employer: nhs, grade: Band 6}\n"
        "  - {role: Keyworker, employer: third-sector, grade: Practitioner, part_time: yes}\n"
    )


@dataclass(frozen=True)
class Line:
    reference: str
    on: date
    event: str
    value: str = ""
    detail: str = ""


def day(text: str) -> date:
    d, m, y = (int(x) for x in text.split("/"))
    return date(y, m, d)


class _History:
    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.next = 100
        # Who holds whom at the end, in KEYWORKERS order, as CASELOADS says.
        self.holders = [
            handle for (_, handle, *_), load in zip(KEYWORKERS, CASELOADS, strict=True)
            for _ in range(load)
        ]  # fmt: skip

    def reference(self) -> str:
        self.next += 1
        return f"DSR-{self.next:04d}"

    def keyworker(self) -> str:
        return email(self.holders.pop(0))

    def add(self, ref: str, on: date, event: str, value: str = "", detail: str = "") -> None:
        self.lines.append(Line(ref, on, event, value, detail))

    def join(self, band: str, rating: str, *, on: date = START, keyworker: bool = True) -> str:
        ref = self.reference()
        self.add(ref, on, "joined", band, "consent")
        if rating != "blue":
            self.add(ref, on, "rated", rating, f"First review ({rating})")
        else:
            self.add(ref, on, "rated", "amber", "First review (amber)")
        if keyworker:
            self.add(ref, on + timedelta(days=3), "keyworker", self.keyworker())
        return ref


def history() -> list[Line]:
    """The register's history, as dated events."""
    h = _History()
    # Under 18 at the end of the quarter.
    for _ in range(6):
        h.join("under-18", "red")
    for _ in range(11):
        h.join("under-18", "amber")
    # An Amber admitted and discharged in the quarter: a new admission, Amber at the end.
    ref = h.join("under-18", "amber")
    h.add(ref, day("05/07/2025"), "admitted", "Oak Ward")
    h.add(ref, day("10/09/2025"), "discharged")
    h.add(ref, day("10/09/2025"), "rated", "amber", "Home with crisis team support")
    for _ in range(2):  # Amber without a keyworker
        h.join("under-18", "amber", keyworker=False)
    for _ in range(3):  # Green, with preventive support
        ref = h.join("under-18", "green", keyworker=False)
        h.add(ref, day("01/05/2025"), "preventive", "", h.keyworker())
    for _ in range(6):
        h.join("under-18", "green", keyworker=False)
    # Inpatients: in hospital since March; a new admission; a readmission.
    ref = h.join("under-18", "blue")
    h.add(ref, day("10/03/2025"), "admitted", "Birch Unit", "out-of-area")
    ref = h.join("under-18", "blue")
    h.add(ref, day("12/08/2025"), "admitted", "Oak Ward")
    ref = h.join("under-18", "blue")
    h.add(ref, day("20/04/2025"), "admitted", "Elm Ward")
    h.add(ref, day("15/05/2025"), "discharged")
    h.add(ref, day("20/07/2025"), "admitted", "Elm Ward")
    # Under 18: not on the DSR, preventive support (one ended in the quarter).
    h.add(h.reference(), day("01/06/2025"), "preventive", "under-18", f"{h.keyworker()};parental")
    ended = h.reference()
    h.add(ended, day("01/07/2025"), "preventive", "under-18", f"{email('ivy.clarke')};parental")
    h.add(ended, day("20/08/2025"), "support-ended", "", "Consultation complete")
    # 18 to 25 at the end: Red (one turned 18 in August), Amber, Green, an inpatient.
    for _ in range(2):
        h.join("18-25", "red")
    ref = h.join("under-18", "red")
    h.add(ref, START, "transition", "08-2025")
    for _ in range(4):
        h.join("18-25", "amber")
    h.join("18-25", "amber", keyworker=False)
    ref = h.join("18-25", "green", keyworker=False)
    h.add(ref, day("01/05/2025"), "preventive", "", h.keyworker())
    for _ in range(3):
        h.join("18-25", "green", keyworker=False)
    ref = h.join("18-25", "blue")
    h.add(ref, day("01/02/2025"), "admitted", "Cedar House")
    h.add(ref, day("10/06/2025"), "discharged")
    h.add(ref, day("10/06/2025"), "rated", "amber", "Home")
    h.add(ref, day("02/09/2025"), "admitted", "Cedar House")
    h.add(h.reference(), day("15/06/2025"), "preventive", "18-25", f"{h.keyworker()};consent")
    # Stepped down in the quarter (outcomes met): two under 18, one 18-25.
    for band, keyworker, left in (
        ("under-18", "kim.lee", "15/08/2025"),
        ("under-18", "ade.okafor", "05/09/2025"),
        ("18-25", "sol.byrne", "15/09/2025"),
    ):
        ref = h.reference()
        h.add(ref, START, "joined", band, "consent")
        h.add(ref, START, "rated", "amber", "First review (amber)")
        h.add(ref, START, "keyworker", email(keyworker))
        h.add(ref, day(left), "stepped-down", "", "Outcomes met")
    assert not h.holders, "every caseload is given"
    return h.lines


def history_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("reference", "date", "event", "value", "detail"))
    for line in history():
        writer.writerow(
            (line.reference, line.on.strftime("%d/%m/%Y"), line.event, line.value, line.detail)
        )
    return out.getvalue()


# The return as the area published it: (row, under 18, 18-25). Two rows are
# not consistent with the rest of it: marked below.
PUBLISHED_TABLE_1 = (
    ("Red", 6, 3),
    ("Amber", 14, 5),
    ("Green", 9, 4),
    ("Total on the DSR (Red, Amber and Green)", 29, 12),
    ("Red with a named keyworker", 6, 3),
    ("Amber with a named keyworker", 12, 4),
    ("Red and Amber with a named keyworker", 18, 7),
    # 18-25: 3/3, Red only; by its own rows, (3 + 4)/(3 + 5) = 88%.
    ("% of Red and Amber with a named keyworker (target 90%)", 0.9, 1.0),
    ("Meets the 90% target", "Yes", "Yes"),
    ("Inpatients", 3, 1),
    ("Inpatients with a named keyworker", 3, 1),
    ("% of inpatients with a named keyworker", 1.0, 1.0),
    ("New admissions", 2, 0),
    ("Re-admissions (within 12 months of a discharge)", 1, 1),
)
# (row, column) of the cells where the published return is not consistent.
INCONSISTENT_TABLE_1 = {
    ("% of Red and Amber with a named keyworker (target 90%)", "18–25"),
    ("Meets the 90% target", "18–25"),
}
PUBLISHED_SUPPORT = (
    ("Red", 6, 3),
    # Counted the Red and Amber without a keyworker (2 and 1) as supported.
    ("Amber", 16, 6),
    ("Inpatients", 3, 1),
    ("Preventive", 5, 2),
    ("Total receiving keyworking support", 30, 12),
    ("Stepped back in the quarter (outcomes met)", 2, 1),
)
INCONSISTENT_SUPPORT = {
    ("Amber", "Under 18"),
    ("Amber", "18–25"),
    ("Total receiving keyworking support", "Under 18"),
    ("Total receiving keyworking support", "18–25"),
}

NOTES = """\
successes:
  - Every Red young person under 18 had a named keyworker all quarter.
  - Keyworkers joined 14 C(E)TRs and every DSR meeting.
developments:
  - A keyworker from the council's team now works from the hospital two days a week.
learning_and_challenges:
  - Referrals from adult services arrive late; a shared checklist is agreed.
risks:
  - description: Two keyworker posts vacant
    rag: amber
    mitigation: Recruitment agreed; caseloads shared meanwhile
    rag_after: green
  - description: Out-of-area beds far from home
    rag: red
    mitigation: Weekly calls with the provider collaborative
    rag_after: amber
  - description: Transition to adult services for 18-25s
    rag: amber
    mitigation: Joint panel with adult social care each month
    rag_after: amber
"""
