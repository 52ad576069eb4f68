"""``calendar_edit``'s exception edits keep the file as written around them: a replaced entry's
own end-of-line comment goes with it, the blank lines and comments after it stay."""

from __future__ import annotations

from datetime import date

from exporter.targets import calendar_edit

TEXT = """\
timezone: Europe/Rome
exceptions:
  - {date: 2026-12-25, name: Christmas, closed: true}  # closed

  # next year
  - date: 2027-01-01
    name: New Year
    closed: true  # all day

  # later
  - {date: 2027-04-05, name: Easter, closed: true}
"""


def test_a_replaced_one_line_entry_keeps_the_lines_after_it() -> None:
    text = calendar_edit.add_exception(TEXT, date(2026, 12, 25), "Christmas", closed=False,
                                       hours="09:00-12:00")  # fmt: skip
    assert text == TEXT.replace(
        "  - {date: 2026-12-25, name: Christmas, closed: true}  # closed\n",
        '  - {date: 2026-12-25, name: Christmas, hours: "09:00-12:00"}\n',
    )


def test_a_replaced_block_entry_keeps_the_lines_after_it() -> None:
    text = calendar_edit.add_exception(TEXT, date(2027, 1, 1), "New Year's Day", closed=True)
    assert text == TEXT.replace(
        "  - date: 2027-01-01\n    name: New Year\n    closed: true  # all day\n",
        "  - {date: 2027-01-01, name: New Year's Day, closed: true}\n",
    )


def test_the_same_entry_again_changes_nothing() -> None:
    assert calendar_edit.add_exception(TEXT, date(2027, 1, 1), "New Year", closed=True) == TEXT
