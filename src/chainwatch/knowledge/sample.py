"""The demo's sample data set (示例数据): invented, labelled, removable. Never presented as real."""

from __future__ import annotations

from django.db import transaction

from chainwatch.chains.models import Capacity, ChainNode, Enterprise, Sector
from chainwatch.core.codes import uscc_problem
from chainwatch.core.models import Origin
from chainwatch.core.periods import parse_period
from chainwatch.core.units import UnitError, parse_unit
from chainwatch.geo.models import Region
from chainwatch.knowledge.loader import KNOWLEDGE_DIR, LoadSummary, Problems, Writer, _number
from chainwatch.knowledge.yamlfile import PackError, read_yaml
from chainwatch.projects.models import Project
from chainwatch.targets.models import Indicator, Observation
from chainwatch.targets.snapshot import forget_facts

SAMPLE_FILE = KNOWLEDGE_DIR / "sample" / "sample.yaml"
SAMPLE_LABEL = "【示例】"


def _validate(data: dict, regions: dict, nodes: dict, path) -> None:
    problems = Problems()
    codes = set()
    for index, item in enumerate(data.get("enterprises") or []):
        problem = uscc_problem(str(item.get("uscc", "")))
        if problem:
            problems.add(path, item, f"enterprises[{index}].uscc", problem)
        if not str(item.get("name", "")).startswith(SAMPLE_LABEL):
            problems.add(path, item, f"enterprises[{index}].name", f"示例企业名称须以{SAMPLE_LABEL}开头")
        codes.add(item.get("uscc"))
    for section in ("enterprises", "projects", "observations"):
        for index, item in enumerate(data.get(section) or []):
            if str(item.get("region")) not in regions:
                problems.add(path, item, f"{section}[{index}].region", f"地区代码“{item.get('region')}”不存在")
    for index, item in enumerate(data.get("capacities") or []):
        if item.get("enterprise") not in codes:
            problems.add(path, item, f"capacities[{index}].enterprise", "未知企业")
        if item.get("node") not in nodes:
            problems.add(path, item, f"capacities[{index}].node", f"未知产业链环节“{item.get('node')}”")
        try:
            parse_unit(item.get("unit", ""))
        except UnitError as exc:
            problems.add(path, item, f"capacities[{index}].unit", str(exc))
    problems.raise_if_any()


@transaction.atomic
def load_sample(*, actor=None, path=SAMPLE_FILE) -> LoadSummary:
    data = read_yaml(path)
    regions = {r.code: r for r in Region.objects.filter(valid_to__isnull=True)}
    nodes = {n.code: n for n in ChainNode.objects.all()}
    if not nodes:
        raise PackError(["请先运行 chainwatch load-pack / load the knowledge pack first"])
    _validate(data, regions, nodes, path)
    summary = LoadSummary()
    writer = Writer(actor, summary, origin=Origin.SAMPLE)
    enterprises: dict[str, Enterprise] = {}
    for item in data.get("enterprises") or []:
        enterprise = writer.sync(
            Enterprise,
            {"uscc": item["uscc"]},
            {
                "name": item["name"],
                "region": regions[str(item["region"])],
                "is_chain_leader": bool(item.get("is_chain_leader")),
                "is_leading": bool(item.get("is_leading")),
                "is_listed": bool(item.get("is_listed")),
                "specialised": item.get("specialised") or "",
                "source": "示例数据 / sample data",
            },
        )
        enterprise.nodes.set([nodes[c] for c in item.get("nodes") or []])
        enterprises[item["uscc"]] = enterprise
    for item in data.get("capacities") or []:
        enterprise = enterprises[item["enterprise"]]
        writer.sync(
            Capacity,
            {"enterprise": enterprise, "node": nodes[item["node"]], "status": item["status"], "project": None},
            {
                "region": enterprise.region,
                "amount": _number(item["amount"]),
                "unit": item["unit"],
                "start_year": item.get("start_year"),
                "source": "示例数据 / sample data",
            },
        )
    for item in data.get("projects") or []:
        project = writer.sync(
            Project,
            {"code": item["code"]},
            {
                "name": item["name"],
                "owner": enterprises.get(item.get("owner")),
                "region": regions[str(item["region"])],
                "total_investment": _number(item["total_investment"]),
                "annual_plan": _number(item.get("annual_plan")),
                "completed_investment": _number(item.get("completed_investment") or 0),
                "stage": item["stage"],
                "planned_start": item.get("planned_start"),
                "planned_end": item.get("planned_end"),
                "actual_start": item.get("actual_start"),
                "leader": item.get("leader") or "",
            },
        )
        project.nodes.set([nodes[c] for c in item.get("nodes") or []])
        if item.get("capacity"):
            cap = item["capacity"]
            writer.sync(
                Capacity,
                {"project": project, "node": nodes[cap["node"]], "enterprise": None},
                {
                    "region": project.region,
                    "amount": _number(cap["amount"]),
                    "unit": cap["unit"],
                    "status": "planned" if item["stage"] in ("pipeline", "signed") else "construction",
                    "source": "示例数据 / sample data",
                },
            )
    indicators = {i.code: i for i in Indicator.objects.all()}
    sectors = {s.code: s for s in Sector.objects.all()}
    for item in data.get("observations") or []:
        period = parse_period(str(item["period"]))
        region = regions[str(item["region"])]
        sector = sectors.get(item.get("sector")) if item.get("sector") else None
        node = nodes.get(item.get("chain_node")) if item.get("chain_node") else None
        key = f"sample:{item['indicator']}:{region.code}:{item.get('sector') or ''}:{item.get('chain_node') or ''}:{period.label}"
        writer.sync(
            Observation,
            {"key": key},
            {
                "indicator": indicators[item["indicator"]],
                "indicator_text": item.get("indicator_text") or "",
                "region": region,
                "sector": sector,
                "chain_node": node,
                "period": period.label,
                "period_type": period.kind,
                "period_start": period.start,
                "period_end": period.end,
                "value": _number(item["value"]),
                "unit": item["unit"],
                "status": Observation.Status.APPROVED,
                "reporter_text": item.get("reporter") or "",
                "source": "示例数据 / sample data",
            },
        )
    writer.flush()
    return summary


@transaction.atomic
def remove_sample() -> int:
    removed = 0
    series = set(Observation.objects.filter(origin=Origin.SAMPLE).values_list("series", flat=True).distinct())
    for model in (Observation, Capacity, Project, Enterprise):
        count, _ = model.objects.filter(origin=Origin.SAMPLE).delete()
        removed += count
    forget_facts(series)
    return removed

