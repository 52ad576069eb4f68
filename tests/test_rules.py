"""The generated alert rules: promtool accepts them, their unit tests pass, the file is fresh."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from exporter import catalog
from exporter.catalog import CATALOG, Tab
from exporter.cli import main
from exporter.rules import RULES_FILE_NAME, build_rules, render_rules, validate_duration

ROOT = Path(__file__).resolve().parents[1]
COMMITTED_RULES = ROOT / "prometheus" / "rules" / RULES_FILE_NAME
RULE_TESTS = sorted((ROOT / "prometheus" / "tests").glob("*.test.yml"))


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    """``promtool ARGS``, its exit status asserted 0 (with its output in the failure)."""
    path = shutil.which("promtool")
    # Never skip: the rules ship only when promtool has checked them (scripts/test.sh installs it).
    assert path, "promtool is not installed (Debian package `prometheus`); run scripts/test.sh"
    result = subprocess.run([path, *args], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_committed_rules_equal_a_fresh_generation() -> None:
    assert COMMITTED_RULES.read_text(encoding="utf-8") == render_rules(), (
        "prometheus/rules is stale: run `kpi-targets rules`"
    )


def test_promtool_check_rules_accepts_the_committed_rules() -> None:
    result = _promtool("check", "rules", str(COMMITTED_RULES))
    # 21 eligible KPIs x 2 quantifiers x 2 severities + 5 exporter alerts + 17 attainment alerts
    # (the eligible Hourly KPIs) + KpiUnderstaffed.
    assert "SUCCESS: 107 rules found" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    assert RULE_TESTS, "no promtool tests under prometheus/tests"
    result = _promtool("test", "rules", *map(str, RULE_TESTS))
    assert "SUCCESS" in result.stdout


def test_every_alert_name_is_covered_by_a_promtool_test() -> None:
    names = {rule["alert"] for group in build_rules()["groups"] for rule in group["rules"]}
    tested = {
        case["alertname"]
        for path in RULE_TESTS
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert names == tested


def test_one_warning_and_one_critical_rule_per_eligible_kpi_and_quantifier() -> None:
    breaches = build_rules()["groups"][0]["rules"]
    keys = [(r["labels"]["kpi"], r["alert"], r["labels"]["severity"]) for r in breaches]
    eligible = [kpi.name for kpi in CATALOG if kpi.eligible]
    assert len(keys) == len(set(keys)) == len(eligible) * 4
    assert {kpi for kpi, _, _ in keys} == set(eligible)
    assert "ai_customer_experience_score" not in {kpi for kpi, _, _ in keys}


def test_guard_and_margin_follow_the_kpi() -> None:
    by_key = {
        (r["labels"]["kpi"], r["alert"], r["labels"]["severity"]): r["expr"]
        for r in build_rules()["groups"][0]["rules"]
    }
    service_level = by_key[("service_level_ratio", "KpiBelowTarget", "critical")]
    assert 'kpi_sample_size{job="kpi-targets", kpi="service_level_ratio"} >= 20' in service_level
    assert 'quantifier="or_more"} - 0.1)' in service_level
    nps = by_key[("net_promoter_score", "KpiBelowTarget", "critical")]
    # NPS spans -100..100: a tenth of the range is 20 points; 30 answers at least.
    assert 'quantifier="or_more"} - 20)' in nps
    assert ">= 30" in nps
    aht = by_key[("average_handle_time_seconds", "KpiAboveTarget", "critical")]
    assert 'quantifier="or_less"} * 1.5)' in aht
    waiting = by_key[("contacts_waiting", "KpiAboveTarget", "warning")]
    assert "kpi_sample_size" not in waiting  # In Queue: no volume, no guard


def test_breaches_link_to_their_kpis_dashboard_with_the_scope_selected() -> None:
    breaches = build_rules(grafana_url="https://grafana.example.org/")["groups"][0]["rules"]
    scope = (
        "var-channel={{ with $labels.channel }}{{ . | urlquery }}{{ else }}$__all{{ end }}"
        "&var-queue={{ with $labels.queue }}{{ . | urlquery }}{{ else }}$__all{{ end }}"
        "&var-team={{ with $labels.team }}{{ . | urlquery }}{{ else }}$__all{{ end }}"
        "&var-agent={{ with $labels.agent }}{{ . | urlquery }}{{ else }}$__all{{ end }}"
    )
    for rule in breaches:
        kpi = catalog.get(rule["labels"]["kpi"])
        uid = "kpi-targets-operations" if kpi.tab is Tab.OPERATIONS else "kpi-targets-team"
        assert rule["annotations"]["dashboard_url"] == (
            f"https://grafana.example.org/d/{uid}?{scope}"
        )


def test_for_duration_and_job_are_applied() -> None:
    rules = build_rules(for_duration="1s", job="kpi-lab")["groups"]
    assert {r["for"] for r in rules[0]["rules"]} == {"1s"}
    assert all('job="kpi-lab"' in r["expr"] for group in rules for r in group["rules"])


@pytest.mark.parametrize("bad", ["10", "ten minutes", "10 m", "-5m", ""])
def test_invalid_durations_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a Prometheus duration"):
        validate_duration(bad)


def test_rules_command_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "out")
    assert main(["rules", "--output", out, "--for", "2m", "--grafana-url", "http://g:3000"]) == 0
    written = tmp_path / "out" / RULES_FILE_NAME
    assert capsys.readouterr().out == f"Wrote {written}\n"
    expected = render_rules(for_duration="2m", grafana_url="http://g:3000")
    assert written.read_text(encoding="utf-8") == expected


def test_rules_command_refuses_a_bad_duration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "--output", str(tmp_path), "--for", "soon"]) == 2
    assert "'soon' is not a Prometheus duration" in capsys.readouterr().err
    assert not (tmp_path / RULES_FILE_NAME).exists()


@pytest.mark.parametrize("job", ['a"b', "", "back\\slash", "new\nline"])
def test_rules_command_refuses_a_job_promtool_would_reject(
    job: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "--output", str(tmp_path), "--job", job]) == 2
    assert f"kpi-targets rules: --job {job!r}: the job name of your scrape config" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / RULES_FILE_NAME).exists()


def test_rules_for_any_accepted_job_pass_promtool(tmp_path: Path) -> None:
    assert main(["rules", "--output", str(tmp_path), "--job", "site-1/kpi:targets.v2"]) == 0
    _promtool("check", "rules", str(tmp_path / RULES_FILE_NAME))


def test_one_attainment_rule_per_kpi_whose_hours_are_judged() -> None:
    groups = {group["name"]: group["rules"] for group in build_rules()["groups"]}
    attainment = groups["kpi-targets-attainment"]
    hourly = [kpi.name for kpi in CATALOG if kpi.eligible and kpi.period is catalog.Period.HOURLY]
    assert [rule["labels"]["kpi"] for rule in attainment] == hourly
    assert len(hourly) == 17
    assert {rule["alert"] for rule in attainment} == {"KpiTargetAttainmentLow"}
    # The default level, window and minimum of judged hours, in the expression.
    expression = attainment[0]["expr"]
    assert ") < 0.8\n" in expression and "[7d]))" in expression and ">= 10\n" in expression
    assert 'result="met"' in expression and 'result=~"met|missed"' in expression


def test_the_attainment_level_and_window_are_options_and_0_leaves_them_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path)
    assert (
        main(["rules", "--output", out, "--attainment-level", "0.9", "--attainment-window", "28d"])
        == 0
    )
    text = (tmp_path / RULES_FILE_NAME).read_text(encoding="utf-8")
    assert ") < 0.9\n" in text and "[28d]" in text and "under 90%" in text
    _promtool("check", "rules", str(tmp_path / RULES_FILE_NAME))
    assert main(["rules", "--output", out, "--attainment-level", "0"]) == 0
    text = (tmp_path / RULES_FILE_NAME).read_text(encoding="utf-8")
    assert "KpiTargetAttainmentLow" not in text and "kpi-targets-attainment" not in text


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--attainment-level", "80", "--attainment-level 80: a share between 0 and 1"),
        ("--attainment-level", "-0.1", "--attainment-level -0.1: a share between 0 and 1"),
        ("--attainment-window", "a week", "--attainment-window 'a week' is not a Prometheus"),
    ],
)
def test_rules_command_refuses_a_bad_attainment_option(
    option: str, value: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "--output", str(tmp_path), option, value]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / RULES_FILE_NAME).exists()
