"""What `/metrics` exposes, with the standard Prometheus client.

One ``Metrics`` per process (the composition root builds it), each with its
own registry, so tests and benchmarks never share counters. Labels are a
small closed set (platform, command name, result, job name, route template):
never anything a person typed, a reference or an id, so the number of series
stays fixed however busy the service is.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Slack wants an answer within 3 s; a job may take seconds at regional scale.
COMMAND_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST
PLATFORMS = ("slack", "teams", "console", "unassigned")
OUTBOX_STATES = ("pending", "sending", "dead")
DELIVERY_RESULTS = ("sent", "retried", "dead", "superseded")


class Metrics:
    """The service's counters, gauges and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.commands = Histogram(
            "teamaround_command_seconds",
            "Time to handle one command or button press, by platform, command and result "
            "(ok, refused: a kind error shown to the person, error: unexpected).",
            ("platform", "command", "result"),
            buckets=COMMAND_BUCKETS,
            registry=r,
        )
        self.http = Histogram(
            "teamaround_http_request_seconds",
            "Time to answer one HTTP request, by route template and status class.",
            ("route", "status"),
            buckets=COMMAND_BUCKETS,
            registry=r,
        )
        self.deliveries = Counter(
            "teamaround_deliveries",
            "Outbox rows the relay settled, by platform and result (sent, retried, dead, "
            "superseded: a newer version of the card was already delivered).",
            ("platform", "result"),
            registry=r,
        )
        self.outbox_rows = Gauge(
            "teamaround_outbox_rows",
            "Outbox rows not yet sent, by platform and status (read at scrape time).",
            ("platform", "status"),
            registry=r,
        )
        self.outbox_oldest_due = Gauge(
            "teamaround_outbox_oldest_due_seconds",
            "Age of the oldest outbox row that is due and not yet sent, by platform "
            "(0 when none is waiting).",
            ("platform",),
            registry=r,
        )
        self.job_runs = Counter(
            "teamaround_job_runs",
            "Scheduled job runs in this process, by job and result (ok, failed, abandoned).",
            ("job", "result"),
            registry=r,
        )
        self.job_seconds = Histogram(
            "teamaround_job_seconds",
            "Duration of scheduled job runs in this process.",
            ("job",),
            buckets=JOB_BUCKETS,
            registry=r,
        )
        self.pool = Gauge(
            "teamaround_db_pool_connections",
            "Database connections of this process: in use, idle in the pool, the pool's "
            "size and how many more it may open (overflow allowed).",
            ("state",),
            registry=r,
        )
        self.ready = Gauge(
            "teamaround_ready",
            "1 when this replica takes traffic (database reachable, schema at head, not "
            "shutting down), else 0.",
            registry=r,
        )
        for platform in PLATFORMS:
            for status in OUTBOX_STATES:
                self.outbox_rows.labels(platform, status)
            self.outbox_oldest_due.labels(platform)
            for result in DELIVERY_RESULTS:
                self.deliveries.labels(platform, result)

    def set_outbox(
        self, depth: Iterable[tuple[str, str, int]], oldest: Iterable[tuple[str, float]]
    ) -> None:
        """Replace the outbox gauges with a fresh reading (every known series is
        reset first, so a platform that emptied reads 0, not its last value)."""
        for platform in PLATFORMS:
            for status in OUTBOX_STATES:
                self.outbox_rows.labels(platform, status).set(0)
            self.outbox_oldest_due.labels(platform).set(0)
        for platform, status, count in depth:
            self.outbox_rows.labels(_platform(platform), status).set(count)
        for platform, age in oldest:
            self.outbox_oldest_due.labels(_platform(platform)).set(max(0.0, age))

    def set_pool(self, *, in_use: int, idle: int, size: int, overflow: int) -> None:
        for state, value in (("in_use", in_use), ("idle", idle), ("size", size)):
            self.pool.labels(state).set(value)
        self.pool.labels("overflow_allowed").set(overflow)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _platform(value: str | None) -> str:
    return value if value in PLATFORMS else "unassigned"
