"""The report's pictures, as small PNGs drawn with matplotlib (no display,
no global pyplot state: each picture is its own Figure on the Agg canvas).

- the rating mix over the last four quarters;
- each keyworker's caseload against the limit: over-limit bars in red, the
  limit and the median as lines, so an uneven split shows at a glance;
- overdue actions by agency.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.dates import format_numeric
from commands.report.figures import CATEGORIES, QuarterlyReport
from commands.report.tables import CATEGORY_LABEL

DPI = 100
COLOURS = {
    "red": "#c0392b",
    "amber": "#e69f00",
    "green": "#2e8b57",
    "blue": "#1f5fa8",
    "unrated": "#9e9e9e",
}
WITHIN = "#1d4e89"
OVER = "#c0392b"
_FONT = 9


@dataclass(frozen=True)
class Picture:
    key: str  # rating-mix | caseloads | overdue-by-agency
    title: str
    alt: str  # what it shows, in words (screen readers, Slack alt text)
    png: bytes


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    # No timestamp or software version in the file: the same figures give the same bytes.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _nothing(figure: Figure, text: str) -> None:
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.text(0.5, 0.5, text, ha="center", va="center", fontsize=11, color="#555555")


def rating_mix(report: QuarterlyReport) -> Picture:
    figure = _figure(7, 3.6)
    title = "On the DSR at the end of each quarter, by rating"
    quarters = [mix.quarter.label for mix in report.rating_mix]
    totals = [sum(mix.counts.values()) for mix in report.rating_mix]
    if not any(totals):
        _nothing(figure, "Nobody was on the register in these four quarters.")
    else:
        axes = figure.add_subplot()
        bottoms = [0] * len(quarters)
        for category in CATEGORIES:
            values = [mix.counts.get(category, 0) for mix in report.rating_mix]
            if not any(values):
                continue
            axes.bar(
                quarters,
                values,
                bottom=bottoms,
                color=COLOURS[category],
                label=CATEGORY_LABEL[category],
                width=0.6,
            )
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        for x, total in enumerate(totals):
            axes.text(x, total, str(total), ha="center", va="bottom", fontsize=_FONT)
        axes.set_ylabel("Young people", fontsize=_FONT)
        axes.set_ylim(0, max(totals) * 1.18 + 1)
        axes.tick_params(labelsize=_FONT)
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(fontsize=_FONT - 1, frameon=False, loc="upper left", ncols=5)
    figure.suptitle(title, fontsize=_FONT + 2)
    alt = "; ".join(
        f"{mix.quarter.label}: "
        + ", ".join(
            f"{CATEGORY_LABEL[c]} {mix.counts.get(c, 0)}" for c in CATEGORIES if mix.counts.get(c)
        )
        if sum(mix.counts.values())
        else f"{mix.quarter.label}: nobody"
        for mix in report.rating_mix
    )
    return Picture("rating-mix", title, f"{title}. {alt}.", _png(figure))


def caseloads(report: QuarterlyReport) -> Picture:
    limit = report.rules.caseload_limit
    lines = [line for line in report.keyworkers if line.caseload or line.step_downs]
    lines = lines or list(report.keyworkers)
    title = f"Caseload per keyworker at {format_numeric(report.as_at)} (limit {limit})"
    figure = _figure(7, max(2.4, 0.9 + 0.32 * len(lines)))
    if not lines:
        _nothing(figure, "No keyworkers had a caseload.")
    else:
        axes = figure.add_subplot()
        names = [line.name for line in reversed(lines)]
        values = [line.caseload for line in reversed(lines)]
        colours = [OVER if line.over_limit else WITHIN for line in reversed(lines)]
        axes.barh(names, values, color=colours, height=0.6)
        for y, value in enumerate(values):
            axes.text(value + 0.2, y, str(value), va="center", fontsize=_FONT)
        axes.axvline(limit, color=OVER, linestyle="--", linewidth=1.2, label=f"Limit ({limit})")
        if report.caseload_median is not None:
            axes.axvline(
                report.caseload_median,
                color="#555555",
                linestyle=":",
                linewidth=1.2,
                label=f"Median ({report.caseload_median:g})",
            )
        axes.set_xlim(0, max([*values, limit]) * 1.15 + 1)
        axes.set_xlabel(
            "Young people (on the DSR, or receiving preventive support)", fontsize=_FONT
        )
        axes.tick_params(labelsize=_FONT)
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(fontsize=_FONT - 1, frameon=False, loc="lower right")
    figure.suptitle(
        title + (" — uneven" if report.uneven else ""),
        fontsize=_FONT + 2,
        color=OVER if report.uneven else "black",
    )
    over = [line.name for line in report.keyworkers if line.over_limit]
    alt = "; ".join(f"{line.name} {line.caseload}" for line in lines) or "no caseloads"
    if over:
        alt += f". Over the limit: {', '.join(over)}"
    if report.uneven:
        alt += ". The largest caseload is more than twice the median"
    return Picture("caseloads", title, f"{title}. {alt}.", _png(figure))


def overdue_by_agency(report: QuarterlyReport) -> Picture:
    lines = [line for line in report.agencies if line.overdue]
    title = f"Overdue actions by agency at {format_numeric(report.as_at)}"
    figure = _figure(7, max(2.4, 0.9 + 0.32 * len(lines)))
    if not lines:
        _nothing(figure, "No actions were overdue at the end of the quarter.")
    else:
        lines.sort(key=lambda line: (line.overdue, line.agency))
        axes = figure.add_subplot()
        axes.barh([line.agency for line in lines], [line.overdue for line in lines], color=OVER)
        for y, line in enumerate(lines):
            axes.text(line.overdue + 0.1, y, str(line.overdue), va="center", fontsize=_FONT)
        axes.set_xlim(0, max(line.overdue for line in lines) * 1.15 + 1)
        axes.set_xlabel("Overdue actions", fontsize=_FONT)
        axes.tick_params(labelsize=_FONT)
        axes.spines[["top", "right"]].set_visible(False)
    figure.suptitle(title, fontsize=_FONT + 2)
    alt = "; ".join(f"{line.agency} {line.overdue}" for line in reversed(lines)) or "none"
    return Picture("overdue-by-agency", title, f"{title}: {alt}.", _png(figure))


def pictures(report: QuarterlyReport) -> tuple[Picture, ...]:
    return rating_mix(report), caseloads(report), overdue_by_agency(report)
