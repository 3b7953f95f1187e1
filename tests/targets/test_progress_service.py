"""Progress service over the knowledge pack: expected values computed by hand."""

from __future__ import annotations

import datetime
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chainwatch.chains.models import Sector
from chainwatch.targets.models import Indicator, Observation, Target
from chainwatch.targets.services import (
    consistency_report,
    count_ladder_against_targets,
    evaluate_targets,
    rollup_observations,
)
from factories import IndicatorFactory, ObservationFactory, TargetFactory, region

pytestmark = pytest.mark.django_db

AS_OF = date(2025, 6, 30)


def annual_observation(indicator, region_code, year, value, unit, **extra):
    return ObservationFactory(
        indicator=indicator,
        region=region(region_code),
        period=str(year),
        period_start=datetime.date(year, 1, 1),
        period_end=datetime.date(year, 12, 31),
        value=value,
        unit=unit,
        **extra,
    )


def progress_of(key: str, as_of: date = AS_OF):
    return evaluate_targets(Target.objects.filter(key=key), as_of=as_of)[0]


def test_lithium_output_moderate_progress_by_hand():
    # 锂产业链产值: 165亿元 in 2023 (pack), 700亿元 by 2025; we add 330亿元 for 2024.
    output = Indicator.objects.get(code="OUTPUT")
    annual_observation(output, "150000", 2024, 330, "亿元")
    result = progress_of("im-li-output-2025")
    row = result.row()
    # observed CAGR = 330/165 − 1 = 1.0; required = (700/165)^(1/2) − 1 = 1.059715;
    # ratio = 1.0 / 1.059715 = 0.943650 → moderate (0.6 ≤ ratio < 0.95).
    assert row["baseline_value"] == pytest.approx(165)
    assert row["baseline_period"] == "2023"
    assert row["latest_value"] == pytest.approx(330)
    assert row["latest_period"] == "2024"
    assert row["observed_cagr"] == pytest.approx(1.0)
    assert row["required_cagr"] == pytest.approx(1.059715, abs=1e-6)
    assert row["ratio"] == pytest.approx(0.943650, abs=1e-6)
    assert row["status"] == "moderate"
    # 时序进度: (330 − 165) / (700 − 165) = 0.308411; elapsed (2025 + 181/365 − 2024) / 2 = 0.747945.
    assert row["share_achieved"] == pytest.approx(0.308411, abs=1e-6)
    assert row["share_elapsed"] == pytest.approx(0.747945, abs=1e-6)
    assert row["light"] == "yellow"  # pace gap −0.44 but ratio ≥ 0.6
    # Two points → log-linear projection at constant growth 1.0/yr: 330 × 2 = 660 by end of 2025.
    assert row["projected_value"] == pytest.approx(660)
    assert row["sample"] is False and "\n" not in row["reason"] and "比值0.94" in row["reason"]


def test_milestones_come_from_sibling_targets():
    # The 2030 target (>2000亿元) passes through the 2025 milestone (700亿元) on its trajectory.
    output = Indicator.objects.get(code="OUTPUT")
    annual_observation(output, "150000", 2024, 330, "亿元")
    result = progress_of("im-li-output-2030")
    trajectory = dict(result.progress.trajectory)
    assert trajectory[2023] == pytest.approx(165)
    assert trajectory[2025] == pytest.approx(700)
    assert trajectory[2030] == pytest.approx(2000)
    assert trajectory[2024] == pytest.approx((165 + 700) / 2)  # linear between anchors


def test_target_without_observations_is_no_data_and_grey():
    result = progress_of("im-li-cap-electrolyte-2025")
    row = result.row()
    assert (row["status"], row["light"]) == ("no_data", "grey")
    assert row["latest_value"] is None and row["projected_value"] is None and row["ratio"] is None
    assert row["reason"] == "无观测数据"


def test_stale_observation_is_not_used_as_current():
    indicator = IndicatorFactory(unit="亿元", kind=Indicator.Kind.STOCK)
    target = TargetFactory(indicator=indicator, year=2027, value=100, unit="亿元", comparator=">=")
    annual_observation(indicator, "150000", 2021, 40, "亿元")
    annual_observation(indicator, "150000", 2022, 50, "亿元")
    result = evaluate_targets(Target.objects.filter(pk=target.pk), as_of=AS_OF)[0]
    # annual data goes stale 18 months after 2022-12-31, i.e. after 2024-06-30.
    assert (result.status, result.light) == ("stale", "grey")
    assert result.row()["latest_period"] == "2022" and result.row()["latest_value"] == pytest.approx(50)
    assert "数据已过期" in result.row()["reason"]


def test_observations_in_tonnes_are_converted_for_a_target_in_wan_tonnes():
    indicator = IndicatorFactory(unit="万吨", kind=Indicator.Kind.STOCK)
    target = TargetFactory(indicator=indicator, year=2025, value=10, unit="万吨", comparator=">=")
    annual_observation(indicator, "150000", 2023, 50000, "吨")
    annual_observation(indicator, "150000", 2024, 80000, "吨")
    row = evaluate_targets(Target.objects.filter(pk=target.pk), as_of=AS_OF)[0].row()
    # 50000 吨 = 5 万吨, 80000 吨 = 8 万吨; observed CAGR 8/5 − 1 = 0.6; required (10/5)^(1/2) − 1.
    assert row["baseline_value"] == pytest.approx(5)
    assert row["latest_value"] == pytest.approx(8)
    assert row["value_unit"] == "万吨"
    assert row["observed_cagr"] == pytest.approx(0.6)
    assert row["required_cagr"] == pytest.approx(2**0.5 - 1)
    assert row["ratio"] == pytest.approx(0.6 / (2**0.5 - 1))
    assert row["status"] == "substantial"


def test_incompatible_unit_is_reported_never_converted():
    indicator = IndicatorFactory(unit="亿元")
    target = TargetFactory(indicator=indicator, year=2025, value=100, unit="亿元")
    annual_observation(indicator, "150000", 2024, 240, "万头")
    row = evaluate_targets(Target.objects.filter(pk=target.pk), as_of=AS_OF)[0].row()
    assert (row["status"], row["light"]) == ("unit_mismatch", "grey")
    assert row["latest_value"] is None
    assert "万头" in row["reason"] and "不能换算" in row["reason"]


def test_restatement_gets_the_progress_of_the_target_it_restates():
    output = Indicator.objects.get(code="OUTPUT")
    beef = Sector.objects.get(code="XL.I.BEEF")
    annual_observation(output, "152500", 2023, 110, "亿元", sector=beef)
    annual_observation(output, "152500", 2024, 128, "亿元", sector=beef)
    original, appendix = evaluate_targets(
        Target.objects.filter(key__in=["xl-beef-output-2025", "xl-appx-beef-output-2025"]).order_by("key"),
        as_of=AS_OF,
    )[::-1]
    assert appendix.target.key == "xl-appx-beef-output-2025" and original.target.key == "xl-beef-output-2025"
    assert appendix.restated.pk == original.target.pk
    assert appendix.row()["restates"] == original.target.pk
    assert appendix.progress == original.progress
    # Xilingol's plan starts in 2025: the baseline is 2024 (128), nothing after it yet.
    assert original.row()["baseline_period"] == "2024"


def test_count_ladder_consistent_with_the_appendix_for_2025_2027_2030():
    expected = {
        2025: {500: ["现代能源产业集群"], 200: 2, 100: 3},
        2027: {800: 1, 500: 2, 200: 3, 100: 6},
        2030: {900: 1, 800: 2, 500: 4, 200: 6},
    }
    for year, ladder in expected.items():
        checks = count_ladder_against_targets(year, region="152500")
        assert {int(c.target.count_threshold) for c in checks} == set(ladder)
        for check in checks:
            assert check.met and check.exact, check.result.explanation
            assert check.member_values["文旅产业集群"] is None  # blank in the appendix: no value
    checks_2025 = {int(c.target.count_threshold): c for c in count_ladder_against_targets(2025, region="152500")}
    assert checks_2025[500].result.qualifying == ["现代能源产业集群"]
    # Cumulative: the 690 energy cluster counts toward ≥500, ≥200 and ≥100.
    assert checks_2025[100].result.qualifying == ["现代能源产业集群", "绿色农畜产品产业集群", "绿电+先进载能产业集群"]
    # 现代装备制造产业集群 has no 合计 row: its value is the sum of its one industry row (135 in 2027).
    checks_2027 = count_ladder_against_targets(2027, region="152500")
    assert checks_2027[0].member_values["现代装备制造产业集群"] == pytest.approx(135)


def test_count_target_from_observations_never_invents_member_values():
    output = Indicator.objects.get(code="OUTPUT")
    energy = Sector.objects.get(code="XL.C.ENERGY")
    agri = Sector.objects.get(code="XL.C.AGRI")
    annual_observation(output, "152500", 2024, 520, "亿元", sector=energy)
    annual_observation(output, "152500", 2024, 1_500_000, "万元", sector=agri)  # = 150 亿元
    results = {
        r.target.key: r
        for r in evaluate_targets(Target.objects.filter(key__startswith="xl-cluster-count-").filter(year=2025), as_of=AS_OF)
    }
    at_500 = results["xl-cluster-count-500-2025"]
    assert (at_500.status, at_500.light) == ("achieved", "green")
    assert at_500.progress.latest_value == 1
    at_200 = results["xl-cluster-count-200-2025"]
    assert (at_200.status, at_200.light) == ("limited", "yellow")  # 1 of 2, the year not over
    members = at_200.progress.components["member_values"]
    assert members["现代能源产业集群"] == pytest.approx(520)
    assert members["绿色农畜产品产业集群"] == pytest.approx(150)
    assert members["新材料产业集群"] is None
    assert "缺少数值" in at_200.row()["reason"]
    late = evaluate_targets(Target.objects.filter(key="xl-cluster-count-200-2025"), as_of=date(2026, 3, 31))[0]
    assert late.light == "red"


def test_seed_totals_are_consistent_and_a_planted_inconsistency_is_flagged():
    assert consistency_report("xl-clusters-2025") == []
    Target.objects.filter(key="xl-appx-agri-total-2025").update(value=460)
    issues = consistency_report("xl-clusters-2025")
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.kind, issue.target.key) == ("total", "xl-appx-agri-total-2025")
    # 150 + 140 + 75 + 90 = 455 (肉牛、肉羊、马铃薯、乳制品)
    assert (issue.stated, issue.sum_of_parts, issue.difference) == (460, 455, 5)
    assert "相差5" in issue.message


def test_energy_total_leaves_the_blank_storage_industry_out():
    Target.objects.filter(key="xl-appx-energy-total-2025").update(value=700)
    issue = next(i for i in consistency_report() if i.target.key == "xl-appx-energy-total-2025")
    assert issue.sum_of_parts == 690 and issue.blank_parts == ["储能产业"]


def test_allocations_that_do_not_add_up_are_flagged():
    indicator = IndicatorFactory(unit="亿元")
    parent = TargetFactory(indicator=indicator, region=region("150000"), value=100, unit="亿元")
    TargetFactory(indicator=indicator, region=region("150400"), value=40, unit="亿元", parent=parent)
    TargetFactory(indicator=indicator, region=region("152500"), value=500_000, unit="万元", parent=parent)
    issues = [i for i in consistency_report() if i.kind == "allocation"]
    assert len(issues) == 1
    assert (issues[0].status, issues[0].sum_of_parts, issues[0].difference) == ("under", 90, 10)


def test_rollup_over_regions_and_sectors():
    output = Indicator.objects.get(code="OUTPUT")
    annual_observation(output, "152502", 2024, 30, "亿元")
    annual_observation(output, "152528", 2024, 120_000, "万元")  # 12 亿元
    beef = Sector.objects.get(code="XL.I.BEEF")
    mutton = Sector.objects.get(code="XL.I.MUTTON")
    annual_observation(output, "152500", 2024, 128, "亿元", sector=beef)
    annual_observation(output, "152500", 2024, 100, "亿元", sector=mutton)
    result = rollup_observations("OUTPUT", "2024", root_region="152500")
    assert result["value"] == pytest.approx(42)
    assert result["regions"]["152500"]["complete"] is False
    assert "152522" in result["regions"]["152500"]["missing"]
    clusters = rollup_observations("OUTPUT", "2024", root_region="152500", sector="XL.C.AGRI")
    agri = clusters["sectors"]["XL.C.AGRI"]
    assert agri["value"] == pytest.approx(228)
    assert agri["complete"] is False and set(agri["missing"]) == {"XL.I.POTATO", "XL.I.DAIRY"}


def test_only_approved_current_observations_count():
    output = Indicator.objects.get(code="OUTPUT")
    annual_observation(output, "150000", 2024, 999, "亿元", status=Observation.Status.DRAFT)
    result = progress_of("im-li-output-2025")
    assert result.row()["latest_period"] == "2023"


def test_query_count_does_not_grow_with_the_number_of_targets():
    def count(queryset) -> int:
        with CaptureQueriesContext(connection) as queries:
            results = evaluate_targets(queryset, as_of=AS_OF)
            [r.row() for r in results]
        return len(queries.captured_queries)

    few = count(Target.objects.filter(key__in=["im-li-output-2025", "xl-cluster-count-500-2025"]))
    everything = count(Target.objects.all())
    assert Target.objects.count() >= 200
    # The targets, one per related table used (indicator, region, sector, chain node, document,
    # clause, owner — a relation that is empty for every target asks nothing), the siblings,
    # the sectors and member indicator for count targets, the observations: at most 12.
    assert few <= 12
    assert everything <= 12
    # Fifty more targets on other regions and years ask nothing more.
    li = Target.objects.get(key="im-li-output-2025")
    for n in range(50):
        TargetFactory(indicator=li.indicator, region=region(("150000", "152500", "520000", "360000")[n % 4]),
                      year=2031 + n, value=100 + n, unit=li.unit)
    assert count(Target.objects.all()) == everything


def test_count_of_industries_reads_the_clusters_industries():
    # 两大千亿级产业 (IM.C.EQUIP, members: industries): 新能源装备制造 1,100亿元 qualifies,
    # 新能源汽车制造 900亿元 does not — 1 of the 2 required.
    output = Indicator.objects.get(code="OUTPUT")
    annual_observation(output, "150000", 2024, 1100, "亿元", sector=Sector.objects.get(code="IM.I.NE_EQUIP"))
    annual_observation(output, "150000", 2024, 900, "亿元", sector=Sector.objects.get(code="IM.I.NEV"))
    result = progress_of("im-mfg-equip-industries-1000yi-2025")
    assert result.status == "limited"
    assert [r.qualifying for r in result.count] == [["新能源装备制造"]]
    assert "需2个，达到1个" in result.progress.reason
