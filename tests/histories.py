"""A register's history, made up (deterministically) for tests and benchmarks:
young people joining, rated, given keyworkers, admitted and discharged,
turning 18, stepped down and removed, and (with ``preventive``) preventive
support for the Green and for young people not on the DSR, every event
within the register's rules. References only; the keyworkers are the
directory's fictional people.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date, timedelta

from bot.dates import add_months

HEADER = ("reference", "date", "event", "value", "detail")
RATINGS = ("red", "amber", "green")
SETTINGS = ("Oak Ward", "Birch Unit", "Cedar House", "Elm Ward")
BASES = ("consent", "best-interests", "parental")


@dataclass(frozen=True)
class Line:
    reference: str
    on: date
    event: str
    value: str = ""
    detail: str = ""


def history(
    *,
    young_people: int,
    months: int,
    today: date,
    keyworkers: tuple[str, ...],
    seed: int = 7,
    preventive: bool = False,
) -> list[Line]:
    """Events for ``young_people`` over the ``months`` before ``today``, in
    date order (the order they would have been typed in). ``preventive``
    adds preventive support (its own random stream: without it, the history
    is the same as it always was)."""
    rng = random.Random(seed)
    prng = random.Random(seed + 1)
    start = add_months(today, -months)
    span = (today - start).days
    lines: list[Line] = []
    for n in range(young_people):
        ref = f"DSR-{1000 + n}"
        day = start + timedelta(days=rng.randrange(max(1, span * 2 // 3)))
        band = "under-18" if rng.random() < 0.7 else "18-25"
        detail = rng.choice(BASES) + (";ehcp" if rng.random() < 0.6 else "")
        lines.append(Line(ref, day, "joined", band, detail))
        if band == "under-18" and rng.random() < 0.3:
            turns = add_months(today, rng.randrange(-months, 24)).replace(day=1)
            lines.append(Line(ref, day, "transition", f"{turns.month:02d}-{turns.year}"))
        rating = rng.choice(RATINGS)
        lines.append(Line(ref, day, "rated", rating, f"First review ({rating})"))
        keyworker: str | None = None
        in_hospital = False
        discharged = 0
        supported = False
        while True:
            day += timedelta(days=rng.randrange(10, 60))
            if day > today:
                break
            roll = rng.random()
            if preventive and not in_hospital and rating == "green" and not supported:
                if prng.random() < 0.4:
                    keyworker = keyworker or prng.choice(keyworkers)
                    lines.append(Line(ref, day, "preventive", "", keyworker))
                    supported = True
                    continue
            elif preventive and supported and prng.random() < 0.2:
                lines.append(Line(ref, day, "support-ended", "", "Consultation complete"))
                supported, keyworker = False, None
                continue
            if in_hospital:
                if roll < 0.6:
                    lines.append(Line(ref, day, "discharged"))
                    in_hospital = False
                    discharged += 1
                    rating = rng.choice(("red", "amber"))
                    lines.append(Line(ref, day, "rated", rating, "Home with crisis support"))
                continue
            if keyworker is None and rating in ("red", "amber") and roll < 0.7:
                keyworker = rng.choice(keyworkers)
                lines.append(Line(ref, day, "keyworker", keyworker))
            elif roll < 0.12 and discharged < 2:
                out = "out-of-area" if rng.random() < 0.3 else ""
                lines.append(Line(ref, day, "admitted", rng.choice(SETTINGS), out))
                in_hospital = True
            elif roll < 0.18 and keyworker is not None:
                others = [k for k in keyworkers if k != keyworker]
                keyworker = rng.choice(others)
                lines.append(Line(ref, day, "keyworker", keyworker))
            elif roll < 0.22:
                lines.append(Line(ref, day, "stepped-down", "", "Settled; CAMHS lead agreed"))
                break
            elif roll < 0.24:
                lines.append(Line(ref, day, "removed", "", "Moved to another area"))
                break
            else:
                rating = rng.choice([r for r in RATINGS if r != rating])
                lines.append(Line(ref, day, "rated", rating, f"Reviewed at the DSR ({rating})"))
    if preventive:
        lines += _not_on_the_dsr(prng, young_people // 4, start, today, keyworkers)
    order = {"joined": 0, "transition": 1, "keyworker": 2, "rated": 3, "admitted": 4}
    return sorted(lines, key=lambda line: (line.on, line.reference, order.get(line.event, 5)))


def _not_on_the_dsr(
    rng: random.Random, count: int, start: date, today: date, keyworkers: tuple[str, ...]
) -> list[Line]:
    """Young people supported preventively without being on the DSR: some
    support ends, some join the DSR later."""
    lines = []
    span = (today - start).days
    for n in range(count):
        ref = f"DSR-{5000 + n}"
        day = start + timedelta(days=rng.randrange(max(1, span * 2 // 3)))
        band = rng.choice(("under-18", "18-25"))
        lines.append(Line(ref, day, "preventive", band, f"{rng.choice(keyworkers)};consent"))
        later = day + timedelta(days=rng.randrange(10, 90))
        if later > today:
            continue
        if rng.random() < 0.5:
            lines.append(Line(ref, later, "support-ended", "", "Consultation complete"))
        else:
            lines.append(Line(ref, later, "joined", band, "consent"))
            lines.append(Line(ref, later, "rated", "green", "Joined the DSR"))
    return lines


def as_csv(lines: list[Line], *, uk_dates: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for line in lines:
        day = line.on.strftime("%d/%m/%Y") if uk_dates else line.on.isoformat()
        writer.writerow((line.reference, day, line.event, line.value, line.detail))
    return out.getvalue()


def as_command(line: Line) -> str:
    """The `/dsr` command that records ``line`` when typed on its day."""
    ref = line.reference
    if line.event == "joined":
        basis, *flags = line.detail.split(";")
        ehcp = " --ehcp" if "ehcp" in flags else ""
        consented = line.on.strftime("%d/%m/%Y")
        return (
            f"/dsr add {ref} --age-band {line.value}{ehcp} --consent {basis} "
            f"--consent-date {consented}"
        )
    if line.event == "rated":
        return f'/dsr rate {ref} {line.value} "{line.detail}"'
    if line.event == "keyworker":
        return f"/dsr keyworker {ref} {line.value}"
    if line.event == "admitted":
        out = " --out-of-area" if line.detail else ""
        return f'/dsr admit {ref} today --setting "{line.value}"{out}'
    if line.event == "discharged":
        return f"/dsr discharge {ref} today"
    if line.event == "stepped-down":
        return f'/dsr step-down {ref} "{line.detail}"'
    if line.event == "removed":
        return f"/dsr remove {ref} {line.detail}"
    if line.event == "preventive":
        keyworker, _, basis = line.detail.partition(";")
        if not line.value:
            return f"/dsr support {ref} preventive {keyworker}"
        consented = line.on.strftime("%d/%m/%Y")
        return (
            f"/dsr support {ref} preventive {keyworker} --age-band {line.value} "
            f"--consent {basis} --consent-date {consented}"
        )
    if line.event == "support-ended":
        return f"/dsr support {ref} end"
    assert line.event == "transition"
    month, year = line.value.split("-")
    return f"/dsr transition {ref} {month}/{year}"
