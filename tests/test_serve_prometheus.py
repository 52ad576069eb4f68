"""``serve --check-only`` checks the Prometheus settings: the URL, the HTTP client config file and
every file it names, all problems at once, and never prints a password."""

from __future__ import annotations

from pathlib import Path

import pytest
from example_targets import copy_example_targets
from processes import KPI_TARGETS, Process

SECRET = "hunter2-prometheus"


@pytest.fixture
def targets_dir(tmp_path: Path) -> Path:
    return copy_example_targets(tmp_path / "targets")


def check_only(targets_dir: Path, cwd: Path, *args: str) -> tuple[int, Process]:
    process = Process(
        [*KPI_TARGETS, "serve", "--targets", str(targets_dir), *args, "--check-only"], cwd=cwd
    )
    status = process.popen.wait(30)
    process.stop()
    return status, process


def test_a_usable_prometheus_setup_is_ok(targets_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "password").write_text(SECRET, encoding="utf-8")
    (tmp_path / "http.yml").write_text(
        "basic_auth: {username: kpi, password_file: password}\n", encoding="utf-8"
    )
    status, process = check_only(
        targets_dir,
        tmp_path,
        "--prometheus-url",
        "http://127.0.0.1:9090/",
        "--prometheus-http-config-file",
        str(tmp_path / "http.yml"),
    )
    assert status == 0, process.stderr
    assert process.stdout_lines[0].endswith(
        "), sources simulator, Prometheus http://127.0.0.1:9090\n"
    )
    assert SECRET not in process.stderr + "".join(process.stdout_lines)


def test_every_problem_of_the_http_config_is_listed(targets_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "http.yml").write_text(
        f"basic_auth: {{username: kpi, password: {SECRET}}}\noauth2: {{client_id: x}}\n"
        "tls_config: {ca_file: missing-ca.crt}\n",
        encoding="utf-8",
    )
    status, process = check_only(
        targets_dir,
        tmp_path,
        "--prometheus-url",
        "https://127.0.0.1:9090",
        "--prometheus-http-config-file",
        "http.yml",
    )
    assert status == 1
    assert (
        "http.yml: oauth2: OAuth 2.0 is not supported: use basic_auth or authorization (a bearer "
        "token)"
    ) in process.stderr
    assert SECRET not in process.stderr

    (tmp_path / "http.yml").write_text(
        "authorization: {credentials_file: token}\ntls_config: {ca_file: missing-ca.crt}\n",
        encoding="utf-8",
    )
    status, process = check_only(
        targets_dir,
        tmp_path,
        "--prometheus-url",
        "https://127.0.0.1:9090",
        "--prometheus-http-config-file",
        "http.yml",
    )
    assert status == 1
    assert "http.yml: tls_config: cannot use the CA missing-ca.crt: [Errno 2] No such file" in (
        process.stderr
    )


def test_a_missing_secret_file_and_a_config_without_url(targets_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "http.yml").write_text(
        "authorization: {credentials_file: token}\n", encoding="utf-8"
    )
    status, process = check_only(
        targets_dir,
        tmp_path,
        "--prometheus-url",
        "http://127.0.0.1:9090",
        "--prometheus-http-config-file",
        "http.yml",
    )
    assert status == 1
    assert "token: cannot read it: No such file or directory" in process.stderr

    status, process = check_only(targets_dir, tmp_path, "--prometheus-http-config-file", "http.yml")
    assert status == 1
    assert (
        "--prometheus-http-config-file http.yml is set without --prometheus-url: set both, or "
        "neither"
    ) in process.stderr


def test_a_url_with_a_password_is_refused_without_showing_it(
    targets_dir: Path, tmp_path: Path
) -> None:
    status, process = check_only(
        targets_dir, tmp_path, "--prometheus-url", f"http://kpi:{SECRET}@127.0.0.1:9090"
    )
    assert status == 2  # a usage error, as for every bad flag value
    assert "--prometheus-url: the URL must not carry a user or password" in process.stderr
    assert SECRET not in process.stderr
