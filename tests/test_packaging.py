"""The package as a user installs it: sdist and wheel built with ``python -m build`` (the wheel from
the sdist, so the sdist must carry everything), installed into a fresh virtual environment outside
the repository, and run from an empty directory.

To stay fast and offline-friendly the fresh environment installs only the wheel (``--no-deps``)
and sees the test environment's site-packages through a ``.pth`` file for the dependencies. The
``.pth`` line adds that directory to the path without processing its own ``.pth`` files, so the
repository's editable install stays invisible: the test asserts that ``exporter`` is imported from
the fresh environment.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest
from example_targets import example_text
from processes import ROOT, Process, free_port, http_get, wait_for


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin directory of a fresh venv with the wheel built from the sdist installed."""
    base = tmp_path_factory.mktemp("package")
    dist = base / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (sdist,) = dist.glob("kpi_targets-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    root = names[0].split("/")[0]
    assert f"{root}/exporter/defaults/targets/targets.yaml" in names
    assert f"{root}/exporter/defaults/prometheus/rules/kpi-targets.rules.yml" in names
    assert not [name for name in names if name.startswith(f"{root}/tests/")]

    environment = base / "venv"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (wheel,) = dist.glob("kpi_targets-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    for static in ("admin.css", "favicon.svg", "preview.js"):  # the admin UI's own files
        assert f"exporter/admin/static/{static}" in shipped, static
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "-q",
            str(wheel),
        ],
        check=True,
        timeout=120,
    )
    where = subprocess.run(
        [str(python), "-c", "import exporter; print(exporter.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=base,
    ).stdout
    assert where.startswith(str(site)), where
    return environment / "bin"


def test_serve_runs_from_an_empty_directory_on_the_built_in_targets(
    installed: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    metrics, admin = free_port(), free_port()
    process = Process(
        [
            str(installed / "kpi-targets"),
            "serve",
            "--metrics-address",
            f"127.0.0.1:{metrics}",
            "--admin-address",
            f"127.0.0.1:{admin}",
        ],
        cwd=empty,
    )
    try:
        lines = [process.read_line(60) for _ in range(3)]
        assert lines[2].startswith("Targets: using the built-in example targets (")
        assert "run `kpi-targets init` to get an editable copy in ./targets" in lines[2]

        def both_series() -> str | None:
            body = http_get(f"http://127.0.0.1:{metrics}/metrics")[1]
            samples = [line for line in body.splitlines() if not line.startswith("#")]
            has_value = any(line.startswith("kpi_value{") for line in samples)
            has_target = any(line.startswith("kpi_target{") for line in samples)
            return body if has_value and has_target else None

        wait_for("kpi_value and kpi_target samples", both_series, timeout=60)
    finally:
        assert process.stop() == 0, process.stderr
    # The built-in targets are read, not written: only the state directory (the admin UI's session
    # key) appears here.
    assert [path.name for path in empty.iterdir()] == ["var"]
    assert (empty / "var" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_init_writes_an_editable_copy_that_check_accepts(installed: Path, tmp_path: Path) -> None:
    kpi_targets = str(installed / "kpi-targets")
    init = subprocess.run(
        [kpi_targets, "init"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert init.returncode == 0, init.stderr
    assert init.stdout.splitlines()[0] == "wrote serve.yaml"
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        "prometheus/prometheus.yml",
        "prometheus/rules/kpi-targets.rules.yml",
        "prometheus/tests/kpi-targets-attainment.test.yml",
        "prometheus/tests/kpi-targets-sources.test.yml",
        "prometheus/tests/kpi-targets-staffing.test.yml",
        "prometheus/tests/kpi-targets.test.yml",
        "serve.yaml",
        "targets/.gitignore",
        "targets/calendar.yaml",
        "targets/targets.yaml",
    ]
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed (Debian package `prometheus`): scripts/test.sh"
    for command in (
        ["check", "config", "prometheus/prometheus.yml"],
        ["test", "rules", "prometheus/tests/kpi-targets.test.yml"],
    ):
        checked = subprocess.run(
            [promtool, *command], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (tmp_path / "targets" / "targets.yaml").read_text() == example_text("targets.yaml")
    check = subprocess.run(
        [kpi_targets, "check"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert (check.returncode, check.stderr) == (0, "")
    assert check.stdout.startswith("targets: OK, ")
    checked = subprocess.run(
        [kpi_targets, "serve", "--config", "serve.yaml", "--check-only"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("OK: targets in targets (version ")
    again = subprocess.run(
        [kpi_targets, "init"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert "kept serve.yaml (it exists)" in again.stdout.splitlines()


def test_check_and_resolve_use_the_built_in_targets_outside_the_repository(
    installed: Path, tmp_path: Path
) -> None:
    kpi_targets = str(installed / "kpi-targets")
    check = subprocess.run(
        [kpi_targets, "check"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0
    assert check.stderr.startswith("kpi-targets check: using the built-in example targets")
    resolved = subprocess.run(
        [kpi_targets, "resolve", "--at", "2026-12-24T10:30:00+01:00"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resolved.returncode == 0
    assert '"source": "calendar.yaml:' in resolved.stdout  # Christmas Eve's exception value
