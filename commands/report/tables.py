"""The report's tables, once, for every document: Markdown, CSV, XLSX and
HTML render these same cells, so the figures agree wherever they are read."""

from __future__ import annotations

from dataclasses import dataclass

from bot.dates import format_numeric
from commands.report.figures import (
    CATEGORIES,
    PROVISIONAL,
    ByBand,
    Category,
    Percent,
    QuarterlyReport,
    definitions,
)

Cell = int | float | str | Percent | None
BAND_COLUMNS = ("Under 18", "18–25", "Total")
CATEGORY_LABEL: dict[Category, str] = {
    "red": "Red",
    "amber": "Amber",
    "green": "Green",
    "blue": "Inpatients (Blue)",
    "unrated": "Not yet rated",
}


@dataclass(frozen=True)
class Table:
    key: str  # short and stable: the CSV's first column, the XLSX sheet name
    title: str
    columns: tuple[str, ...]  # the first names the rows
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""


def cell_text(cell: Cell) -> str:
    """A cell as every document shows it."""
    if cell is None:
        return "n/a"
    if isinstance(cell, float):
        return f"{cell:.1f}".removesuffix(".0")
    return str(cell)


def title(report: QuarterlyReport) -> str:
    return f"Quarterly keyworking report — {report.quarter.label}"


def subtitle(report: QuarterlyReport) -> tuple[str, ...]:
    area = f" ({report.area})" if report.area else ""
    q = report.quarter
    return (
        f"{PROVISIONAL}.",
        f"Register: {report.register}{area}.",
        f"Quarter: {q.label}, {q.period} (NHS financial year {q.financial_year}).",
        f"Figures as at the end of {format_numeric(report.as_at)}, rebuilt from the register's "
        "history.",
    )


def _band_row(label: str, counts: ByBand) -> tuple[Cell, ...]:
    return (label, *counts.cells())


def _percent_row(label: str, part: ByBand, whole: ByBand) -> tuple[Cell, ...]:
    return (
        label,
        Percent(part.under_18, whole.under_18),
        Percent(part.adults, whole.adults),
        Percent(part.total, whole.total),
    )


def _target_row(label: str, part: ByBand, whole: ByBand, target: int) -> tuple[Cell, ...]:
    return (
        label,
        Percent(part.under_18, whole.under_18).meets(target),
        Percent(part.adults, whole.adults).meets(target),
        Percent(part.total, whole.total).meets(target),
    )


def tables(report: QuarterlyReport) -> tuple[Table, ...]:
    rules = report.rules
    community: tuple[Category, ...] = ("red", "amber", "green", "unrated")
    on_register = Table(
        key="on-the-dsr",
        title="On the DSR at the end of the quarter, by rating and age band",
        columns=("Rating", *BAND_COLUMNS),
        rows=(
            *(_band_row(CATEGORY_LABEL[c], report.on_register[c]) for c in community),
            _band_row(CATEGORY_LABEL["blue"], report.on_register["blue"]),
            _band_row("Total on the DSR", report.on_register_total),
        ),
    )
    target = rules.target_percent
    coverage = Table(
        key="keyworkers-named",
        title="Named keyworkers",
        columns=("", *BAND_COLUMNS),
        rows=(
            _band_row("Red or Amber", report.red_amber),
            _band_row("Red or Amber with a named keyworker", report.red_amber_with_keyworker),
            _percent_row(
                "Red or Amber with a named keyworker (%)",
                report.red_amber_with_keyworker,
                report.red_amber,
            ),
            _target_row(
                f"Meets the {target}% target",
                report.red_amber_with_keyworker,
                report.red_amber,
                target,
            ),
            _band_row("Inpatients (Blue)", report.inpatients),
            _band_row("Inpatients with a named keyworker", report.inpatients_with_keyworker),
            _percent_row(
                "Inpatients with a named keyworker (%)",
                report.inpatients_with_keyworker,
                report.inpatients,
            ),
        ),
    )
    admissions = Table(
        key="admissions",
        title="Admissions in the quarter",
        columns=("", *BAND_COLUMNS),
        rows=(
            _band_row("New admissions", report.new_admissions),
            _band_row(
                f"Readmissions (within {rules.readmission_months} months of a discharge)",
                report.readmissions,
            ),
            _band_row(
                "All admissions",
                ByBand(
                    report.new_admissions.under_18 + report.readmissions.under_18,
                    report.new_admissions.adults + report.readmissions.adults,
                ),
            ),
            _band_row("Discharges", report.discharges),
        ),
    )
    support_labels: dict[Category, str] = {
        **CATEGORY_LABEL,
        "green": "Green (preventive)",
        "blue": "Inpatients (Blue)",
    }
    support = Table(
        key="keyworking-support",
        title="Receiving keyworking support in the quarter",
        columns=("", *BAND_COLUMNS),
        rows=(
            *(_band_row(support_labels[c], report.supported[c]) for c in CATEGORIES),
            _band_row("Total receiving keyworking support", report.supported_total),
            _band_row("Stepped down (outcomes met, support ended)", report.stepped_down),
        ),
    )
    limit = rules.caseload_limit
    median = cell_text(report.caseload_median) if report.caseload_median is not None else "n/a"
    spread = (
        f"Uneven: the largest caseload ({report.largest_caseload}) is more than twice the "
        f"median ({median})."
        if report.uneven
        else f"Median caseload {median}; largest {report.largest_caseload}."
    )
    keyworkers = Table(
        key="caseloads",
        title="Keyworkers: caseload at the end of the quarter and step-downs in it",
        columns=("Keyworker", "Caseload", "Step-downs in the quarter", "Flag"),
        rows=tuple(
            (
                line.name,
                line.caseload,
                line.step_downs,
                f"Over the limit of {limit}" if line.over_limit else "",
            )
            for line in report.keyworkers
        ),
        note=f"Caseload limit {limit}. {spread} Young people on the DSR without a named "
        f"keyworker: {report.without_keyworker}.",
    )
    stages = len(report.actions_total.escalations)
    actions = Table(
        key="actions",
        title="Actions by agency",
        columns=(
            "Agency",
            "Created",
            "Completed",
            "Overdue at the end",
            "Median working days to complete",
            *(f"Escalated to stage {n}" for n in range(1, stages + 1)),
        ),
        rows=tuple(
            (
                line.agency,
                line.created,
                line.completed,
                line.overdue,
                line.median_days,
                *line.escalations,
            )
            for line in (*report.agencies, report.actions_total)
        ),
    )
    return (on_register, coverage, admissions, support, keyworkers, actions)


def about(report: QuarterlyReport) -> tuple[str, ...]:
    """The notes, then how each figure is worked out."""
    return (*report.notes, *definitions(report.rules))


FOOTER = "References only: no names, dates of birth or NHS numbers of young people in this report."
