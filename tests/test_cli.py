"""The command line behaves one way: usage errors exit 2 as ``kpi-targets <command>: error: ...``
with a "did you mean" where one fits."""

from __future__ import annotations

import pytest

from exporter.cli import main


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["serv"], "kpi-targets: error: argument COMMAND: invalid choice: 'serv'"),
        (
            ["serve", "--metrics-adress", "x"],
            "kpi-targets serve: error: unrecognized arguments: "
            "--metrics-adress x (did you mean --metrics-address?)",
        ),
        (
            ["check", "--format", "json"],
            "kpi-targets check: error: unrecognized arguments: --format json",
        ),
        (["resolve"], "kpi-targets resolve: error: the following arguments are required: --at"),
        (["init", "a", "b"], "kpi-targets init: error: unrecognized arguments: b"),
    ],
)
def test_usage_errors_exit_2_naming_the_command(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith(expected)


def test_an_unknown_command_gets_a_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["catalgo"])
    assert capsys.readouterr().err.rstrip().endswith("(did you mean catalog?)")


def test_a_bad_serve_value_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--log-format", "xml", "--simulator-speed", "0"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "kpi-targets serve: --simulator-speed: '0' must be a number > 0",
        "kpi-targets serve: --log-format: 'xml' is not a log format (logfmt, json)",
    ]
