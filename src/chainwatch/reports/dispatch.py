"""调度报告: where a region's or cluster's targets stand as of a date.

Sections: summary (traffic-light counts), the traffic-light table, lagging targets with their
pace gap, projections to the target year, missing reports, and the clause behind each target.
Progress comes from :func:`chainwatch.targets.services.evaluate_targets`; any figure from
sample rows (origin = sample) is marked 示例数据.  Restatements (appendix rows repeating a
target) share the progress of the target they restate and are not listed twice.

Missing reports: for each series behind the region's targets (count targets excepted), the
latest *due* period is the last reporting period of the indicator's cycle that ended before the
as-of date (annual: the previous year; quarterly: the last ended quarter; monthly: the last
ended month); a series whose latest approved observation ends before that period's end — or that
has none — is listed, for targets whose year is not before the due period.
"""

from __future__ import annotations

import calendar
from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from chainwatch.chains.models import Sector
from chainwatch.core.scoping import scope
from chainwatch.geo.models import Region
from chainwatch.reports.structure import Column, Report, Section
from chainwatch.targets.models import Indicator, Target
from chainwatch.targets.services import TargetProgress, evaluate_targets, light_counts


class ReportError(ValueError):
    """Bad report input (unknown region or cluster, cluster outside the region)."""


def resolve_scope(region_code: str | None, cluster_code: str | None = None) -> tuple[Region, Sector | None]:
    """The region and cluster a report covers; a clear Chinese + English error otherwise."""
    cluster = None
    if cluster_code:
        cluster = Sector.objects.select_related("region").filter(code=cluster_code).first()
        if cluster is None:
            raise ReportError(f"集群/产业代码“{cluster_code}”不存在 / unknown cluster code {cluster_code!r}")
    if region_code:
        region = Region.objects.filter(code=region_code, valid_to__isnull=True).first()
        if region is None:
            raise ReportError(f"地区代码“{region_code}”不存在 / unknown region code {region_code!r}")
    elif cluster is not None:
        region = cluster.region
    else:
        raise ReportError("请指定地区或集群 / a region or a cluster is required")
    if cluster is not None and not cluster.region.path.startswith(region.path):
        raise ReportError(
            f"集群“{cluster.name_zh}”不在{region.name_zh}范围内 / cluster {cluster.code} lies outside region {region.code}"
        )
    return region, cluster


def report_targets(region: Region, cluster: Sector | None = None, user=None) -> QuerySet[Target]:
    targets = Target.objects.exclude(review=Target.Review.REJECTED).filter(region__path__startswith=region.path)
    if cluster is not None:
        targets = targets.filter(Q(sector=cluster) | Q(sector__parent=cluster))
    if user is not None:
        targets = scope(targets, user)
    return targets.order_by("region__path", "document__code", "span_start", "id")


def due_period(cycle: str, as_of: date) -> tuple[str, date]:
    """The latest reporting period of ``cycle`` that ended before ``as_of``: (label, end)."""
    if cycle == Indicator.Cycle.MONTHLY:
        year, month = (as_of.year, as_of.month - 1) if as_of.month > 1 else (as_of.year - 1, 12)
        return f"{year}-{month:02d}", date(year, month, calendar.monthrange(year, month)[1])
    if cycle == Indicator.Cycle.QUARTERLY:
        quarter = (as_of.month - 1) // 3
        year = as_of.year if quarter else as_of.year - 1
        quarter = quarter or 4
        month = quarter * 3
        return f"{year}Q{quarter}", date(year, month, calendar.monthrange(year, month)[1])
    return str(as_of.year - 1), date(as_of.year - 1, 12, 31)


def _target_label(target: Target) -> str:
    return target.indicator_text or target.indicator.name_zh


def _subject(target: Target) -> str:
    sector = target.sector_or_node
    return sector.name_zh if sector else ""


def _target_value(target: Target) -> str:
    symbol = {">=": "≥", ">": ">", "<=": "≤", "~": "约", "=": ""}[target.comparator]
    value = f"{target.value.normalize():f}"
    if target.value_max is not None:
        value += f"–{target.value_max.normalize():f}"
    if target.change_kind:
        verb = "下降" if target.change_kind == "decrease" else "提高"
        return f"较{target.change_base_year}年{verb}{target.change_percent.normalize():f}%"
    return f"{symbol}{value}"


def _source(result: TargetProgress) -> str:
    return _("示例数据") if result.sample else ""


def target_columns() -> list[Column]:
    return [
        Column("target", _("目标"), width=2),
        Column("region", _("地区")),
        Column("subject", _("集群/产业/环节")),
        Column("year", _("目标年")),
        Column("target_value", _("目标值")),
        Column("unit", _("单位")),
    ]


def _target_cells(result: TargetProgress) -> dict:
    target = result.target
    return {
        "target": _target_label(target),
        "region": target.region.name_zh,
        "subject": _subject(target),
        "year": target.year,
        "target_value": _target_value(target),
        "unit": target.unit,
    }


def lights_section(results: list[TargetProgress]) -> Section:
    rows = []
    for result in results:
        p = result.progress
        rows.append({
            **_target_cells(result),
            "latest": p.latest_value,
            "value_unit": result.unit,
            "period": result.latest_period,
            "status": result.status_zh,
            "light": p.light,
            "share_achieved": p.share_achieved if p.light != "grey" else None,
            "share_elapsed": p.share_elapsed if p.light != "grey" else None,
            "reason": " ".join(p.reason.split()),
            "source": _source(result),
        })
    return Section(
        "lights",
        _("三色预警表"),
        [
            *target_columns(),
            Column("latest", _("最新值"), "number"),
            Column("value_unit", _("最新值单位")),
            Column("period", _("期间")),
            Column("status", _("状态")),
            Column("light", _("预警"), "light"),
            Column("share_achieved", _("完成比例"), "percent"),
            Column("share_elapsed", _("时间进度"), "percent"),
            Column("reason", _("说明"), width=4),
            Column("source", _("数据性质")),
        ],
        rows,
        intro=_("绿灯：已达标或进度正常；黄灯：进度偏慢；红灯：明显落后或倒退；灰色：无数据、数据过期、缺基期或单位不符，不作推算。"),
    )


def lagging_section(results: list[TargetProgress]) -> Section:
    rows = []
    for result in results:
        if not result.lagging:
            continue
        p = result.progress
        target = result.target
        rows.append({
            **_target_cells(result),
            "latest": p.latest_value,
            "expected": p.expected_now,
            "value_unit": result.unit,
            "share_achieved": p.share_achieved,
            "share_elapsed": p.share_elapsed,
            "pace_gap": p.pace_gap,
            "observed_cagr": p.observed_cagr,
            "required_cagr": p.required_cagr,
            "light": p.light,
            "owner": target.owner.name if target.owner_id else target.owner_text,
            "source": _source(result),
        })
    rows.sort(key=lambda row: (row["light"] != "red", row["pace_gap"] if row["pace_gap"] is not None else 0))
    return Section(
        "lagging",
        _("落后目标"),
        [
            *target_columns(),
            Column("latest", _("最新值"), "number"),
            Column("expected", _("按轨迹应达"), "number"),
            Column("value_unit", _("数值单位")),
            Column("share_achieved", _("完成比例"), "percent"),
            Column("share_elapsed", _("时间进度"), "percent"),
            Column("pace_gap", _("进度差"), "points", unit=_("百分点")),
            Column("observed_cagr", _("实际年均增速"), "percent"),
            Column("required_cagr", _("所需年均增速"), "percent"),
            Column("light", _("预警"), "light"),
            Column("owner", _("责任部门")),
            Column("source", _("数据性质")),
        ],
        rows,
        intro=_("进度差 = 完成比例 − 时间进度（时序进度），负值为落后。"),
        empty=_("无落后目标"),
    )


def _projection_meets(result: TargetProgress) -> str:
    p = result.progress
    if p.projected_value is None or p.target_value is None:
        return ""
    direction = result.target.indicator.direction
    if result.target.comparator == "<=" or direction == Indicator.Direction.DECREASE:
        ok = p.projected_value <= p.target_value
    else:
        ok = p.projected_value >= p.target_value
    return _("预计可达") if ok else _("预计难以达到")


def projections_section(results: list[TargetProgress]) -> Section:
    rows = []
    for result in results:
        p = result.progress
        if p.projected_value is None or p.met:
            continue
        rows.append({
            **_target_cells(result),
            "binding": p.target_value,
            "projected": p.projected_value,
            "low": p.projected_low,
            "high": p.projected_high,
            "value_unit": result.unit,
            "verdict": _projection_meets(result),
            "source": _source(result),
        })
    return Section(
        "projections",
        _("趋势预测"),
        [
            *target_columns(),
            Column("binding", _("目标值（数值）"), "number"),
            Column("projected", _("预测值"), "number"),
            Column("low", _("预测下限"), "number"),
            Column("high", _("预测上限"), "number"),
            Column("value_unit", _("数值单位")),
            Column("verdict", _("判断")),
            Column("source", _("数据性质")),
        ],
        rows,
        intro=_("按基期以来观测值的对数线性趋势外推到目标年末；三个及以上观测点给出95%预测区间。"),
        empty=_("观测值不足，暂无预测"),
    )


def missing_section(results: list[TargetProgress], as_of: date) -> Section:
    rows = []
    seen: set[tuple] = set()
    for result in results:
        target = result.target
        if target.count_threshold is not None or result.restated is not None:
            continue
        label, end = due_period(target.indicator.cycle, as_of)
        if target.year is not None and target.year < end.year:
            continue
        key = (target.indicator_id, target.region_id, target.sector_id, target.chain_node_id)
        if key in seen:
            continue
        latest_end = result.progress.latest_period_end
        if latest_end is not None and latest_end >= end:
            continue
        seen.add(key)
        rows.append({
            "indicator": target.indicator.name_zh,
            "indicator_code": target.indicator.code,
            "region": target.region.name_zh,
            "subject": _subject(target),
            "due": label,
            "latest": result.latest_period or _("从未报送"),
            "owner": target.owner.name if target.owner_id else target.owner_text,
        })
    return Section(
        "missing",
        _("缺报情况"),
        [
            Column("indicator", _("指标")),
            Column("indicator_code", _("指标代码")),
            Column("region", _("地区")),
            Column("subject", _("集群/产业/环节")),
            Column("due", _("应报期间")),
            Column("latest", _("最近一期")),
            Column("owner", _("责任部门")),
        ],
        rows,
        intro=_("应报期间：截至报告日已结束的最近一个报送期（年报为上一年）。"),
        empty=_("无缺报"),
    )


def clauses_section(results: list[TargetProgress]) -> Section:
    rows = []
    for result in results:
        target = result.target
        rows.append({
            "key": target.key or str(target.pk),
            "target": _target_label(target),
            "document": target.document.title_zh if target.document_id else "",
            "clause": target.clause.path if target.clause_id else "",
            "span": target.span,
        })
    return Section(
        "clauses",
        _("目标出处"),
        [
            Column("key", _("目标编号"), width=2),
            Column("target", _("目标"), width=2),
            Column("document", _("政策文件"), width=3),
            Column("clause", _("条款")),
            Column("span", _("原文"), width=4),
        ],
        rows,
    )


def summary_section(report_scope: dict, results: list[TargetProgress], restated: int, lagging: int, missing: int, sample: bool) -> Section:
    counts = light_counts(results)
    rows = [
        {"item": _("地区"), "value": report_scope["region"]},
        {"item": _("产业集群"), "value": report_scope["cluster"] or _("全部")},
        {"item": _("截至日期"), "value": report_scope["as_of"].isoformat()},
        {"item": _("评价目标数"), "value": len(results)},
        {"item": _("绿灯"), "value": counts["green"]},
        {"item": _("黄灯"), "value": counts["yellow"]},
        {"item": _("红灯"), "value": counts["red"]},
        {"item": _("灰色（无数据/过期/缺基期/单位不符）"), "value": counts["grey"]},
        {"item": _("落后目标"), "value": lagging},
        {"item": _("缺报序列"), "value": missing},
    ]
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result.status_zh] = statuses.get(result.status_zh, 0) + 1
    rows.append({"item": _("状态分布"), "value": "，".join(f"{k}{v}" for k, v in statuses.items()) or "—"})
    if restated:
        rows.append({"item": _("重述目标（附件等，未重复列出）"), "value": restated})
    if sample:
        rows.append({"item": _("数据说明"), "value": _("含示例数据（虚构，仅供演示），标注“示例数据”的数字不是真实统计")})
    return Section("summary", _("摘要"), [Column("item", _("项目")), Column("value", _("数值"))], rows)


def build_dispatch_report(*, region: Region, cluster: Sector | None = None, as_of: date, user=None) -> Report:
    """The dispatch report (调度报告) for a region subtree and/or a cluster as of a date."""
    evaluated = evaluate_targets(report_targets(region, cluster, user), as_of=as_of)
    results = [r for r in evaluated if r.restated is None]
    restated = len(evaluated) - len(results)
    sample = any(r.sample for r in evaluated)
    lights = lights_section(results)
    lagging = lagging_section(results)
    missing = missing_section(results, as_of)
    report_scope = {"region": region.name_zh, "cluster": cluster.name_zh if cluster else None, "as_of": as_of}
    sections = [
        summary_section(report_scope, results, restated, len(lagging.rows), len(missing.rows), sample),
        lights,
        lagging,
        projections_section(results),
        missing,
        clauses_section(results),
    ]
    notes = [_("评价方法：复合年均增速比（加拿大统计局/Open SDG方法，阈值0.95/0.6/0）与时序进度；无数据时不推算。")]
    return Report(
        kind="dispatch",
        title=_("调度报告"),
        region_name=region.name_zh,
        region_code=region.code,
        cluster_name=cluster.name_zh if cluster else None,
        cluster_code=cluster.code if cluster else None,
        as_of=as_of,
        generated_at=timezone.localtime(),
        sections=sections,
        sample=sample,
        notes=notes,
    )
