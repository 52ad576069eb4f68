"""`kpi-targets users add|remove|passwd|list`, run in-process with a non-terminal stdin (the
end-to-end test in test_browser_serve.py runs it as a real process)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from exporter.admin.users import UserFile
from exporter.cli import main

PASSWORD = "a long enough password"


def users(
    monkeypatch: pytest.MonkeyPatch, state: Path, *args: str, password: str = PASSWORD + "\n"
) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(password))
    try:
        return main(["users", *args, "--state-dir", str(state)])
    except SystemExit as exit:
        return int(exit.code or 0)


def test_the_users_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    assert users(monkeypatch, state, "add", "ada", "--role", "admin") == 0
    assert (state / "users.json").stat().st_mode & 0o777 == 0o600
    assert PASSWORD not in (state / "users.json").read_text()
    assert UserFile(state).authenticate("ada", PASSWORD) is not None
    capsys.readouterr()
    assert users(monkeypatch, state, "add", "ada", "--role", "viewer") == 1
    assert "user 'ada' exists already" in capsys.readouterr().err
    assert users(monkeypatch, state, "add", "bob", "--role", "viewer", password="short\n") == 1
    assert "at least 8 characters" in capsys.readouterr().err
    assert users(monkeypatch, state, "add", "bob", "--role", "boss") == 2
    assert "invalid choice: 'boss'" in capsys.readouterr().err
    assert users(monkeypatch, state, "add", "../x", "--role", "viewer") == 1
    assert "bad user name '../x'" in capsys.readouterr().err
    assert users(monkeypatch, state, "add", "bob", "--role", "viewer") == 0
    capsys.readouterr()
    assert users(monkeypatch, state, "list") == 0
    assert capsys.readouterr().out == "ada\tadmin\nbob\tviewer\n"
    assert users(monkeypatch, state, "list", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out) == [
        {"name": "ada", "role": "admin"}, {"name": "bob", "role": "viewer"},
    ]  # fmt: skip
    assert users(monkeypatch, state, "passwd", "bob", password="another password\n") == 0
    assert UserFile(state).authenticate("bob", "another password") is not None
    assert UserFile(state).authenticate("bob", PASSWORD) is None
    assert users(monkeypatch, state, "passwd", "zed") == 1
    assert "no user 'zed'" in capsys.readouterr().err
    assert users(monkeypatch, state, "remove", "bob") == 0
    assert users(monkeypatch, state, "remove", "bob") == 1
    capsys.readouterr()
    assert users(monkeypatch, state, "list") == 0
    assert capsys.readouterr().out == "ada\tadmin\n"
