"""Hostile or broken YAML in the targets, calendar and serve.yaml files: each gets
``file:line: reason`` (exactly as below), never a traceback, and never more than an excerpt of
the file in the message."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from processes import KPI_TARGETS

from exporter.config import ConfigError, parse_config_text
from exporter.targets.parse import parse_texts

SL = "targets:\n  - kpi: service_level_ratio\n    quantifier: or_more\n    schedules:\n"
BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefg", "bcdefgh", strict=True)
)

TARGETS_CASES = {
    "a control character": (
        "targets:\n  - kpi: \x07\n",
        "targets.yaml:2: error: control character U+0007 is not allowed (write it as an escape)",
    ),
    "deep nesting": (
        "targets: " + "[" * 500 + "]" * 500 + "\n",
        "targets.yaml:1: error: nested deeper than 64 levels",
    ),
    "a self-referencing alias": (
        "targets: &loop\n  - *loop\n",
        "targets.yaml:1: error: an alias refers to a node that contains it (a cycle)",
    ),
    "deep nesting through aliases": (
        "a0: &a0 [x]\n" + "".join(f"a{n}: &a{n} [*a{n - 1}]\n" for n in range(1, 100)),
        "targets.yaml:1: error: nested deeper than 64 levels (through aliases)",
    ),
    "an alias bomb": (
        "a: &a [x, x, x, x, x, x, x, x, x]\n" + BOMB,
        "targets.yaml:1: error: document too large (alias expansion)",
    ),
    "a 400-digit number": (
        SL + "      - value: " + "9" * 400 + "\n",
        "targets.yaml:5: error: the number '9999999999999999999999999999999999999999...' is too "
        "large",
    ),
    "a very long name": (
        "targets:\n  - kpi: " + "k" * 5000 + "\n",
        "targets.yaml:2: error: 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...' is 5000 characters "
        "long, over 1000",
    ),
    "a python tag": (
        "targets: !!python/object/apply:os.system [ls]\n",
        "targets.yaml:1: error: the YAML tag '!!python/object/apply:os.system' is not allowed",
    ),
    "a local tag": (
        "targets: !mine []\n",
        "targets.yaml:1: error: the YAML tag '!mine' is not allowed",
    ),
}


@pytest.mark.parametrize("case", list(TARGETS_CASES))
def test_hostile_targets_give_file_line_and_reason(case: str) -> None:
    text, first = TARGETS_CASES[case]
    result = parse_texts(text, "timezone: UTC\n")
    assert result.target_set is None
    assert str(result.problems[0]) == first


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        (
            "Europe",
            "unknown time zone 'Europe': use an IANA name like Europe/Rome (did you mean "
            "'Europe/Rome'?)",
        ),
        (
            "../../../../etc/passwd",
            "unknown time zone '../../../../etc/passwd': use an IANA name like Europe/Rome",
        ),
        (
            "A" * 300,
            "unknown time zone 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...': use an IANA "
            "name like Europe/Rome",
        ),
    ],
)
def test_a_time_zone_that_names_a_directory_or_no_zone_is_refused(zone: str, message: str) -> None:
    result = parse_texts("targets: []\n", f"timezone: {zone}\n")
    assert [str(problem) for problem in result.problems] == [f"calendar.yaml:1: error: {message}"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "log_level: \x01\n",
            "serve.yaml:1: control character U+0001 is not allowed (write it as an escape)",
        ),
        ("sources: " + "[" * 200 + "]" * 200 + "\n", "serve.yaml:1: nested deeper than 64 levels"),
        (
            "sources: &s [*s]\n",
            "serve.yaml:1: an alias refers to a node that contains it (a cycle)",
        ),
        (
            "simulator_seed: " + "7" * 400 + "\n",
            "serve.yaml:1: the number '7777777777777777777777777777777777777777...' is too large",
        ),
        (
            "timezone: Europe\n",
            "serve.yaml:1: timezone: 'Europe' is not an IANA time zone (e.g. Europe/Rome)",
        ),
        ("simulator_speed: 1e400\n", "serve.yaml:1: simulator_speed: '1e400' must be a number > 0"),
        ("state_dir: !!binary aGk=\n", "serve.yaml:1: the YAML tag '!!binary' is not allowed"),
        (
            "log_level: [info\n",
            "serve.yaml:2: malformed YAML: while parsing a flow sequence "
            "expected ',' or ']', but got '<stream end>'",
        ),
    ],
)
def test_hostile_serve_yaml_gives_file_line_and_reason(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config_text(text, "serve.yaml")
    assert str(caught.value).splitlines()[0] == message


def test_check_lists_hostile_files_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "targets.yaml").write_text("targets: &loop\n  - *loop\n")
    (tmp_path / "calendar.yaml").write_text("timezone: Europe\n")
    done = subprocess.run(
        [*KPI_TARGETS, "check", "--targets", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    output = done.stdout + done.stderr
    assert f"{tmp_path / 'targets.yaml'}:1: error: an alias refers to a node" in output
    assert f"{tmp_path / 'calendar.yaml'}:1: error: unknown time zone 'Europe'" in output


@pytest.mark.parametrize(
    "content",
    [
        "root:x:0:0:root:/root:/bin/bash\nsecret: [s3cr3t-value\n",  # malformed YAML
        "token = 's3cr3t-value'\n\tindented: s3cr3t-value\n",  # a tab YAML refuses
        "s3cr3t-value\n",  # YAML, but not a mapping
    ],
)
def test_errors_about_a_named_file_never_quote_its_content(tmp_path: Path, content: str) -> None:
    from exporter.sources.spec import SourceSpecError, load_agent_teams, load_mapping

    path = tmp_path / "not-a-mapping"
    path.write_text(content)
    with pytest.raises(SourceSpecError) as as_mapping:
        load_mapping(str(path))
    with pytest.raises(SourceSpecError) as as_teams:
        load_agent_teams(path)
    for message in (str(as_mapping.value), str(as_teams.value)):
        assert message.startswith(f"{path}:")
        assert "s3cr3t" not in message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"log_level: info\nsources: [\xff]\n", ":2: not UTF-8 text"),
        (b"sources: &s [*s]\n", ":1: an alias refers to a node that contains it (a cycle)"),
        (
            b"timezone: Europe\n",
            ":1: timezone: 'Europe' is not an IANA time zone (e.g. Europe/Rome)",
        ),
    ],
)
def test_serve_refuses_a_hostile_config_file_with_file_line_and_reason(
    tmp_path: Path, content: bytes, message: str
) -> None:
    config = tmp_path / "serve.yaml"
    config.write_bytes(content)
    done = subprocess.run(
        [*KPI_TARGETS, "serve", "--config", str(config), "--check-only"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == f"kpi-targets serve: {config}{message}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("log_level:\n", "serve.yaml:1: log_level: no value (leave the setting out instead)"),
        ("timezone: =\n", "serve.yaml:1: '=' means something else in YAML: quote it"),
    ],
)
def test_a_serve_yaml_setting_left_empty_or_special_is_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config_text(text, "serve.yaml")
    assert str(caught.value) == message
