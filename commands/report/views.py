"""The quarterly report in chat: a short summary, with the files attached."""

from __future__ import annotations

from bot.dates import format_numeric
from bot.messages import Attachment, Context, Fact, Facts, Header, Message, plain
from commands.report.figures import PROVISIONAL, RATED, Percent, QuarterlyReport
from commands.report.tables import CATEGORY_LABEL, cell_text

SHORT_LABEL = {**CATEGORY_LABEL, "blue": "Blue"}


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def facts(report: QuarterlyReport) -> tuple[Fact, ...]:
    total = report.on_register_total.total
    mix = ", ".join(
        f"{SHORT_LABEL[c]} {report.on_register[c].total}"
        for c in RATED
        if report.on_register[c].total
    )
    apart = []
    if report.inpatients.total:
        apart.append(f"inpatients {report.inpatients.total}")
    if report.on_register["unrated"].total:
        apart.append(f"not yet rated {report.on_register['unrated'].total}")
    target = report.rules.target_percent
    covered = Percent(report.red_amber_with_keyworker.total, report.red_amber.total)
    met = covered.meets(target)
    inpatients = Percent(report.inpatients_with_keyworker.total, report.inpatients.total)
    limit = report.rules.caseload_limit
    over = [line.name for line in report.keyworkers if line.over_limit]
    median = cell_text(report.caseload_median)
    caseloads = f"largest {report.largest_caseload}, median {median}"
    if report.uneven:
        caseloads += " — uneven (largest more than twice the median)"
    caseloads += f"; over the limit of {limit}: {', '.join(over) if over else 'nobody'}"
    actions = report.actions_total
    return (
        Fact(
            label="On the DSR",
            value=f"{total}"
            + (f" ({mix})" if mix else "")
            + (f"; apart from them, {', '.join(apart)}" if apart else ""),
        ),
        Fact(
            label="Red or Amber with a named keyworker",
            value=f"{report.red_amber_with_keyworker.total} of {report.red_amber.total} "
            f"({covered}; target {target}%"
            + ("" if met == "n/a" else f": {'met' if met == 'Yes' else 'not met'}")
            + ")",
        ),
        Fact(
            label="Inpatients with a named keyworker",
            value=f"{report.inpatients_with_keyworker.total} of {report.inpatients.total} "
            f"({inpatients})",
        ),
        Fact(
            label="Admissions",
            value=f"{report.new_admissions.total} new, "
            f"{_plural(report.readmissions.total, 'readmission')}; "
            f"{_plural(report.discharges.total, 'discharge')}",
        ),
        Fact(
            label="Keyworking support",
            value=f"{report.supported_total.total} supported in the quarter "
            f"({report.supported['preventive'].total} preventive); "
            f"{report.stepped_down.total} stepped back",
        ),
        Fact(label="Caseloads", value=caseloads),
        Fact(
            label="Actions",
            value=f"{actions.created} created, {actions.completed} completed, "
            f"{actions.overdue} overdue at the end",
        ),
    )


def summary(report: QuarterlyReport, *, attachments: tuple[Attachment, ...]) -> Message:
    q = report.quarter
    title = f"Quarterly keyworking report — {q.label}"
    area = f" ({report.area})" if report.area else ""
    context = (
        f"{PROVISIONAL} · {report.register}{area} · {q.period} · as at the end of "
        f"{format_numeric(report.as_at)}"
    )
    found = facts(report)
    footer = (
        "The spreadsheet, the web page (with the pictures) and the pictures themselves are "
        "attached. References only: no names, dates of birth or NHS numbers of young people."
    )
    lines = [title, context, *report.notes, *(f"{f.label}: {f.value}" for f in found), footer]
    blocks: list[Header | Context | Facts] = [Header(text=title), Context(text=context)]
    blocks += [Context(text=note) for note in report.notes]
    blocks += [Facts(facts=found), Context(text=footer)]
    return Message(
        text="\n".join(lines), blocks=tuple(blocks), attachments=attachments, tone="info"
    )


def on_its_way(*, quarter_label: str, where: str, files: tuple[str, ...]) -> Message:
    return plain(
        f"The keyworking report for {quarter_label} is on its way {where}, with "
        f"{_plural(len(files), 'file')}: {', '.join(files)}.",
        tone="success",
    )
