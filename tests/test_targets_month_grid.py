"""The coming 12 months as grids (``exporter.targets.month_grid``), checked against a wall
calendar: December 2026 starts on a Tuesday and has 31 days over 5 weeks."""

from __future__ import annotations

from datetime import date

from exporter.targets.month_grid import CLOSED, HOURS, Mark, months, split_by_today

TODAY = date(2026, 12, 7)  # a Monday
MARKS = {
    date(2026, 12, 24): Mark(HOURS, "Christmas Eve"),
    date(2026, 12, 25): Mark(CLOSED, "Christmas"),
    date(2027, 11, 1): Mark(CLOSED, "All Saints"),
}


def test_twelve_months_from_this_month_weeks_monday_first() -> None:
    grids = months(TODAY, MARKS)
    assert [g.title for g in grids][:2] == ["December 2026", "January 2027"]
    assert grids[-1].title == "November 2027" and len(grids) == 12
    december = grids[0]
    assert len(december.weeks) == 5 and all(len(week) == 7 for week in december.weeks)
    first_week = [cell.day for cell in december.weeks[0]]
    assert first_week[0] is None and first_week[1] == date(2026, 12, 1)  # Tuesday the 1st
    last_week = [cell.day for cell in december.weeks[-1]]
    assert last_week[:4] == [
        date(2026, 12, 28),
        date(2026, 12, 29),
        date(2026, 12, 30),
        date(2026, 12, 31),
    ] and last_week[4:] == [None, None, None]
    days = [cell.day for week in december.weeks for cell in week if cell.day]
    assert len(days) == 31
    # February 2027 starts on a Monday and fills exactly four weeks
    assert len(grids[2].weeks) == 4 and grids[2].weeks[0][0].day == date(2027, 2, 1)


def test_marks_past_and_today_are_on_their_dates() -> None:
    december = months(TODAY, MARKS)[0]
    cells = {cell.day: cell for week in december.weeks for cell in week if cell.day}
    assert cells[date(2026, 12, 24)].words == (
        "Thursday 24 December 2026: special hours, Christmas Eve"
    )
    assert cells[date(2026, 12, 25)].mark == Mark(CLOSED, "Christmas")
    assert cells[date(2026, 12, 26)].mark is None
    assert cells[date(2026, 12, 26)].words == "Saturday 26 December 2026"
    assert cells[date(2026, 12, 6)].past and not cells[date(2026, 12, 7)].past
    assert cells[date(2026, 12, 7)].today
    assert december.marked == 2
    assert months(TODAY, MARKS)[-1].marked == 1


def test_exceptions_split_into_coming_and_past() -> None:
    by_date = {date(2026, 1, 1): "new year", date(2026, 12, 7): "today",
               date(2026, 12, 25): "christmas", date(2026, 8, 15): "august"}  # fmt: skip
    coming, past = split_by_today(by_date, TODAY)
    assert coming == ["today", "christmas"]
    assert past == ["august", "new year"]  # latest first
