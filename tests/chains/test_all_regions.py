"""balance_all_regions gives, region by region, exactly what balance_for gives for the region alone
(every basis), in a number of queries that does not depend on how many regions have figures."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chainwatch.chains import services
from chainwatch.chains.models import ChainNode
from chainwatch.geo.models import Region
from chainwatch.targets.models import Indicator, Observation, Target
from factories import CapacityFactory, EnterpriseFactory, ObservationFactory, TargetFactory, region

pytestmark = pytest.mark.django_db

YEAR = 2025
FIELDS = (
    "node", "name", "unit", "supply", "demand", "demand_low", "demand_high", "ratio", "surplus", "verdict",
    "reference", "low", "high", "complete", "supply_source",
)


def node(code):
    return ChainNode.objects.get(code=code)


def capacity(region_code, node_code, amount, unit, status="built", **extra):
    enterprise = EnterpriseFactory(region=region(region_code))
    return CapacityFactory(
        enterprise=enterprise, region=enterprise.region, node=node(node_code), amount=amount, unit=unit,
        status=status, **extra,
    )


def published(region_code, indicator, node_code, value, unit, *, year=2024, **extra):
    return ObservationFactory(
        indicator=Indicator.objects.get(code=indicator), chain_node=node(node_code), region=region(region_code),
        period=str(year), period_start=datetime.date(year, 1, 1), period_end=datetime.date(year, 12, 31),
        value=value, unit=unit, **extra,
    )


def target(region_code, node_code, value, unit, **extra):
    return TargetFactory(
        indicator=Indicator.objects.get(code="CAPACITY"), chain_node=node(node_code), region=region(region_code),
        value=value, unit=unit, **extra,
    )


def build_world():
    """A province with a city and a banner below it, two more provinces' cities, and a prefecture
    whose only rows are closed: registry rows in several units and statuses (active, closed, not
    yet open), published aggregates that the registry replaces or not, targets with alternatives,
    a restatement and a rejection. The pack adds Inner Mongolia's published 2023 capacity and 2025
    targets."""
    # Inner Mongolia: built cells replace the published 10.5; the construction row opens in 2026,
    # so the registry covers construction cells (0) instead of the published 30
    capacity("150000", "LI.CELL", 12, "GWh/年")
    capacity("150000", "LI.CELL", 8, "GWh/年", "construction", start_year=2026)
    # one node, one status, two units and amounts that are not binary fractions: sums in order
    capacity("150000", "LI.CATHODE_LFP", Decimal("0.1"), "万吨/年")
    capacity("150000", "LI.CATHODE_LFP", Decimal("0.2"), "万吨/年")
    capacity("150000", "LI.CATHODE_LFP", 1_000, "吨/年")
    capacity("150000", "LI.ANODE", Decimal("2.3"), "万吨/年", "planned")
    # Baotou, below it: its rows are its own, not the province's
    capacity("150200", "LI.CELL", 6, "GWh/年")
    capacity("150200", "LI.ELECTROLYTE", Decimal("0.7"), "万吨/年", "construction", start_year=2024)
    # three statuses whose float sum depends on the order they are added in (0.6 or 0.6000000000000001)
    capacity("150200", "LI.CU_FOIL", Decimal("0.1"), "万吨/年", "built")
    capacity("150200", "LI.CU_FOIL", Decimal("0.2"), "万吨/年", "construction", start_year=2025)
    capacity("150200", "LI.CU_FOIL", Decimal("0.3"), "万吨/年", "planned")
    published("150200", "CAPACITY_PLANNED", "LI.ELECTROLYTE", 1.3, "万吨/年")
    # the banner publishes concentrate (pack); a closed registry row covers that node now
    capacity("152528", "LI.CONCENTRATE", Decimal("0.4"), "万吨/年", end_year=2024)
    # Guiyang: three statuses at one node, a published construction figure beside registry rows
    capacity("520100", "LI.CELL", 20, "GWh/年")
    capacity("520100", "LI.CATHODE_LFP", 45, "万吨/年")
    capacity("520100", "LI.CATHODE_LFP", Decimal("0.3"), "万吨/年", "construction", start_year=2025)
    capacity("520100", "LI.CATHODE_LFP", Decimal("0.1"), "万吨/年", "planned", end_year=2030)
    published("520100", "CAPACITY_UC", "LI.CELL", 15, "GWh/年")
    # Yichun and Jiangxi: registry in the city, published figures (latest up to the year) in the province
    capacity("360900", "LI.CARBONATE", 150_000, "吨/年")
    # three units at one node and status, likewise order-dependent: 0.1 + 0.3 (千吨) + 0.2 (吨)
    capacity("360900", "LI.HYDROXIDE", Decimal("0.1"), "万吨/年")
    capacity("360900", "LI.HYDROXIDE", 2_000, "吨/年")
    capacity("360900", "LI.HYDROXIDE", 3, "千吨/年")
    published("360000", "CAPACITY", "LI.CARBONATE", 3, "万吨/年", year=2023)
    published("360000", "CAPACITY", "LI.CARBONATE", 4.5, "万吨/年", year=2024)
    published("360000", "CAPACITY", "LI.CARBONATE", 9, "万吨/年", year=2026)
    published("360000", "CAPACITY", "LI.PRECURSOR_NCM", 2, "万吨/年", status=Observation.Status.DRAFT)
    # Aba: only a plant that closed in 2020
    capacity("513200", "LI.CARBONATE", 5, "万吨/年", end_year=2020)
    # targets: alternatives (the larger counts), a restatement, a rejected one, another year
    target("520000", "LI.CELL", 40, "GWh/年")
    target("520000", "LI.CELL", 55, "GWh/年")
    original = target("520000", "LI.CATHODE_LFP", 10, "万吨/年")
    target("520000", "LI.CATHODE_LFP", 12, "万吨/年", restates=original)
    target("520000", "LI.ANODE", 30, "万吨/年", review=Target.Review.REJECTED)
    target("520000", "LI.ANODE", 8, "万吨/年", year=2027)
    target("520100", "LI.CARBONATE", 20_000, "吨/年")


def summary(result):
    return tuple(getattr(result, name) for name in FIELDS)


@pytest.mark.parametrize("basis", services.BASES)
def test_every_region_equals_balance_for_alone(basis):
    build_world()
    everything = services.balance_all_regions(YEAR, basis)
    expected = {
        "built": {"150000", "150200", "152528", "520100", "360900", "360000", "513200"},
        "construction": {"150000", "150200", "152528", "520100", "360900", "360000", "513200"},
        # the pack publishes planned concentrate capacity in 150425
        "planned": {"150000", "150200", "152528", "520100", "360900", "360000", "513200", "150425"},
        "targets": {"150000", "520000", "520100"},
    }[basis]
    assert set(everything) == expected
    for code in everything:
        alone = services.balance_for(code, YEAR, basis)
        assert [summary(r) for r in everything[code]] == [summary(r) for r in alone], code
    if basis == "targets":
        return
    province = {r.node: r for r in everything["150000"]}
    whole = {r.node: r for r in services.balance_for("150000", YEAR, basis, subtree=True)}
    assert province["LI.CELL"].supply == 12  # Baotou's 6 are not in the province's own figure
    assert whole["LI.CELL"].supply == 18
    # built 0.1 + 0.2 + 1,000 t (registry); under construction the published 7.5 (pack)
    assert province["LI.CATHODE_LFP"].supply == pytest.approx(0.4 if basis == "built" else 7.9)
    if basis == "planned":
        assert {r.node: r for r in everything["150200"]}["LI.CU_FOIL"].supply == (0.1 + 0.2) + 0.3
    hydroxide = {r.node: r for r in everything["360900"]}["LI.HYDROXIDE"].supply
    assert hydroxide == pytest.approx(0.6)
    closed = {r.node: r for r in everything["513200"]}["LI.CARBONATE"]
    assert (closed.supply, closed.supply_source) == (0, "registry")


def test_sources_and_statuses_per_basis():
    build_world()
    built = {r.node: r for r in services.balance_all_regions(YEAR, "built")["520100"]}
    construction = {r.node: r for r in services.balance_all_regions(YEAR, "construction")["520100"]}
    planned = {r.node: r for r in services.balance_all_regions(YEAR, "planned")["520100"]}
    assert (built["LI.CELL"].supply, built["LI.CELL"].supply_source) == (20, "registry")
    assert (construction["LI.CELL"].supply, construction["LI.CELL"].supply_source) == (35, "published+registry")
    assert planned["LI.CATHODE_LFP"].supply == 45 + 0.3 + 0.1
    assert built["LI.CATHODE_LFP"].supply_source == "registry"
    jiangxi = {r.node: r for r in services.balance_all_regions(YEAR, "built")["360000"]}
    assert (jiangxi["LI.CARBONATE"].supply, jiangxi["LI.CARBONATE"].supply_source) == (4.5, "published")
    assert jiangxi["LI.PRECURSOR_NCM"].supply == 0  # a draft is not a published figure
    guizhou = {r.node: r for r in services.balance_all_regions(YEAR, "targets")["520000"]}
    assert guizhou["LI.CELL"].supply == 55 and guizhou["LI.CELL"].supply_source == "target"
    assert guizhou["LI.CATHODE_LFP"].supply == 10  # the restatement does not count
    assert guizhou["LI.ANODE"].supply == 0


def test_a_year_without_any_figure_gives_no_region():
    for basis in services.BASES:  # the pack's figures are of 2023 and later
        result = services.balance_all_regions(2000, basis)
        assert len(result) == 0 and dict(result) == {} and result.verdict_counts()["LI.CELL"] == {}


def test_amounts_are_summed_exactly_whatever_order_the_database_reads_them_in():
    for amount in ("0.1", "0.2", "0.3"):  # as floats, 0.1 + 0.2 + 0.3 == 0.6000000000000001
        capacity("150200", "LI.SEPARATOR", Decimal(amount), "亿平方米/年")
    one = {r.node: r for r in services.balance_for("150200", YEAR, "built")}["LI.SEPARATOR"]
    every = {r.node: r for r in services.balance_all_regions(YEAR, "built")["150200"]}["LI.SEPARATOR"]
    assert one.supply == every.supply == 0.6


def _queries(basis, loaded=None):
    with CaptureQueriesContext(connection) as captured:
        result = services.balance_all_regions(YEAR, basis, template=loaded or services.DEFAULT_TEMPLATE)
        dict(result)  # every region's rows built: no query either
    return len(captured), len(result)


def test_the_number_of_queries_does_not_grow_with_the_regions():
    build_world()
    small = {basis: _queries(basis) for basis in services.BASES}
    counties = list(Region.objects.filter(level="county", valid_to__isnull=True).order_by("code")[:40])
    assert len(counties) == 40
    for i, county in enumerate(counties):
        capacity(county.code, "LI.CELL", i + 1, "GWh/年", ("built", "construction", "planned")[i % 3])
        published(county.code, "CAPACITY", "LI.ANODE", i + 1, "万吨/年")
        target(county.code, "LI.PACK", i + 1, "GWh/年")
    large = {basis: _queries(basis) for basis in services.BASES}
    for basis in services.BASES:
        assert large[basis][1] >= small[basis][1] + 40, basis  # the world did grow
    # template (3), capacity groups (1 per status), published aggregates, regions; targets:
    # template (3), targets, regions
    pinned = {"built": 6, "construction": 7, "planned": 8, "targets": 5}
    assert {basis: count for basis, (count, _regions) in small.items()} == pinned
    assert {basis: count for basis, (count, _regions) in large.items()} == pinned
    loaded = services.load_template()
    assert _queries("planned", loaded)[0] == 5  # with the template already loaded


def test_a_unit_that_does_not_fit_names_the_row_unless_the_row_is_inactive():
    build_world()
    closed = capacity("520100", "LI.ANODE", 3, "GWh/年", end_year=2024)
    result = services.balance_all_regions(YEAR, "built")  # balance_for ignores it too
    assert {r.node: r for r in result["520100"]}["LI.ANODE"].supply == 0
    services.balance_for("520100", YEAR, "built")
    closed.end_year = None
    closed.save()
    with pytest.raises(services.ChainError, match=rf"#{closed.pk}.*LI.ANODE.*GWh/年"):
        services.balance_all_regions(YEAR, "built")
    with pytest.raises(services.ChainError, match=rf"#{closed.pk}.*LI.ANODE.*GWh/年"):
        services.balance_for("520100", YEAR, "built")
