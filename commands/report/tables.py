"""The report's sections and tables, once, for every document: Markdown, CSV,
XLSX and HTML render these same cells, so the figures agree wherever they
are read.

The order and headings are NHS England's quarterly keyworking return's, so
that a manager can paste each section into the template: Table 1; section 2,
activity and workforce; section 3, the narrative and the top three risks.
Then what the return does not ask for (clearly headed as such).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.dates import format_numeric
from commands.report.figures import (
    BANDS,
    PROVISIONAL,
    Band,
    ByBand,
    Category,
    Percent,
    QuarterlyReport,
    definitions,
)
from commands.report.notes import RAG_LABEL, Narrative

Cell = int | float | str | Percent | None
NOT_COVERED = "N/A"
BAND_LABEL: dict[Band, str] = {"under-18": "Under 18", "18-25": "18–25"}
BAND_COLUMNS = tuple(BAND_LABEL[b] for b in BANDS)
CATEGORY_LABEL: dict[Category, str] = {
    "red": "Red",
    "amber": "Amber",
    "green": "Green",
    "blue": "Inpatients (Blue)",
    "unrated": "Not yet rated",
}


@dataclass(frozen=True)
class Table:
    key: str  # short and stable: the CSV's first column
    title: str
    columns: tuple[str, ...]  # the first names the rows
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""

    def heading(self, row: tuple[Cell, ...]) -> bool:
        """A row that only names what the rows below it count (Table 1's 1, 2, 3)."""
        return all(cell == "" for cell in row[1:])


@dataclass(frozen=True)
class Paragraphs:
    """Text the service writes (the narrative): one item a paragraph."""

    key: str
    title: str
    items: tuple[str, ...]


Block = Table | Paragraphs


@dataclass(frozen=True)
class Section:
    key: str  # the XLSX sheet's name
    title: str
    blocks: tuple[Block, ...]
    in_return: bool = True


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
    area = report.area or report.register
    q = report.quarter
    return (
        f"{PROVISIONAL}.",
        f"Area: {area} (register: {report.register}).",
        f"Quarter: {q.label}, {q.period} (NHS financial year {q.financial_year}).",
        f"Figures as at the end of {format_numeric(report.as_at)}, rebuilt from the register's "
        "history.",
    )


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("Yes" if value else "No")


class _Bands:
    """Cells for the bands the service covers; N/A for the others."""

    def __init__(self, report: QuarterlyReport) -> None:
        self.report = report

    def counts(self, label: str, counts: ByBand) -> tuple[Cell, ...]:
        return (
            label,
            *(counts.of(b) if self.report.covers(b) else NOT_COVERED for b in BANDS),
        )

    def percent(self, label: str, part: ByBand, whole: ByBand) -> tuple[Cell, ...]:
        return (
            label,
            *(
                Percent(part.of(b), whole.of(b), parts=True)
                if self.report.covers(b)
                else NOT_COVERED
                for b in BANDS
            ),
        )

    def meets(self, label: str, part: ByBand, whole: ByBand, target: int) -> tuple[Cell, ...]:
        return (
            label,
            *(
                Percent(part.of(b), whole.of(b)).meets(target)
                if self.report.covers(b)
                else NOT_COVERED
                for b in BANDS
            ),
        )

    @staticmethod
    def heading(label: str) -> tuple[Cell, ...]:
        return (label, *("" for _ in BANDS))


def table_1(report: QuarterlyReport) -> Table:
    rules = report.rules
    cells = _Bands(report)
    on = report.on_register
    target = rules.target_percent
    return Table(
        key="table-1",
        title="",  # the section's own heading says it
        columns=("", *BAND_COLUMNS),
        rows=(
            cells.heading("1. On the DSR at the end of the quarter"),
            cells.counts("Red", on["red"]),
            cells.counts("Amber", on["amber"]),
            cells.counts("Green", on["green"]),
            cells.counts("Total on the DSR (Red, Amber and Green)", report.on_register_total),
            cells.counts("Red with a named keyworker", report.red_with_keyworker),
            cells.counts("Amber with a named keyworker", report.amber_with_keyworker),
            cells.counts("Red and Amber with a named keyworker", report.red_amber_with_keyworker),
            cells.percent(
                f"% of Red and Amber with a named keyworker (target {target}%)",
                report.red_amber_with_keyworker,
                report.red_amber,
            ),
            cells.meets(
                f"Meets the {target}% target",
                report.red_amber_with_keyworker,
                report.red_amber,
                target,
            ),
            cells.heading("2. Inpatients"),
            cells.counts("Inpatients", report.inpatients),
            cells.counts("Inpatients with a named keyworker", report.inpatients_with_keyworker),
            cells.percent(
                "% of inpatients with a named keyworker",
                report.inpatients_with_keyworker,
                report.inpatients,
            ),
            cells.heading("3. Admissions in the quarter"),
            cells.counts("New admissions", report.new_admissions),
            cells.counts(
                f"Re-admissions (within {rules.readmission_months} months of a discharge)",
                report.readmissions,
            ),
        ),
        note="Percentages show their numerator and denominator: (Red + Amber with a named "
        "keyworker)/(Red + Amber), and inpatients with a named keyworker/inpatients. "
        "Inpatients are not in the total on the DSR.",
    )


def support(report: QuarterlyReport) -> Table:
    cells = _Bands(report)
    supported = report.supported
    other = supported["other"]
    note = ""
    if other.total:
        note = (
            f"Not in the total: {other.total} with a named keyworker in the quarter who were "
            "Green or not yet rated, and not recorded as receiving preventive support (record "
            "it with /dsr support REF preventive)."
        )
    return Table(
        key="keyworking-support",
        title="2a. Receiving keyworking support during the quarter",
        columns=("", *BAND_COLUMNS),
        rows=(
            cells.counts("Red", supported["red"]),
            cells.counts("Amber", supported["amber"]),
            cells.counts("Inpatients", supported["blue"]),
            cells.counts("Preventive", supported["preventive"]),
            cells.counts("Total receiving keyworking support", report.supported_total),
            cells.counts("Stepped back in the quarter (outcomes met)", report.stepped_down),
        ),
        note=note,
    )


def workforce(report: QuarterlyReport) -> Table:
    limit = report.rules.caseload_limit
    median = cell_text(report.caseload_median)
    spread = (
        f"Uneven: the largest caseload ({report.largest_caseload}) is more than twice the "
        f"median ({median})."
        if report.uneven
        else f"Median caseload {median}; largest {report.largest_caseload}."
    )
    over = [line.name for line in report.workforce if line.over_limit]
    extra = [line.name for line in report.workforce if not line.in_policy]
    parts = [
        f"Caseload limit {limit}"
        + (f"; over it: {', '.join(over)}." if over else "; nobody is over it."),
        spread,
    ]
    if extra:
        parts.append(
            f"No post in the policy's workforce for {', '.join(extra)}: add theirs to "
            "`workforce:` in the policy."
        )
    if not report.rules.posts:
        parts.append(
            "The policy lists no posts (`workforce:`), so vacant posts and new starters are "
            "not known: one row per keyworker in the directory."
        )
    names = "Name" if report.rules.workforce_names == "names" else "Initials"
    return Table(
        key="workforce",
        title="2b. Workforce",
        columns=(
            "Post",
            "Role",
            names,
            "Employer",
            "Grade",
            "Part-time",
            "Vacant",
            "New starter",
            "Current caseload",
            "Stepped down in the quarter",
        ),
        rows=tuple(
            (
                n,
                line.role,
                line.name,
                line.employer,
                line.grade,
                _yes_no(line.part_time),
                _yes_no(line.vacant),
                _yes_no(line.new_starter),
                "" if line.vacant else line.caseload,
                "" if line.vacant else line.step_downs,
            )
            for n, line in enumerate(report.workforce, start=1)
        ),
        note=" ".join(parts),
    )


def narrative(notes: Narrative | None) -> tuple[Block, ...]:
    """Section 3 as the return has it; without a notes file, where it goes."""
    if notes is None:
        return (
            Paragraphs(
                key="narrative",
                title="Narrative",
                items=(
                    "No notes were given: write them in a YAML file (teamaround report "
                    "notes-template) and produce the report with --notes FILE.",
                ),
            ),
        )
    blocks: list[Block] = [
        Paragraphs("successes", "3a. Successes", tuple(notes.successes)),
        Paragraphs("developments", "3b. Developments", tuple(notes.developments)),
        Paragraphs(
            "learning-and-challenges",
            "3c. Learning and challenges",
            tuple(notes.learning_and_challenges),
        ),
    ]
    blocks.append(
        Table(
            key="risks",
            title="3d. Top three risks",
            columns=("", "Risk", "RAG", "Mitigation", "RAG after mitigation"),
            rows=tuple(
                (
                    n,
                    risk.description,
                    RAG_LABEL[risk.rag],
                    risk.mitigation,
                    RAG_LABEL[risk.rag_after],
                )
                for n, risk in enumerate(notes.risks, start=1)
            ),
        )
    )
    return tuple(blocks)


def other_figures(report: QuarterlyReport) -> tuple[Table, ...]:
    """What the return does not ask for, but a service needs to see."""
    also = Table(
        key="also-on-the-dsr",
        title="On the DSR and admissions: figures the return does not ask for",
        columns=("", *BAND_COLUMNS, "Total"),
        rows=(
            ("Not yet rated, on the DSR at the end", *report.on_register["unrated"].cells()),
            (
                "Red or Amber without a named keyworker at the end",
                *report.red_amber_without_keyworker.cells(),
            ),
            ("On the DSR without a named keyworker at the end", *report.without_keyworker.cells()),
            ("Discharges in the quarter", *report.discharges.cells()),
        ),
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
    return also, actions


def sections(report: QuarterlyReport, notes: Narrative | None = None) -> tuple[Section, ...]:
    """The documents' sections, in the return's order."""
    return (
        Section(
            "Table 1",
            "Table 1: Children and young people on the DSR with a named keyworker",
            (table_1(report),),
        ),
        Section(
            "Section 2",
            "Section 2: Keyworking activity and workforce",
            (support(report), workforce(report)),
        ),
        Section("Section 3", "Section 3: Narrative and risks", narrative(notes)),
        Section(
            "Not in the return",
            "Not in the return: other figures",
            other_figures(report),
            in_return=False,
        ),
    )


def about(report: QuarterlyReport) -> tuple[str, ...]:
    """The notes, then how each figure is worked out."""
    return (*report.notes, *definitions(report.rules))


FOOTER = (
    "This report counts young people and never lists them: no names, dates of birth, NHS "
    "numbers or register references."
)
