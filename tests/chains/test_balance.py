"""Material balance engine: the worked example of the lithium reference, and the edges of the rules.

Expected figures are computed by hand from /work/shared/reference/lithium_chain.md and the Inner
Mongolia 2025 targets (seed 000_42f07bc3c0448613.txt), in tonnes, then divided by 10,000 for the
万吨/年 the nodes are measured in.
"""

from itertools import pairwise
from pathlib import Path

import pytest

from chainwatch.chains.balance import (
    Edge,
    Node,
    Template,
    TemplateError,
    balance,
    gaps,
    load_template,
    validate_template,
)

CHAINS = Path(__file__).resolve().parents[2] / "src" / "chainwatch" / "knowledge" / "chains"

# 内蒙古 2025: 锂精矿5万吨/年（折碳酸锂当量），磷酸铁锂正极材料52万吨/年，负极材料176.4万吨/年，
# 电解液3万吨/年，隔膜15亿平方米/年，电池29GWh/年
IM_2025 = {
    "LI.CONCENTRATE": 5,
    "LI.CATHODE_LFP": 52,
    "LI.ANODE": 176.4,
    "LI.ELECTROLYTE": 3,
    "LI.SEPARATOR": 15,
    "LI.CELL": 29,
}
LFP_ONLY = {"LFP": 1.0}


@pytest.fixture(scope="module")
def lithium() -> Template:
    return load_template(CHAINS / "lithium.yaml")


@pytest.fixture(scope="module")
def im_2025(lithium):
    return {r.node: r for r in balance(lithium, IM_2025, mix=LFP_ONLY)}


def approx(value, rel=1e-6):
    return pytest.approx(value, rel=rel)


# --- the worked example --------------------------------------------------------------------


def test_lfp_cathode_far_above_local_cells(im_2025):
    lfp = im_2025["LI.CATHODE_LFP"]
    # 29 GWh × 2,200 t/GWh = 63,800 t; range 2,000–2,500 -> 58,000–72,500 t
    assert lfp.demand == approx(6.38)
    assert (lfp.demand_low, lfp.demand_high) == (approx(5.8), approx(7.25))
    assert lfp.ratio == approx(52 / 6.38)
    assert lfp.surplus == approx(52 - 6.38)
    assert lfp.verdict == "surplus"
    assert lfp.reference == "local downstream demand"
    # 520,000 t / 2,200 t/GWh ≈ 236 GWh of LFP cells
    assert lfp.supports == approx(520_000 / 2_200)
    assert lfp.supports_unit == "GWh/年"
    assert "本地下游需求" in lfp.reason and "富余" in lfp.reason
    (driver,) = lfp.drivers
    assert (driver.consumer, driver.chemistry, driver.coefficient) == ("LI.CELL", "LFP", 2200)
    assert driver.activity == 29 and driver.activity_basis == "supply"


def test_anode_is_a_national_base(im_2025):
    anode = im_2025["LI.ANODE"]
    assert anode.demand == approx(29 * 1_050 / 1e4)  # 30,450 t
    assert anode.verdict == "surplus"
    assert anode.supports == approx(1_764_000 / 1_050)  # 1,680 GWh


def test_separator_area_units_convert(im_2025):
    separator = im_2025["LI.SEPARATOR"]
    # 29 GWh × 15 million m²/GWh = 435 million m² = 4.35 亿平方米
    assert separator.unit == "亿平方米/年"
    assert separator.demand == approx(4.35)
    assert separator.verdict == "surplus"
    assert separator.supports == approx(100)  # 1.5 bn m² / 15 million m² per GWh


def test_electrolyte_roughly_balanced_with_band(im_2025):
    electrolyte = im_2025["LI.ELECTROLYTE"]
    # 30 kt against 29 GWh × 1,100 t/GWh = 31,900 t
    assert electrolyte.demand == approx(3.19)
    assert electrolyte.ratio == approx(30_000 / 31_900)
    assert electrolyte.verdict == "balanced"
    # coefficient range 1,000–1,300 t/GWh -> ratio band 30,000/37,700 … 30,000/29,000
    assert electrolyte.low == approx(30_000 / 37_700)
    assert electrolyte.high == approx(30_000 / 29_000)
    # supports ≈23–30 GWh
    assert electrolyte.supports_low == approx(30_000 / 1_300)
    assert electrolyte.supports_high == approx(30.0)


def test_lithium_short_against_the_lfp_plants(im_2025):
    # LFP plants: 520,000 t × 0.245 t LCE/t = 127,400 t LCE (0.234–0.25: 121,680–130,000).
    # LiPF6 for the electrolyte the local cells need: 31,900 t × 0.135 = 4,306.5 t, × 0.243 LCE/t.
    lipf6_lce = 31_900 * 0.135 * 0.243
    carbonate = im_2025["LI.CARBONATE"]
    assert carbonate.verdict == "missing"
    assert carbonate.demand == approx((127_400 + lipf6_lce) / 1e4)
    # electrolyte range 29,000–37,700 t (activity never below the 30,000 t supply) × 0.12–0.15
    assert carbonate.demand_low == approx((121_680 + 30_000 * 0.12 * 0.243) / 1e4)
    assert carbonate.demand_high == approx((130_000 + 37_700 * 0.15 * 0.243) / 1e4)

    concentrate = im_2025["LI.CONCENTRATE"]
    assert concentrate.verdict == "short"
    # no carbonate plant: its need passes through to the concentrate, counted in LCE (1 t/t)
    assert concentrate.demand == approx((127_400 + lipf6_lce) / 1e4)
    shortfall_t = -concentrate.surplus * 1e4
    assert shortfall_t == approx(127_400 + lipf6_lce - 50_000)
    assert 75_000 <= shortfall_t <= 80_000
    (driver,) = concentrate.drivers
    assert driver.consumer == "LI.CARBONATE"
    assert driver.activity_basis == "pass-through demand"
    assert "向上传导" in concentrate.reason


def test_without_pass_through_missing_carbonate_blocks_the_lithium_balance(lithium):
    results = {r.node: r for r in balance(lithium, IM_2025, mix=LFP_ONLY, pass_through=False)}
    assert results["LI.CARBONATE"].verdict == "missing"
    assert results["LI.CONCENTRATE"].verdict == "no_demand"
    assert results["LI.CONCENTRATE"].demand == 0


def test_end_of_chain_and_empty_nodes(im_2025):
    assert im_2025["LI.CELL"].verdict == "no_demand"  # no pack capacity in the targets
    assert im_2025["LI.HYDROXIDE"].verdict == "no_demand"
    assert im_2025["LI.RECYCLE_MATERIAL"].consumers == ()


def test_gaps_rank_missing_then_short_then_extension(im_2025):
    found = gaps(list(im_2025.values()), {"LI.CARBONATE"})
    kinds = [g.kind for g in found]
    assert kinds == sorted(kinds, key=["missing", "short", "extend"].index)
    by_node = {g.node: g for g in found}
    assert by_node["LI.CARBONATE"].kind == "missing"
    assert by_node["LI.CARBONATE"].has_enterprises is True
    assert "核实产能" in by_node["LI.CARBONATE"].reason
    assert by_node["LI.IRON_PHOSPHATE"].kind == "missing"
    assert by_node["LI.CONCENTRATE"].kind == "short"
    assert by_node["LI.CONCENTRATE"].score == approx(
        1 - 50_000 / (127_400 + 31_900 * 0.135 * 0.243)
    )
    assert by_node["LI.PACK"].kind == "extend"  # cells present, no pack plant, no enterprise
    assert by_node["LI.HYDROXIDE"].kind == "extend"  # concentrate present
    assert "LI.CATHODE_LFP" not in by_node and "LI.ELECTROLYTE" not in by_node


# --- chemistry mix, overrides, national reference --------------------------------------------


def test_ncm_mix_routes_through_hydroxide(lithium):
    supply = {"LI.CELL": 10, "LI.CATHODE_NCM": 1, "LI.CATHODE_LFP": 1}
    results = {r.node: r for r in balance(lithium, supply, mix={"LFP": 0.5, "NCM811": 0.5})}
    ncm = results["LI.CATHODE_NCM"]
    # 10 GWh × 0.5 × 1,400 t/GWh = 7,000 t (1,300–1,550 -> 6,500–7,750)
    assert ncm.demand == approx(0.7)
    assert ncm.verdict == "surplus"
    assert (ncm.low, ncm.high) == (approx(10_000 / 7_750), approx(10_000 / 6_500))
    lfp = results["LI.CATHODE_LFP"]
    assert lfp.demand == approx(1.1)  # 10 × 0.5 × 2,200
    assert lfp.verdict == "balanced"  # 1.0 / 1.1 = 0.91
    assert results["LI.ANODE"].demand == approx((5 * 1_050 + 5 * 950) / 1e4)
    # NCM811 is made from hydroxide: 10,000 t cathode plant × 0.431
    hydroxide = results["LI.HYDROXIDE"]
    assert hydroxide.verdict == "missing"
    assert hydroxide.demand == approx(0.431)
    # no carbonate edge for NCM811: the LFP plant (activity 1.1 万吨 > its 1 万吨) needs 2,695 t
    carbonate_drivers = {d.consumer: d for d in results["LI.CARBONATE"].drivers}
    assert "LI.CATHODE_NCM" not in carbonate_drivers
    assert carbonate_drivers["LI.CATHODE_LFP"].demand == approx(11_000 * 0.245 / 1e4)
    # hydroxide counted as LCE upstream: 4,310 t × 0.880
    concentrate_drivers = {d.consumer: d for d in results["LI.CONCENTRATE"].drivers}
    assert concentrate_drivers["LI.HYDROXIDE"].demand == approx(4_310 * 0.880 / 1e4)
    assert results["LI.PRECURSOR_NCM"].demand == approx(0.97)


def test_mix_without_the_consumers_chemistries_is_unknown(lithium):
    results = {r.node: r for r in balance(lithium, {"LI.CATHODE_NCM": 1}, mix=LFP_ONLY)}
    hydroxide = results["LI.HYDROXIDE"]
    assert hydroxide.verdict == "unknown"
    assert hydroxide.ratio is None and hydroxide.surplus is None
    assert "三元正极材料的技术路线构成" in hydroxide.reason
    assert results["LI.PRECURSOR_NCM"].verdict == "missing"  # no chemistry on that edge


def test_unknown_mix_key_is_refused(lithium):
    with pytest.raises(ValueError, match="LPF"):
        balance(lithium, IM_2025, mix={"LPF": 1.0})


def test_override_replaces_the_coefficient_and_collapses_the_band(lithium):
    results = {
        r.node: r
        for r in balance(lithium, IM_2025, mix=LFP_ONLY, overrides={"LI.CATHODE_LFP>LI.CELL": 2000})
    }
    lfp = results["LI.CATHODE_LFP"]
    assert lfp.demand == approx(5.8)  # 29 × 2,000 t
    assert lfp.demand_low == lfp.demand_high == approx(5.8)
    assert lfp.drivers[0].overridden is True
    with pytest.raises(ValueError, match="matches no input edge"):
        balance(lithium, IM_2025, mix=LFP_ONLY, overrides={"LI.CELL>LI.ANODE": 1})


def test_national_reference_says_so(lithium):
    # MIIT 2024: 1,170 GWh of cells; illustrative mix 70 % LFP / 30 % NCM811
    results = {
        r.node: r
        for r in balance(
            lithium,
            IM_2025,
            mix={"LFP": 0.7, "NCM811": 0.3},
            reference="national",
            national={"LI.CELL": 1170},
        )
    }
    lfp = results["LI.CATHODE_LFP"]
    assert lfp.reference == "national"
    assert lfp.demand == approx(1170 * 0.7 * 2200 / 1e4)
    assert lfp.verdict == "short"
    assert "全国下游需求" in lfp.reason
    anode = results["LI.ANODE"]
    assert anode.demand == approx(1170 * (0.7 * 1050 + 0.3 * 950) / 1e4)  # 119.34 万吨
    assert anode.verdict == "surplus"
    with pytest.raises(ValueError, match="national"):
        balance(lithium, IM_2025, mix=LFP_ONLY, reference="national")


# --- null coefficients ---------------------------------------------------------------------


def test_null_coefficient_cannot_be_balanced(lithium):
    results = {
        r.node: r for r in balance(lithium, {"LI.CELL": 10, "LI.CATHODE_LMO": 1}, mix={"LMO": 1.0})
    }
    lmo = results["LI.CATHODE_LMO"]
    assert lmo.verdict == "unknown"
    assert lmo.complete is False
    assert "LI.CATHODE_LMO>LI.CELL@LMO" in lmo.reason and "系数未知" in lmo.reason
    assert lmo.drivers[0].demand is None


def test_known_part_still_shows_a_shortfall(lithium):
    # half LMO (no anode figure), half LFP: the LFP half alone needs 10 × 0.5 × 1,050 = 5,250 t
    results = {
        r.node: r
        for r in balance(lithium, {"LI.CELL": 10, "LI.ANODE": 0.1}, mix={"LFP": 0.5, "LMO": 0.5})
    }
    anode = results["LI.ANODE"]
    assert anode.complete is False
    assert anode.demand == approx(0.525)
    assert anode.verdict == "short"
    assert "至少" in anode.reason


def test_rare_earth_placeholders():
    rare_earth = load_template(CHAINS / "rare_earth.yaml")
    results = {
        r.node: r for r in balance(rare_earth, {"RE.MAGNET": 1, "RE.APP_MOTOR": 100}, mix={})
    }
    assert results["RE.MAGNET"].verdict == "unknown"
    assert "RE.MAGNET>RE.APP_MOTOR" in results["RE.MAGNET"].reason
    # a null coefficient with no downstream activity is simply no demand
    only_oxide = {r.node: r for r in balance(rare_earth, {"RE.OXIDE": 5}, mix={})}
    assert only_oxide["RE.OXIDE"].verdict == "no_demand"


# --- template validation -------------------------------------------------------------------


def _node(code, unit="万吨/年", stage="material"):
    return Node(code, code, unit, stage)


def test_cycle_is_named():
    template = Template(
        "X",
        (_node("X.A"), _node("X.B"), _node("X.C")),
        (
            Edge("X.A", "X.B", None, 1, 1, 1, "t/t"),
            Edge("X.B", "X.C", None, 1, 1, 1, "t/t"),
            Edge("X.C", "X.A", None, 1, 1, 1, "t/t"),
        ),
    )
    with pytest.raises(TemplateError, match="cycle") as info:
        validate_template(template)
    cycle = str(info.value).split(": ", 1)[1].split(" → ")
    assert cycle[0] == cycle[-1] and set(cycle) == {"X.A", "X.B", "X.C"}
    edges = {("X.A", "X.B"), ("X.B", "X.C"), ("X.C", "X.A")}
    assert all(pair in edges for pair in pairwise(cycle))


def test_coefficient_unit_must_fit_the_edge():
    template = Template(
        "X",
        (_node("X.SEPARATOR", "亿平方米/年"), _node("X.CELL", "GWh/年", "component")),
        (Edge("X.SEPARATOR", "X.CELL", None, 15, 12, 20, "t/GWh"),),
    )
    with pytest.raises(TemplateError, match=r"X\.SEPARATOR>X\.CELL.*t/GWh"):
        validate_template(template)


def test_unknown_node_code():
    template = Template("X", (_node("X.A"),), (Edge("X.A", "X.NOPE", None, 1, 1, 1, "t/t"),))
    with pytest.raises(TemplateError, match="X.NOPE"):
        validate_template(template)


def test_range_must_contain_central():
    template = Template(
        "X", (_node("X.A"), _node("X.B")), (Edge("X.A", "X.B", None, 1, 1.2, 2, "t/t"),)
    )
    with pytest.raises(TemplateError, match="does not contain"):
        validate_template(template)


# --- the data itself -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["lithium.yaml", "rare_earth.yaml", "corn.yaml"])
def test_templates_load(name):
    template = load_template(CHAINS / name)
    for mix in template.mixes:
        assert sum(mix.shares.values()) == approx(1.0), mix.region


def test_reference_coefficients_are_in_the_pack(lithium):
    edges = {(e.src, e.dst, e.chemistry, e.kind): e for e in lithium.edges}

    def coefficient(src, chemistry, dst="LI.CELL", kind="input"):
        edge = edges[(src, dst, chemistry, kind)]
        return (edge.central, edge.low, edge.high)

    # copied from the reference table (separator converted: million m² × 100 = 万平方米)
    assert coefficient("LI.CATHODE_LFP", "LFP") == (2200, 2000, 2500)
    assert coefficient("LI.CATHODE_LMFP", "LMFP") == (1900, 1750, 2100)
    assert coefficient("LI.CATHODE_NCM", "NCM523") == (1650, 1550, 1800)
    assert coefficient("LI.CATHODE_NCM", "NCM622") == (1550, 1450, 1700)
    assert coefficient("LI.CATHODE_NCM", "NCM811") == (1400, 1300, 1550)
    assert coefficient("LI.ANODE", "NCM811") == (950, 900, 1100)
    assert coefficient("LI.ANODE", "LMFP") == (1000, 1000, 1000)
    assert coefficient("LI.ELECTROLYTE", "NCM811") == (850, 750, 1000)
    assert coefficient("LI.SEPARATOR", "NCM811") == (1000, 800, 1400)
    assert coefficient("LI.CU_FOIL", "LFP") == (650, 500, 800)
    assert coefficient("LI.AL_FOIL", "NCM811") == (375, 300, 450)
    assert coefficient("LI.CARBONATE", "NCM523", kind="embodied") == (640, 600, 700)
    assert coefficient("LI.CARBONATE", None, "LI.CATHODE_LFP") == (0.245, 0.234, 0.25)
    conversions = {c.key: c.value for c in lithium.conversions}
    assert conversions["li_to_lce"] == 5.323
    assert conversions["lioh_h2o_to_lce"] == 0.880
    assert conversions["sc6_per_lce_85pct"] == 7.9
    for edge in lithium.edges:
        assert edge.source, edge.key
        assert edge.confidence in "ABCD"
