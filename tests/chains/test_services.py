"""Balance, gaps, peers and panorama through the database (the knowledge pack is loaded).

Figures by hand from the Inner Mongolia 2025 targets (seed 000) and the published 2023 capacity
(same seed: 建成磷酸铁锂正极材料16万吨/年, 锂电池10.5GWh/年, 在建 … 7.5万吨/年, 30GWh/年 …),
in tonnes, then ÷ 10,000 for the nodes' 万吨/年.
"""

import datetime

import pytest

from chainwatch.accounts.models import Profile, Role
from chainwatch.chains import services
from chainwatch.chains.models import ChainEdge, ChainNode, ChemistryMix, Enterprise, EnterpriseAlias
from chainwatch.core.models import AuditEntry
from chainwatch.projects.models import Project
from chainwatch.targets.models import Indicator
from factories import CapacityFactory, EnterpriseFactory, ObservationFactory, region

pytestmark = pytest.mark.django_db


def approx(value, rel=1e-6):
    return pytest.approx(value, rel=rel)


def node(code):
    return ChainNode.objects.get(code=code)


def by_node(results):
    return {r.node: r for r in results}


def capacity(node_code, amount, unit, status="built", *, region_code="150000", **extra):
    enterprise = EnterpriseFactory(region=region(region_code))
    return CapacityFactory(
        enterprise=enterprise, region=enterprise.region, node=node(node_code), amount=amount, unit=unit,
        status=status, **extra,
    )


def published(indicator, node_code, value, unit, *, region_code="150000", year=2024):
    return ObservationFactory(
        indicator=Indicator.objects.get(code=indicator), chain_node=node(node_code), region=region(region_code),
        period=str(year), period_start=datetime.date(year, 1, 1), period_end=datetime.date(year, 12, 31),
        value=value, unit=unit,
    )


# --- the worked example ----------------------------------------------------------------------


def test_worked_example_through_the_database(django_assert_max_num_queries):
    with django_assert_max_num_queries(5):  # template (3), region, targets
        results = by_node(services.balance_for("150000", 2025, "targets"))
    lfp, anode, separator = results["LI.CATHODE_LFP"], results["LI.ANODE"], results["LI.SEPARATOR"]
    # 29 GWh × 2,200 t/GWh = 63,800 t; anode 29 × 1,050 = 30,450 t; separator 29 × 1,500 万m² = 4.35 亿m²
    assert (lfp.supply, lfp.demand, lfp.verdict) == (52, approx(6.38), "surplus")
    assert (anode.supply, anode.demand, anode.verdict) == (176.4, approx(3.045), "surplus")
    assert (separator.demand, separator.verdict) == (approx(4.35), "surplus")
    assert lfp.supply_source == "target" and lfp.reference == "local downstream demand"
    electrolyte = results["LI.ELECTROLYTE"]
    assert electrolyte.ratio == approx(30_000 / 31_900) and electrolyte.verdict == "balanced"
    concentrate = results["LI.CONCENTRATE"]
    # LFP plants 520,000 t × 0.245 = 127,400 t LCE; LiPF6 31,900 t × 0.135 × 0.243 = 1,046.5 t LCE
    shortfall_t = -concentrate.surplus * 1e4
    assert shortfall_t == approx(127_400 + 31_900 * 0.135 * 0.243 - 50_000)
    assert 75_000 <= shortfall_t <= 80_000 and concentrate.verdict == "short"
    assert results["LI.CARBONATE"].verdict == "missing"


def test_mix_comes_from_the_region_then_its_ancestors_then_national():
    loaded = services.load_template("LI")
    assert loaded.mix_for(region("150000")) == {"LFP": 1.0}
    assert loaded.mix_for(region("152528")) == {"LFP": 1.0}  # banner → league → Inner Mongolia
    assert loaded.mix_for(region("360900")) == {"LFP": 0.7, "NCM811": 0.3}  # Jiangxi has none: national
    # a league's own mix wins over the province's
    ChemistryMix.objects.create(template=loaded.row, region=region("152500"), shares={"NCM811": 1.0})
    assert services.load_template("LI").mix_for(region("152528")) == {"NCM811": 1.0}


# --- supply: registry vs published, statuses, years, units ----------------------------------


def test_published_aggregates_fill_nodes_without_registry_rows():
    built = by_node(services.balance_for("150000", 2025, "built"))
    assert built["LI.CATHODE_LFP"].supply == 16 and built["LI.CATHODE_LFP"].supply_source == "published"
    assert built["LI.CELL"].supply == 10.5
    # the LFP plants' local demand: 10.5 GWh × 2,200 t = 23,100 t
    assert built["LI.CATHODE_LFP"].demand == approx(2.31)
    construction = by_node(services.balance_for("150000", 2025, "construction"))
    assert construction["LI.CATHODE_LFP"].supply == approx(16 + 7.5)
    assert construction["LI.CELL"].supply == approx(10.5 + 30)
    assert construction["LI.CATHODE_LFP"].demand == approx(40.5 * 2_200 / 1e4)


def test_registry_rows_replace_the_published_figure_per_node_and_status():
    capacity("LI.CELL", 12, "GWh/年", "built")
    built = by_node(services.balance_for("150000", 2025, "built"))
    assert built["LI.CELL"].supply == 12 and built["LI.CELL"].supply_source == "registry"  # not 12 + 10.5
    assert built["LI.CATHODE_LFP"].supply == 16  # still the published figure
    construction = by_node(services.balance_for("150000", 2025, "construction"))
    # built from the registry (12), under construction still published (30)
    assert construction["LI.CELL"].supply == 42
    assert construction["LI.CELL"].supply_source == "published+registry"


def test_latest_published_period_up_to_the_year():
    published("CAPACITY", "LI.CATHODE_LFP", 23.5, "万吨/年", year=2024)
    published("CAPACITY", "LI.CATHODE_LFP", 40, "万吨/年", year=2026)
    assert by_node(services.balance_for("150000", 2023, "built"))["LI.CATHODE_LFP"].supply == 16
    assert by_node(services.balance_for("150000", 2025, "built"))["LI.CATHODE_LFP"].supply == 23.5
    assert by_node(services.balance_for("150000", 2026, "built"))["LI.CATHODE_LFP"].supply == 40


def test_start_and_end_years_and_planned_basis():
    capacity("LI.ANODE", 10, "万吨/年", "built", start_year=2020, end_year=2025)
    capacity("LI.ANODE", 5, "万吨/年", "construction", start_year=2026)
    capacity("LI.ANODE", 2, "万吨/年", "planned")

    def anode(year, basis):
        return by_node(services.balance_for("150000", year, basis))["LI.ANODE"].supply

    assert anode(2024, "built") == 10  # registry row, not the published 67.7
    # exited in 2025: the registry covers built anode capacity, so the published 67.7 (2023, which
    # counted that plant) is not taken instead
    assert anode(2025, "built") == 0
    assert anode(2025, "construction") == 0  # the construction row opens in 2026
    assert anode(2026, "construction") == 5
    assert anode(2026, "planned") == 7
    assert anode(2024, "planned") == 12


def test_units_are_converted_into_the_node_unit():
    capacity("LI.CATHODE_LFP", 50_000, "吨/年")  # 5 万吨/年
    capacity("LI.CATHODE_LFP", 3, "万吨/年")
    capacity("LI.SEPARATOR", 20_000, "万平方米/年")  # 2 亿平方米/年
    results = by_node(services.balance_for("150000", 2025, "built"))
    assert results["LI.CATHODE_LFP"].supply == approx(8)
    assert results["LI.SEPARATOR"].supply == approx(2)


def test_a_capacity_in_a_unit_that_does_not_fit_names_the_row():
    row = capacity("LI.CATHODE_LFP", 5, "GWh/年")
    with pytest.raises(services.ChainError, match=rf"#{row.pk}.*LI.CATHODE_LFP.*GWh/年"):
        services.balance_for("150000", 2025, "built")
    row.unit = "桶/年"
    row.save()
    with pytest.raises(services.ChainError, match=rf"#{row.pk}.*桶/年"):
        services.balance_for("150000", 2025, "built")


def test_subtree_takes_the_highest_published_figure_and_sums_registry_rows():
    # concentrate: only the banner 152528 publishes (0.5); the league figure, once present, replaces it
    results = by_node(services.balance_for("150000", 2025, "built", subtree=True))
    assert results["LI.CONCENTRATE"].supply == 0.5
    published("CAPACITY", "LI.CONCENTRATE", 0.8, "万吨/年", region_code="152500", year=2024)
    results = by_node(services.balance_for("150000", 2025, "built", subtree=True))
    assert results["LI.CONCENTRATE"].supply == 0.8
    alone = by_node(services.balance_for("150000", 2025, "built"))
    assert alone["LI.CONCENTRATE"].supply == 0  # the province itself publishes none
    capacity("LI.CELL", 4, "GWh/年", region_code="150600")
    capacity("LI.CELL", 6, "GWh/年", region_code="150200")
    results = by_node(services.balance_for("150000", 2025, "built", subtree=True))
    assert results["LI.CELL"].supply == 10 and results["LI.CELL"].supply_source == "registry"


def test_targets_basis_ignores_capacity_rows():
    capacity("LI.CELL", 100, "GWh/年")
    results = by_node(services.balance_for("150000", 2025, "targets"))
    assert results["LI.CELL"].supply == 29
    assert by_node(services.balance_for("150000", 2027, "targets"))["LI.CELL"].supply == 0


def test_national_reference_uses_the_countrys_supply():
    capacity("LI.CELL", 100, "GWh/年", region_code="520100")
    results = by_node(services.balance_for("150000", 2025, "built", reference="national"))
    lfp = results["LI.CATHODE_LFP"]
    # national cells: Inner Mongolia published 10.5 + Guizhou registry 100 = 110.5 GWh, IM mix LFP only
    assert lfp.reference == "national" and lfp.demand == approx(110.5 * 2_200 / 1e4)


# --- bad templates in the database ------------------------------------------------------------


def test_a_cycle_in_the_database_template_is_named():
    ChainEdge.objects.create(
        template=node("LI.CELL").template, source=node("LI.CELL"), target=node("LI.CATHODE_LFP"),
        central=1, low=1, high=1, unit="GWh/万吨", chemistry="",
    )
    with pytest.raises(services.ChainError, match=r"cycle.*LI\.CELL"):
        services.balance_for("150000", 2025, "targets")


def test_a_coefficient_unit_that_does_not_fit_its_edge_is_named():
    ChainEdge.objects.filter(source__code="LI.CATHODE_LFP", target__code="LI.CELL").update(unit="万平方米/GWh")
    with pytest.raises(services.ChainError, match=r"LI\.CATHODE_LFP>LI\.CELL@LFP.*万平方米/GWh"):
        services.balance_for("150000", 2025, "targets")


def test_unknown_region_basis_template():
    with pytest.raises(services.ChainError, match="999999"):
        services.balance_for("999999", 2025, "built")
    with pytest.raises(services.ChainError, match="basis"):
        services.balance_for("150000", 2025, "wished")
    with pytest.raises(services.ChainError, match="NOPE"):
        services.balance_for("150000", 2025, "built", template="NOPE")


# --- every region at once ---------------------------------------------------------------------


def test_all_regions_equal_one_by_one_in_a_constant_number_of_queries(django_assert_max_num_queries):
    capacity("LI.CELL", 20, "GWh/年", region_code="520100")
    capacity("LI.CATHODE_LFP", 45, "万吨/年", region_code="520100")
    capacity("LI.CARBONATE", 150_000, "吨/年", region_code="360900")
    with django_assert_max_num_queries(7):  # template (3), capacity (2), published, regions
        everything = services.balance_all_regions(2025, "built")
    assert set(everything) == {"150000", "152528", "520100", "360900"}
    for code, rows in everything.items():
        single = services.balance_for(code, 2025, "built")
        assert [(r.node, r.supply, r.demand, r.verdict, r.supply_source) for r in rows] == [
            (r.node, r.supply, r.demand, r.verdict, r.supply_source) for r in single
        ]
    guiyang = by_node(everything["520100"])
    # Guiyang inherits Guizhou's mix 75 % LFP / 25 % NCM622: 20 × 0.75 × 2,200 t = 33,000 t LFP
    assert guiyang["LI.CATHODE_LFP"].demand == approx(3.3)
    assert by_node(everything["360900"])["LI.CARBONATE"].supply == approx(15)
    targets = services.balance_all_regions(2025, "targets")
    assert set(targets) == {"150000"}
    assert by_node(targets["150000"])["LI.CONCENTRATE"].surplus == approx(
        by_node(services.balance_for("150000", 2025, "targets"))["LI.CONCENTRATE"].surplus
    )


# --- gaps ---------------------------------------------------------------------------------------


def test_gaps_rank_and_name_recruitment_candidates():
    leader = EnterpriseFactory(name="宜春碳酸锂链主有限公司", region=region("360900"), is_chain_leader=True)
    leader.nodes.add(node("LI.CARBONATE"))
    small = EnterpriseFactory(name="阿坝锂盐有限公司", region=region("513200"))
    small.nodes.add(node("LI.CARBONATE"))
    local = EnterpriseFactory(name="包头锂盐有限公司", region=region("150200"))  # inside the subtree
    local.nodes.add(node("LI.IRON_PHOSPHATE"))
    gaps = services.gaps_for("150000", 2025, "targets")
    kinds = [g.kind for g in gaps]
    assert kinds == sorted(kinds, key=["missing", "short", "extend", "unregistered"].index)
    found = {g.node: g for g in gaps}
    carbonate = found["LI.CARBONATE"]
    assert carbonate.kind == "missing" and carbonate.has_enterprises is False
    assert [c["name"] for c in carbonate.candidates] == ["宜春碳酸锂链主有限公司", "阿坝锂盐有限公司"]
    assert found["LI.IRON_PHOSPHATE"].has_enterprises is True and "核实产能" in found["LI.IRON_PHOSPHATE"].reason
    assert found["LI.IRON_PHOSPHATE"].candidates == ()  # only enterprises elsewhere are candidates
    assert found["LI.CONCENTRATE"].kind == "short"
    assert found["LI.CONCENTRATE"].score == approx(1 - 50_000 / (127_400 + 31_900 * 0.135 * 0.243))
    assert found["LI.PACK"].kind == "extend"
    # capacity figures (targets) without any enterprise in the registry
    assert found["LI.CATHODE_LFP"].kind == "unregistered"


def test_candidates_are_scoped(django_user_model):
    other = EnterpriseFactory(name="宜春碳酸锂有限公司", region=region("360900"))
    other.nodes.add(node("LI.CARBONATE"))
    user = django_user_model.objects.create_user("nm", password="x-strong-password-1")
    Profile.objects.create(user=user, role=Role.PROVINCE, region=region("150000"))
    found = {g.node: g for g in services.gaps_for("150000", 2025, "targets", user=user)}
    assert found["LI.CARBONATE"].candidates == ()  # a province user does not see Jiangxi's registry
    assert found["LI.CARBONATE"].kind == "missing"


# --- peers and panorama ---------------------------------------------------------------------


def test_peers_matrix(django_assert_max_num_queries):
    capacity("LI.CATHODE_LFP", 45, "万吨/年", region_code="520100")
    capacity("LI.CARBONATE", 15, "万吨/年", "construction", region_code="360900")
    # constant in the number of nodes; per region: its lookup and its supply (3 queries)
    with django_assert_max_num_queries(20):
        data = services.peers(["150000", "520000", "360000"], year=2025)
    assert [r["code"] for r in data["regions"]] == ["150000", "520000", "360000"]
    rows = {row["node"]: {cell["region"]: cell for cell in row["cells"]} for row in data["nodes"]}
    im_lfp = rows["LI.CATHODE_LFP"]["150000"]
    assert im_lfp["targeted"] is True and {t["value"] for t in im_lfp["targets"]} == {52.0}
    assert im_lfp["capacity"] == {"built": 16.0, "construction": 7.5, "planned": 0.0}
    assert rows["LI.CATHODE_LFP"]["520000"]["capacity"]["built"] == 45
    assert rows["LI.CATHODE_LFP"]["520000"]["targeted"] is False
    assert rows["LI.CARBONATE"]["360000"]["capacity"]["construction"] == 15
    # concentrate: 0.5 built (镶黄旗), 22.2 planned (克什克腾旗) in Inner Mongolia's subtree
    assert rows["LI.CONCENTRATE"]["150000"]["capacity"] == {"built": 0.5, "construction": 0.0, "planned": 22.2}
    assert rows["LI.CATHODE_NCM"]["520000"]["mentioned"]  # Guizhou's text names 三元正极材料


def test_panorama_shape_for_echarts():
    data = services.panorama("150000", 2025, "targets")
    assert {"nodes", "links", "categories"} <= set(data)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["LI.CATHODE_LFP"]["verdict"] == "surplus" and nodes["LI.CATHODE_LFP"]["color"] == "#1677ff"
    assert nodes["LI.CARBONATE"]["verdict"] == "missing"
    assert nodes["LI.CARBONATE"]["itemStyle"]["borderColor"] == services.MISSING_BORDER
    assert nodes["LI.CONCENTRATE"]["color"] == services.VERDICT_COLOURS["short"]
    assert nodes["LI.ELECTROLYTE"]["color"] == services.VERDICT_COLOURS["balanced"]
    assert data["categories"][nodes["LI.CELL"]["category"]]["key"] == "component"
    links = {(link["source"], link["target"]): link for link in data["links"]}
    lfp = links[("LI.CATHODE_LFP", "LI.CELL")]
    assert lfp["value"] == approx(6.38) and lfp["coefficient"] == approx(2200) and lfp["unit"] == "t/GWh"
    assert links[("LI.CARBONATE", "LI.CATHODE_LFP")]["value"] == approx(12.74)
    assert all(link["source"] in nodes and link["target"] in nodes for link in data["links"])
    assert not any(link["kind"] == "embodied" for link in data["links"])


# --- merge --------------------------------------------------------------------------------------


def test_merge_keeps_the_old_identity_as_alias_and_moves_everything():
    keep = EnterpriseFactory(name="内蒙古锂电材料有限公司", is_leading=True)
    drop = EnterpriseFactory(name="内蒙古锂电材料股份公司", is_listed=True, specialised="national")
    drop.nodes.add(node("LI.ANODE"))
    moved = CapacityFactory(enterprise=drop, node=node("LI.ANODE"), amount=3, unit="万吨/年")
    project = Project.objects.create(code="P-1", name="项目", region=region("150000"), owner=drop, total_investment=1)
    drop_id, drop_code = drop.pk, drop.uscc
    merged = services.merge_enterprises(keep, drop, actor=None, note="同一企业")
    assert not Enterprise.objects.filter(pk=drop_id).exists()
    alias = EnterpriseAlias.objects.get(enterprise=merged)
    assert (alias.name, alias.uscc) == ("内蒙古锂电材料股份公司", drop_code)
    moved.refresh_from_db()
    project.refresh_from_db()
    assert moved.enterprise_id == keep.pk and project.owner_id == keep.pk
    assert set(merged.nodes.values_list("code", flat=True)) == {"LI.ANODE"}
    assert (merged.is_leading, merged.is_listed, merged.specialised) == (True, True, "national")
    notes = list(AuditEntry.objects.filter(note__contains=f"#{drop_id}").values_list("action", flat=True))
    assert sorted(notes) == ["delete", "update"]
    with pytest.raises(services.ChainError, match="自身"):
        services.merge_enterprises(keep, keep, actor=None)
