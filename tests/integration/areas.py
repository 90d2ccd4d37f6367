"""A real area for tests: a policy naming its register and area, a directory,
and no demo data."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from bot.clock import FrozenClock
from bot.main import App, build
from bot.policy import Policy
from bot.settings import Settings
from commands.csv_files import read_csv
from commands.directory.service import ALIASES, import_csv
from commands.dsr.imports.service import HistoryReport, import_history
from commands.report.figures import QuarterlyReport
from commands.report.quarters import parse_quarter
from commands.report.service import quarterly
from integrations.sandbox.gateway import ConsoleGateway
from store import queries
from store.models import (
    Admission,
    AuditEvent,
    ImportedEvent,
    KeyworkerChange,
    RatingChange,
    SupportChange,
    YoungPerson,
)
from tests.conftest import MONDAY, Harness

KIM = "kim.lee@example.org"
ADE = "ade.okafor@example.org"
PRIYA = "priya.shah@example.org"
DIRECTORY = (
    "name,email,agency,role,line_manager_email\n"
    f"Kim Lee,{KIM},Keyworking Service,Keyworker,\n"
    f"Ade Okafor,{ADE},Keyworking Service,Keyworker,\n"
    f"Priya Shah,{PRIYA},ICB,DSR chair (commissioner),\n"
)


@dataclass
class Area:
    app: App
    clock: FrozenClock
    gateway: ConsoleGateway

    async def import_history(self, text: str, *, check: bool = False) -> HistoryReport:
        async with self.app.db.transaction() as session:
            return await import_history(
                session,
                table=read_csv(text.encode("utf-8")),
                now=self.clock.now(),
                calendar=self.app.services.calendar,
                policy=self.app.policy,
                actor_label="cli:tester",
                check=check,
            )

    async def report(self, quarter: str) -> QuarterlyReport:
        async with self.app.db.reader() as session:
            register = await queries.register_by_name(session, name=self.app.policy.register_name)
            assert register is not None
            today = self.app.services.today()
            return await quarterly(
                session,
                register=register,
                quarter=parse_quarter(quarter, today=today),
                today=today,
                calendar=self.app.services.calendar,
                policy=self.app.policy,
            )

    @property
    def harness(self) -> Harness:
        return Harness(app=self.app, clock=self.clock, gateway=self.gateway)

    async def counts(self) -> dict[str, int]:
        async with self.app.db.reader() as session:
            return {
                model.__name__: int(
                    await session.scalar(select(func.count()).select_from(model)) or 0
                )
                for model in (
                    YoungPerson,
                    RatingChange,
                    KeyworkerChange,
                    Admission,
                    AuditEvent,
                    ImportedEvent,
                    SupportChange,
                )
            }


async def area_on(
    url: str, *, register: str = "Northshire DSR", directory: str = DIRECTORY
) -> Area:
    """A real area: a policy naming its register and area, a directory, no demo."""
    clock = FrozenClock(MONDAY)
    gateway = ConsoleGateway(lambda _: None)
    policy = Policy.model_validate({"register": register, "area": "Northshire"})
    app = build(
        Settings(database_url=url), clock=clock, policy=policy, gateways={"console": gateway}
    )
    async with app.db.transaction() as session:
        await import_csv(
            session,
            table=read_csv(directory.encode(), aliases=ALIASES),
            now=clock.now(),
            actor_label="cli:tester",
        )
    return Area(app, clock, gateway)
