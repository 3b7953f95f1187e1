"""Synthetic data (合成数据) at small, province and national scale, for tests and benchmarks.

Every row it writes has ``origin = "synthetic"`` and a name starting with 【合成】; nothing here is
ever presented as real. See :mod:`chainwatch.synth.generator`.
"""

from chainwatch.synth.generator import (
    GENERATOR_VERSION,
    SCALES,
    SYNTH_LABEL,
    Scale,
    SynthError,
    SynthSummary,
    checksums,
    generate,
    remove_synthetic,
)

__all__ = [
    "GENERATOR_VERSION",
    "SCALES",
    "SYNTH_LABEL",
    "Scale",
    "SynthError",
    "SynthSummary",
    "checksums",
    "generate",
    "remove_synthetic",
]
