"""project_targets: the projections of many capacity targets in a constant number of queries,
the same as project_target one by one. A small world of targets that share regions, nodes and
years: Inner Mongolia's pack target (LI.CELL 2025, observation 10.5 GWh/年 in 2023) plus targets
of its prefecture Ordos (150600, in MWh/年, its own observation), of other years and of Guizhou.

Hand computation for Ordos' cell target (30,000 MWh/年 in 2025; default probabilities):
  built     = 4,000 (Ordos observation 2024) + 2,000 (enterprise capacity started 2025) = 6,000
  P1 在建 20 GWh,   2025-06-30 → 20,000 × 0.8 = 16,000
  P3 竣工投产 3 GWh on 2024-03-31 → already in the 2024 figure: not added
  P5 开工 1 GWh + 500 MWh = 1,500, 2025-09-30 → 1,500 × 0.6 = 900
  projected = 22,900;  low = high = 6,000 + 20,000 + 1,500 = 27,500
and for Inner Mongolia's (29 GWh/年): built = 10.5 + 2 = 12.5; P1 16, P2 签约 5 GWh × 0.3 = 1.5,
P3 3 × 1.0 = 3 (commissioned after the 2023 figure), P5 1.5 × 0.6 = 0.9 → projected 33.9.
"""

from datetime import date

import pytest

from chainwatch.accounts.models import Profile
from chainwatch.chains.models import Capacity, ChainNode
from chainwatch.projects import services
from chainwatch.projects.models import Stage
from chainwatch.projects.services import ProjectError
from chainwatch.targets.models import Indicator, Observation, Target
from factories import CapacityFactory, EnterpriseFactory, ObservationFactory, TargetFactory, region

pytestmark = pytest.mark.django_db
ON = date(2025, 6, 30)
P1, P2, P3, P4, P5 = (f"2025-{where}-38-03-00000{i}" for i, where in
                      enumerate(("150602", "150100", "150603", "520100", "150602"), start=1))


def node(code):
    return ChainNode.objects.get(code=code)


def built(where, amount, unit="GWh/年", node_code="LI.CELL", start_year=None, status=Capacity.Status.BUILT):
    return CapacityFactory(enterprise=EnterpriseFactory(region=region(where)), node=node(node_code), amount=amount,
                           unit=unit, start_year=start_year, status=status)


def add(code, stage, capacities, **dates):
    return services.create_project(
        actor=None, code=code, name=f"项目{code[-2:]}", region=region(code[5:11]), total_investment=10**9,
        stage=stage, capacities=capacities, on=ON, **dates,
    )


def target(where, year, value, unit="GWh/年", node_code="LI.CELL"):
    return TargetFactory(indicator=Indicator.objects.get(code="CAPACITY"), region=region(where), year=year,
                         value=value, unit=unit, chain_node=node(node_code))


@pytest.fixture
def world():
    capacity = Indicator.objects.get(code="CAPACITY")
    cell = node("LI.CELL")
    ordos = region("150600")
    ObservationFactory(indicator=capacity, region=ordos, chain_node=cell, period="2024", value=4000, unit="MWh/年")
    ObservationFactory(indicator=capacity, region=ordos, chain_node=cell, period="2025", period_start=date(2025, 1, 1),
                       period_end=date(2025, 12, 31), value=9999, unit="MWh/年", status=Observation.Status.DRAFT)
    ObservationFactory(indicator=capacity, region=ordos, chain_node=cell, period="2023", period_start=date(2023, 1, 1),
                       period_end=date(2023, 12, 31), value=8888, unit="MWh/年", is_current=False)
    built("150602", 3, start_year=2023)
    built("150602", 2000, unit="MWh/年", start_year=2025)
    built("150100", 1)  # no start year: counted only where there is no observation
    built("150100", 5, start_year=2021)
    built("520100", 7, start_year=2024)
    built("150602", 10, unit="万吨/年", node_code="LI.ANODE", start_year=2025)
    built("150602", 50, start_year=2025, status=Capacity.Status.CONSTRUCTION)
    add(P1, Stage.CONSTRUCTION, [{"node": "LI.CELL", "amount": 20}, {"node": "LI.ANODE", "amount": 8, "unit": "万吨/年"}],
        planned_end=date(2025, 6, 30), actual_start=date(2024, 4, 15))
    add(P2, Stage.SIGNED, [{"node": "LI.CELL", "amount": 5000, "unit": "MWh/年"}], planned_end=date(2025, 12, 31))
    add(P3, Stage.OPERATING, [{"node": "LI.CELL", "amount": 3}], planned_end=date(2024, 3, 31),
        actual_start=date(2023, 1, 1), actual_end=date(2024, 3, 31))
    add(P4, Stage.PIPELINE, [{"node": "LI.CELL", "amount": 10}], planned_end=date(2025, 6, 30))
    add(P5, Stage.STARTED, [{"node": "LI.CELL", "amount": 1}, {"node": "LI.CELL", "amount": 500, "unit": "MWh/年"}],
        planned_end=date(2025, 9, 30), actual_start=date(2025, 1, 2))
    made = {
        "ordos": target("150600", 2025, 30000, unit="MWh/年"),
        "im-2024": target("150000", 2024, 20),
        "im-2022": target("150000", 2022, 15),
        "guizhou": target("520000", 2025, 40),
        "ordos-anode": target("150600", 2025, 50, unit="万吨/年", node_code="LI.ANODE"),
    }
    return {key: t.pk for key, t in made.items()}


def capacity_targets():
    return list(services.capacity_targets().select_related("indicator", "region", "chain_node").order_by("pk"))


def test_bulk_equals_one_by_one_and_the_hand_computation(world):
    targets = capacity_targets()
    assert len(targets) >= 10  # the pack's six and the five above, across regions, nodes and years
    bulk = services.project_targets(targets)
    assert bulk == [services.project_target(t) for t in targets]
    by_pk = {t.pk: result for t, result in zip(targets, bulk, strict=True)}

    ordos = by_pk[world["ordos"]]
    assert (ordos.built, ordos.projected, ordos.low, ordos.high) == (6000, pytest.approx(22900), 27500, 27500)
    assert {c.code: c.amount for c in ordos.contributions} == {P1: 20000, P5: pytest.approx(1500)}
    assert [b.amount for b in ordos.baseline] == [4000, 2000]

    cell = by_pk[Target.objects.get(key="im-li-cap-cell-2025").pk]
    assert cell.built == pytest.approx(12.5) and cell.projected == pytest.approx(33.9)
    assert {c.code for c in cell.contributions} == {P1, P2, P3, P5}

    earlier = by_pk[world["im-2022"]]  # the 2023 observation is too late for 2022: the enterprises count
    assert earlier.built == pytest.approx(6) and len(earlier.baseline) == 2
    assert by_pk[world["im-2024"]].built == pytest.approx(10.5)
    guizhou = by_pk[world["guizhou"]]
    assert guizhou.built == 7 and [c.code for c in guizhou.contributions] == [P4]
    anode = by_pk[world["ordos-anode"]]
    assert anode.built == 10 and [(c.code, c.amount) for c in anode.contributions] == [(P1, 8)]


def test_bulk_equals_one_by_one_with_a_scenario_a_scoped_user_and_local_probabilities(world, django_user_model):
    services.StageProbability.objects.create(jurisdiction=region("150600"), stage="construction", probability=0.5)
    user = django_user_model.objects.create_user("ordos", password="a-strong-password-1")
    Profile.objects.create(user=user, role="prefecture", region=region("150600"))
    targets = capacity_targets()
    scenario = services.scenario_from(4, [P1, P5])
    bulk = services.project_targets(targets, scenario=scenario, user=user)
    assert bulk == [services.project_target(t, scenario=scenario, user=user) for t in targets]
    by_pk = {t.pk: result for t, result in zip(targets, bulk, strict=True)}
    cell = by_pk[Target.objects.get(key="im-li-cap-cell-2025").pk]
    assert {c.code for c in cell.contributions} == {P1, P3, P5}  # P2 lies outside Ordos
    assert by_pk[world["ordos"]].probabilities["construction"] == 0.5 and cell.probabilities["construction"] == 0.8
    assert by_pk[world["guizhou"]].contributions == []
    assert next(c for c in cell.contributions if c.code == P1).expected_date == date(2025, 10, 30)


def test_query_count_does_not_grow_with_the_targets(world, django_assert_num_queries):
    targets = capacity_targets()
    # observations, built capacities, project capacities, stage probabilities
    with django_assert_num_queries(4):
        assert len(services.project_targets(targets)) == len(targets)
    with django_assert_num_queries(4):
        services.project_targets(targets[:2])
    expected = services.project_targets(targets)
    plain = list(Target.objects.filter(pk__in=[t.pk for t in targets]).order_by("pk"))
    with django_assert_num_queries(6):  # and the indicators and regions, once each
        assert services.project_targets(plain) == expected
    with django_assert_num_queries(0):
        assert services.project_targets([]) == []


def test_a_non_capacity_target_among_many_is_refused(world):
    targets = [*capacity_targets(), Target.objects.get(key="im-li-output-2025")]
    with pytest.raises(ProjectError, match="目标im-li-output-2025不是产能目标"):
        services.project_targets(targets)
