"""The vectorised engine (balance_matrix) gives exactly the scalar engine's numbers, region by region."""

import math
import random
from pathlib import Path

import pytest

from chainwatch.chains.balance import balance, balance_matrix, load_template

CHAINS = Path(__file__).resolve().parents[2] / "src" / "chainwatch" / "knowledge" / "chains"
MIXES = [
    {"LFP": 1.0},
    {"LFP": 0.7, "NCM811": 0.3},
    {"LFP": 0.5, "LMO": 0.5},  # null coefficients: unknown and incomplete links
    {"NCM523": 0.2, "NCM622": 0.3, "LMFP": 0.5, "spodumene": 0.6, "lepidolite": 0.4},
    {},  # no chemistry at all: every chemistry edge is unknown
]


def _same(matrix_value, scalar_value):
    if scalar_value is None:
        return math.isnan(matrix_value)
    return matrix_value == scalar_value  # exact: same operations in the same order


@pytest.mark.parametrize("name", ["lithium.yaml", "rare_earth.yaml", "corn.yaml"])
@pytest.mark.parametrize(
    "options",
    [{}, {"pass_through": False}, {"tolerance": 0.3}, {"reference": "national", "national": "random"}],
    ids=["default", "no-pass-through", "tolerance", "national"],
)
def test_matrix_equals_scalar(name, options):
    template = load_template(CHAINS / name)
    rng = random.Random(42)
    codes = [n.code for n in template.nodes]
    chemistries = template.chemistries()
    mixes = [{k: v for k, v in m.items() if k in chemistries} for m in MIXES]
    supplies, region_mix = {}, {}
    for i in range(60):
        supply = {code: round(rng.uniform(0, 50), 3) for code in rng.sample(codes, rng.randint(0, len(codes)))}
        if i % 7 == 0:
            supply = {}
        supplies[f"R{i}"] = supply
        region_mix[f"R{i}"] = mixes[i % len(mixes)]
    options = dict(options)
    if options.get("national") == "random":
        options["national"] = {code: rng.uniform(0, 500) for code in codes}
    matrix = balance_matrix(template, supplies, mixes=region_mix, **options)
    assert matrix.nodes == tuple(n.code for n in sorted(template.nodes, key=lambda n: (n.order, n.code)))
    for i, key in enumerate(matrix.keys):
        scalar = balance(template, supplies[key], mix=region_mix[key], **options)
        for j, result in enumerate(scalar):
            assert matrix.nodes[j] == result.node
            assert matrix.verdict[i, j] == result.verdict, (key, result.node)
            assert matrix.complete[i, j] == result.complete, (key, result.node)
            for field in ("supply", "demand", "demand_low", "demand_high", "ratio", "surplus", "low", "high"):
                assert _same(getattr(matrix, field)[i, j], getattr(result, field)), (key, result.node, field)


def test_matrix_refuses_bad_input():
    template = load_template(CHAINS / "lithium.yaml")
    with pytest.raises(ValueError, match="R1: supply: unknown node"):
        balance_matrix(template, {"R1": {"LI.NOPE": 1}}, mixes={"R1": {"LFP": 1.0}})
    with pytest.raises(ValueError, match="no mix for R2"):
        balance_matrix(template, {"R2": {}}, mixes={})
    with pytest.raises(ValueError, match="unknown chemistry"):
        balance_matrix(template, {"R3": {}}, mixes={"R3": {"LPF": 1.0}})
