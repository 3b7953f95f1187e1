"""Projection of Inner Mongolia's 2025 cell-capacity target (im-li-cap-cell-2025: 电池29GWh/年)
from the pack's published built figure (锂电池10.5GWh/年, 2023) plus projects by stage.

Hand computation (default probabilities 谋划储备 0.1, 签约 0.3, 开工 0.6, 在建 0.8, 竣工投产 1.0):
  built     = 10.5 (observation 2023) + 2 (enterprise capacity started 2024)        = 12.5
  A 在建 20 GWh, 2025-06-30 → 20 × 0.8 = 16
  B 签约  5 GWh, 2025-12-31 →  5 × 0.3 = 1.5
  C 谋划 10 GWh, 2026-03-31 → after 2025: 0
  D 开工 4000 MWh = 4 GWh, 2025-09-30 → 4 × 0.6 = 2.4
  E 竣工投产 3 GWh on 2023-10-01 → already in the 2023 figure: not added
  projected = 12.5 + 16 + 1.5 + 2.4 = 32.4;  low = 12.5 + 20 + 4 = 36.5;  high = 36.5 + 5 = 41.5
"""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from chainwatch.projects import projections, services
from chainwatch.projects.models import Stage, StageProbability
from chainwatch.projects.services import ProjectError
from chainwatch.targets.models import Target
from factories import CapacityFactory, EnterpriseFactory, region

pytestmark = pytest.mark.django_db
ON = date(2025, 6, 30)
A, B, C, D, E = (f"2025-1506{i:02d}-38-03-0000{i:02d}" for i in range(1, 6))


def add(code, stage, amount, unit="GWh/年", node="LI.CELL", where="150600", **dates):
    return services.create_project(
        actor=None, code=code, name=f"电池项目{code[-2:]}", region=region(where), total_investment=10**9,
        stage=stage, capacities=[{"node": node, "amount": amount, "unit": unit}], on=ON, **dates,
    )


@pytest.fixture
def target():
    enterprise = EnterpriseFactory(region=region("150600"))
    CapacityFactory(enterprise=enterprise, amount=10.5, start_year=2023)  # in the 2023 figure
    CapacityFactory(enterprise=enterprise, amount=2, start_year=2024)  # built after it
    CapacityFactory(enterprise=enterprise, amount=30, status="construction", start_year=2025)  # not "built"
    add(A, Stage.CONSTRUCTION, 20, planned_end=date(2025, 6, 30), actual_start=date(2024, 4, 15))
    add(B, Stage.SIGNED, 5, planned_end=date(2025, 12, 31))
    add(C, Stage.PIPELINE, 10, planned_end=date(2026, 3, 31))
    add(D, Stage.STARTED, 4000, unit="MWh/年", planned_end=date(2025, 9, 30), actual_start=date(2025, 1, 2))
    add(E, Stage.OPERATING, 3, planned_end=date(2023, 9, 30), actual_start=date(2022, 5, 1), actual_end=date(2023, 10, 1))
    add("2025-520100-38-03-000006", Stage.CONSTRUCTION, 50, where="520100", planned_end=date(2025, 6, 30))
    add("2025-150600-38-03-000007", Stage.CONSTRUCTION, 50, node="LI.ANODE", unit="万吨/年", planned_end=date(2025, 6, 30))
    return Target.objects.select_related("indicator", "region", "chain_node").get(key="im-li-cap-cell-2025")


def test_projection_hand_computed(target, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        result = services.project_target(target)
    assert result.target == 29 and result.year == 2025
    assert result.built == pytest.approx(12.5)
    assert result.projected == pytest.approx(32.4)
    assert (result.low, result.high) == (pytest.approx(36.5), pytest.approx(41.5))
    assert result.meets and result.gap == pytest.approx(-3.4)
    carried = {c.code: (c.counts, pytest.approx(c.contribution)) for c in result.contributions}
    assert carried == {A: (True, 16), B: (True, 1.5), C: (False, 0), D: (True, 2.4)}
    assert [b.source for b in result.baseline][0] == "im-li-cap-cell-built-2023"
    assert next(c for c in result.contributions if c.code == C).reason == "预计2026-03-31投产，晚于2025年底"


def test_every_project_slipping_seven_months_leaves_only_built(target):
    result = services.project_target(target, scenario=services.scenario_from(7))
    assert (result.projected, result.low, result.high) == (pytest.approx(12.5),) * 3
    assert not result.meets and result.gap == pytest.approx(16.5)
    assert next(c for c in result.contributions if c.code == A).expected_date == date(2026, 1, 30)


def test_named_projects_slip(target):
    six = services.project_target(target, scenario=services.scenario_from(6, A))
    assert next(c for c in six.contributions if c.code == A).expected_date == date(2025, 12, 30)
    assert six.projected == pytest.approx(32.4)  # 30 Dec still counts for 2025
    one = services.project_target(target, scenario=services.scenario_from(1, [B]))
    assert one.projected == pytest.approx(30.9) and one.high == pytest.approx(36.5)
    with pytest.raises(ProjectError, match="未知项目代码：NOPE"):
        services.scenario_from(1, "NOPE")


def test_stage_probabilities_are_data_per_jurisdiction(target):
    StageProbability.objects.create(jurisdiction=region("150000"), stage="signed", probability=0.5)
    StageProbability.objects.create(jurisdiction=region("000000"), stage="signed", probability=0.2)
    StageProbability.objects.create(jurisdiction=region("000000"), stage="started", probability=0.5)
    result = services.project_target(target)
    assert result.probabilities["signed"] == 0.5 and result.probabilities["started"] == 0.5
    assert result.projected == pytest.approx(12.5 + 16 + 2.5 + 2.0)


def test_non_capacity_target_is_refused():
    output = Target.objects.select_related("indicator").get(key="im-li-output-2025")
    with pytest.raises(ProjectError, match="不是产能目标"):
        services.project_target(output)


def test_pure_engine_boundaries():
    assert projections.add_months(date(2025, 8, 31), 1) == date(2025, 9, 30)
    assert projections.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    result = projections.project_to_target(
        year=2025, target=10, baseline=[projections.BaselineItem("built", 4)],
        projects=[projections.ProjectInput("P1", "p", "paused", 6, planned_end=date(2025, 12, 31)),
                  projections.ProjectInput("P2", "p", "construction", 5)],
    )
    assert (result.projected, result.low, result.high) == (4, 4, 10)  # paused counts only in high; no date counts nowhere
    with pytest.raises(projections.ProjectionError, match="0..1"):
        projections.check_probabilities({"signed": 1.5})


def test_cli_projection(target):
    out = StringIO()
    call_command("projects", "projection", "--target", "im-li-cap-cell-2025", "--slip-months", "1", "--projects", B, stdout=out)
    data = json.loads(out.getvalue())
    assert data["projected"] == pytest.approx(30.9) and data["unit"] == "GWh/年" and data["chain_node"] == "LI.CELL"


def test_api_projection(admin_client, target):
    data = admin_client.get("/api/v1/projections/im-li-cap-cell-2025/").json()
    assert data["projected"] == pytest.approx(32.4) and data["target_value"] == 29 and data["meets"] is True
    assert [p["code"] for p in data["projects"]][:2] == [A, D]  # largest contribution first
    slipped = admin_client.get("/api/v1/projections/im-li-cap-cell-2025/?slip_months=7").json()
    assert slipped["projected"] == pytest.approx(12.5)
    assert admin_client.get("/api/v1/projections/im-li-output-2025/").status_code == 400
    assert admin_client.get("/api/v1/projections/im-li-cap-cell-2025/?projects=NOPE&slip_months=2").status_code == 400
    assert admin_client.get("/api/v1/projections/im-li-cap-cell-2025/?slip_months=x").status_code == 400
    assert admin_client.get("/api/v1/projections/no-such-target/").status_code == 404
