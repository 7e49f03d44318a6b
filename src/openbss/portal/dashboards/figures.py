"""The managers' dashboards: the figures behind each chart, read through the domains'
public faces for the caller's province (a group key: every province).

Only admins and analysts see them (the roles that read reports through the API). Every
figure is a :class:`Chart`: named series over categories, which the page draws with
ECharts and prints as a table beneath the chart (the same numbers, for screen readers and
for copying).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from openbss.billing.public import revenue_by_line
from openbss.catalog.public import offerings
from openbss.inventory.public import subscriber_counts
from openbss.kit.money import fen_to_yuan
from openbss.kit.security import Principal, Role
from openbss.mediation.public import reconcile
from openbss.ordering.public import CHANNELS, order_counts
from openbss.portal.bills.reading import line_words
from openbss.rating.public import current_batch_counts

MANAGERS = (Role.ADMIN, Role.ANALYST)
REVENUE_PERIODS = 6
NO_NETWORK = "—"


@dataclass(frozen=True, slots=True)
class Chart:
    """Series over categories: ``values[s][c]`` is series ``s`` at category ``c``."""

    key: str
    title: str  # msgid
    category_label: str  # msgid: what the categories are
    kind: str  # "bar" (stacked) or "pie"
    categories: Sequence[str]
    series: Sequence[str]
    values: Sequence[Sequence[float | int]]
    unit: str = ""  # "" for counts, "yuan" for money

    def rows(self) -> list[tuple[str, list[float | int]]]:
        """The table under the chart: one row per category, one column per series."""
        return [
            (category, [series[i] for series in self.values])
            for i, category in enumerate(self.categories)
        ]

    def option(self) -> dict[str, Any]:
        """The ECharts option drawing this chart."""
        if self.kind == "pie":
            return {
                "tooltip": {"trigger": "item"},
                "series": [
                    {
                        "type": "pie",
                        "radius": "65%",
                        "data": [
                            {"name": c, "value": v}
                            for c, v in zip(self.categories, self.values[0], strict=True)
                        ],
                    }
                ],
            }
        return {
            "tooltip": {"trigger": "axis"},
            "legend": {"data": list(self.series), "type": "scroll"},
            "grid": {"left": 60, "right": 20, "bottom": 60, "containLabel": True},
            "xAxis": {"type": "category", "data": list(self.categories)},
            "yAxis": {"type": "value"},
            "series": [
                {"name": name, "type": "bar", "stack": "total", "data": list(values)}
                for name, values in zip(self.series, self.values, strict=True)
            ],
        }


def _grid(
    cells: dict[tuple[str, str], float | int], categories: list[str], series: list[str]
) -> list[list[float | int]]:
    return [[cells.get((c, s), 0) for c in categories] for s in series]


def subscriber_base(session: Session, province: str | None) -> Chart:
    """Lines in service by offering (series) and local network (categories)."""
    counts = subscriber_counts(session, province)
    names = {o.id: o.name or o.id for o in offerings(session, {o for o, _, _ in counts})}
    cells: dict[tuple[str, str], float | int] = {}
    for offering_id, area, lines in counts:
        key = (area or NO_NETWORK, names.get(offering_id, offering_id))
        cells[key] = cells.get(key, 0) + lines
    categories = sorted({c for c, _ in cells})
    series = sorted({s for _, s in cells})
    return Chart(
        "subscribers",
        "Subscriber base by product and local network",
        "Local network",
        "bar",
        categories,
        series,
        _grid(cells, categories, series),
    )


def orders_by_channel(session: Session, province: str | None) -> Chart:
    """Product orders by sales channel (categories) and state (series)."""
    cells: dict[tuple[str, str], float | int] = {}
    for channel, state, orders in order_counts(session, province):
        name = CHANNELS.get(channel or "", channel or NO_NETWORK)
        cells[(name, state)] = cells.get((name, state), 0) + orders
    categories = sorted({c for c, _ in cells})
    series = sorted({s for _, s in cells})
    return Chart(
        "orders",
        "Orders by sales channel and state",
        "Sales channel",
        "bar",
        categories,
        series,
        _grid(cells, categories, series),
    )


def revenue_by_service(session: Session, province: str | None, chinese: bool) -> Chart:
    """Billed revenue (yuan, tax included) of the last billed periods by bill line."""
    fen_cells: dict[tuple[str, str], int] = {}
    for period, key, fen in revenue_by_line(session, province, REVENUE_PERIODS):
        zh, en = line_words(key)
        name = zh if chinese else en
        fen_cells[(period, name)] = fen_cells.get((period, name), 0) + fen
    # ECharts draws numbers: yuan to the fen, made a float only at this last step.
    cells: dict[tuple[str, str], float | int] = {
        k: float(fen_to_yuan(v)) for k, v in fen_cells.items()
    }
    categories = sorted({c for c, _ in cells})
    series = sorted({s for _, s in cells})
    grid = _grid(cells, categories, series)
    return Chart(
        "revenue",
        "Revenue by service from bills",
        "Period",
        "bar",
        categories,
        series,
        grid,
        unit="yuan",
    )


def reconcile_status(session: Session, province: str | None) -> Chart:
    """Mediation and rating reconcile: records in, normalised, rejected, duplicates, rated,
    rating errors and not rated yet, summed over every source and day."""
    lines = reconcile(session, province, downstream=current_batch_counts(session, province))
    figures = {
        "records in": sum(line.records_in for line in lines),
        "normalised": sum(line.normalised for line in lines),
        "rejected": sum(line.rejected for line in lines),
        "duplicates": sum(line.duplicates for line in lines),
        "rated": sum(line.rated for line in lines),
        "rating errors": sum(line.rating_errors for line in lines),
        "not rated yet": sum(line.not_rated for line in lines),
    }
    return Chart(
        "reconcile",
        "Mediation and rating reconcile",
        "Stage",
        "bar",
        list(figures),
        ["records"],
        [list(figures.values())],
    )


@dataclass(frozen=True, slots=True)
class Dashboard:
    charts: Sequence[Chart]
    unbalanced_days: int  # source-days whose records do not add up
    reconcile_days: int


def dashboard(session: Session, principal: Principal, chinese: bool) -> Dashboard:
    principal.require(*MANAGERS)
    province = principal.province
    lines = reconcile(session, province)
    return Dashboard(
        charts=[
            subscriber_base(session, province),
            orders_by_channel(session, province),
            revenue_by_service(session, province, chinese),
            reconcile_status(session, province),
        ],
        unbalanced_days=sum(not line.balanced for line in lines),
        reconcile_days=len(lines),
    )
