"""Checking and writing one observation sent through the API.

``resolve_observation`` turns codes into rows and checks the request (every problem names its
field); ``create_observation`` writes it in one transaction with an audit record. The write
belongs with the other observation writes in ``targets/services.py``; it lives here until the
reporting service offers a single-value entry point.
"""

from __future__ import annotations

import math
from datetime import date

from django.db import IntegrityError, transaction
from rest_framework.exceptions import PermissionDenied, ValidationError

from chainwatch.accounts.models import Role
from chainwatch.chains.models import ChainNode, Sector
from chainwatch.core import audit
from chainwatch.core.models import AuditEntry
from chainwatch.core.periods import PeriodError, parse_period
from chainwatch.core.scoping import is_admin, profile_of, scope
from chainwatch.core.units import UnitError, compatible, parse_unit
from chainwatch.geo.models import Region
from chainwatch.targets.models import Indicator, Observation, series_key

EARLIEST_YEAR = 1949


def writable_region(user, region: Region) -> bool:
    """Whether ``user`` may report values for ``region``: administrators anywhere; province,
    prefecture and county users in their subtree; department users in their department's
    subtree; enterprise users in their enterprise's region; leaders nowhere."""
    if is_admin(user):
        return True
    profile = profile_of(user)
    if profile is None or profile.read_only:
        return False
    if profile.role == Role.ENTERPRISE:
        return profile.enterprise_id is not None and profile.enterprise.region_id == region.pk
    home = profile.department.region if profile.role == Role.DEPARTMENT and profile.department_id else profile.region
    return home is not None and region.path.startswith(home.path)


def resolve_observation(attrs: dict, *, user) -> dict:
    errors: dict[str, str] = {}
    indicator = Indicator.objects.filter(code=attrs["indicator"]).first()
    if indicator is None:
        errors["indicator"] = f"指标代码“{attrs['indicator']}”不存在 / unknown indicator code"
    region = Region.objects.filter(code=attrs["region"], valid_to__isnull=True).first()
    if region is None:
        errors["region"] = f"地区代码“{attrs['region']}”不存在 / unknown region code"
    elif not writable_region(user, region):
        # Same words whether the region exists elsewhere or not: nothing about other scopes leaks.
        raise PermissionDenied(f"无权为地区“{region.code}”填报 / you may not report for region {region.code}")
    sector = chain_node = None
    if attrs.get("sector"):
        sector = Sector.objects.filter(code=attrs["sector"]).first()
        if sector is None:
            errors["sector"] = f"集群/产业代码“{attrs['sector']}”不存在 / unknown sector code"
    if attrs.get("chain_node"):
        chain_node = ChainNode.objects.filter(code=attrs["chain_node"]).first()
        if chain_node is None:
            errors["chain_node"] = f"产业链环节代码“{attrs['chain_node']}”不存在 / unknown chain node code"
    if sector is not None and chain_node is not None:
        errors["chain_node"] = "sector 与 chain_node 只能填一个 / give a sector or a chain node, not both"
    try:
        period = parse_period(attrs["period"])
    except PeriodError as exc:
        errors["period"] = str(exc)
        period = None
    if period is not None:
        period = type(period)(period.start, period.end, period.kind, period.label.upper())
        if period.start > date.today():
            errors["period"] = f"期间“{period.label}”尚未开始 / the period has not started"
        elif period.start.year < EARLIEST_YEAR:
            errors["period"] = f"期间“{period.label}”早于{EARLIEST_YEAR}年 / the period is too early"
    value = attrs["value"]
    if not math.isfinite(float(value)):
        errors["value"] = "数值无效 / not a finite number"
    unit = attrs["unit"].strip()
    try:
        parse_unit(unit)
    except UnitError as exc:
        errors["unit"] = str(exc)
    else:
        expected = (indicator.unit if indicator else "") or (chain_node.unit if chain_node else "")
        if expected and not compatible(unit, expected):
            errors["unit"] = f"单位“{unit}”不能换算为指标单位“{expected}” / unit {unit!r} is not compatible with {expected!r}"
    if errors:
        raise ValidationError(errors)
    series = series_key(indicator.pk, region.pk, sector.pk if sector else None, chain_node.pk if chain_node else None)
    existing = Observation.objects.filter(series=series, period=period.label, is_current=True).first()
    if existing is not None:
        shown = scope(Observation.objects.filter(pk=existing.pk), user).exists()
        raise ValidationError({
            "period": f"该序列{period.label}已有数值" + (f"（id {existing.pk}）" if shown else "")
            + "，请通过填报流程修改 / a value for this series and period exists"
        })
    return {
        **attrs, "indicator": indicator, "region": region, "sector": sector, "chain_node": chain_node,
        "period": period, "unit": unit,
    }


@transaction.atomic
def create_observation(data: dict, *, actor) -> Observation:
    period = data["period"]
    observation = Observation(
        indicator=data["indicator"],
        indicator_text=data["indicator"].name_zh,
        region=data["region"],
        sector=data["sector"],
        chain_node=data["chain_node"],
        period=period.label,
        period_type=period.kind,
        period_start=period.start,
        period_end=period.end,
        value=data["value"],
        unit=data["unit"],
        qualifier=data.get("qualifier", ""),
        status=data["status"],
        reporter=actor if getattr(actor, "pk", None) else None,
        reporter_text=data.get("reporter_text", ""),
        source=data.get("source", "") or "API",
    )
    try:
        with transaction.atomic():
            observation.save()
    except IntegrityError:
        raise ValidationError({"period": "该序列该期间已有数值 / a value for this series and period exists"}) from None
    audit.record(actor, AuditEntry.Action.CREATE, observation, after=audit.snapshot(observation), note="API")
    return observation
