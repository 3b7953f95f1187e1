"""Reads and writes of targets and observations. All writes take the acting user by keyword."""

from __future__ import annotations

from chainwatch.targets.models import Target


def _number(value):
    if value is None:
        return None
    return int(value) if value == value.to_integral() else float(value)


def target_row(target: Target) -> dict:
    """A target as the CLI and exports show it, with its provenance."""
    sector = target.sector_or_node
    return {
        "id": target.pk,
        "key": target.key,
        "indicator": target.indicator_text or target.indicator.name_zh,
        "indicator_code": target.indicator.code,
        "sector": sector.name_zh if sector else None,
        "sector_code": sector.code if sector else None,
        "region_code": target.region.code,
        "region": target.region.name_zh,
        "year": target.year,
        "value": _number(target.value),
        "value_max": _number(target.value_max),
        "unit": target.unit,
        "comparator": target.comparator,
        "change": target.change,
        "count_of": target.count_of,
        "qualifier": target.qualifier or None,
        "document": target.document.code if target.document else None,
        "clause": target.clause.path if target.clause else None,
        "span": target.span,
    }
