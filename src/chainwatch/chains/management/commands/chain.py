"""`chainwatch chain balance|gaps|peers|panorama`: the chain services from the command line."""

import json

from django.core.management.base import BaseCommand, CommandError

from chainwatch.chains import services
from chainwatch.core.output import write_rows

BALANCE_TABLE = ["node", "name", "unit", "supply", "demand", "ratio", "verdict", "low", "high", "supply_source", "reason"]
GAP_TABLE = ["rank", "kind", "node", "name", "score", "candidates", "reason"]


def _round(value, digits=4):
    return None if value is None else round(value, digits)


class Command(BaseCommand):
    help = "产业链物料平衡、短板分析、对标比较 / chain balance, gaps, peers, panorama."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("balance", "物料平衡 / material balance"),
            ("gaps", "补链延链强链 / ranked gaps"),
            ("panorama", "全景图数据（JSON） / panorama data (JSON)"),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("--region", required=True, help="地区代码 / region code")
            p.add_argument("--year", type=int, required=True)
            p.add_argument("--basis", choices=services.BASES, default="built")
            p.add_argument("--subtree", action="store_true", help="含下级地区 / include the region's subtree")
            p.add_argument("--template", default=services.DEFAULT_TEMPLATE)
            p.add_argument("--scenario", default="base")
            if name != "gaps":
                p.add_argument("--reference", choices=("local", "national"), default="local")
            p.add_argument("--format", choices=("table", "json"), default="json" if name == "panorama" else "table")
        p = sub.add_parser("peers", help="对标比较 / peer comparison")
        p.add_argument("--regions", default=",".join(services.DEFAULT_PEERS))
        p.add_argument("--template", default=services.DEFAULT_TEMPLATE)
        p.add_argument("--year", type=int)
        p.add_argument("--format", choices=("table", "json"), default="table")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except services.ChainError as exc:
            raise CommandError(str(exc)) from exc

    def _json(self, data):
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))

    def do_balance(self, *, region, year, basis, subtree, template, scenario, reference, format, **_):
        results = services.balance_for(
            region, year, basis, subtree=subtree, template=template, scenario=scenario, reference=reference
        )
        rows = [services.balance_row(r) for r in results]
        if format == "json":
            self._json(rows)
            return
        table = [
            {**row, **{k: _round(row[k]) for k in ("supply", "demand", "ratio", "low", "high")}} for row in rows
        ]
        write_rows(table, BALANCE_TABLE, "table", self.stdout)

    def do_gaps(self, *, region, year, basis, subtree, template, scenario, format, **_):
        items = services.gaps_for(region, year, basis, subtree=subtree, template=template, scenario=scenario)
        if format == "json":
            self._json([item.as_dict() for item in items])
            return
        rows = [
            {"rank": i, "kind": item.kind, "node": item.node, "name": item.name, "score": round(item.score, 3),
             "candidates": "、".join(c["name"] for c in item.candidates), "reason": item.reason}
            for i, item in enumerate(items, 1)
        ]
        write_rows(rows, GAP_TABLE, "table", self.stdout)

    def do_panorama(self, *, region, year, basis, subtree, template, scenario, reference, format, **_):
        data = services.panorama(
            region, year, basis, subtree=subtree, template=template, scenario=scenario, reference=reference
        )
        if format == "json":
            self._json(data)
            return
        write_rows(data["nodes"], ["id", "name", "value", "unit", "verdict", "color"], "table", self.stdout)

    def do_peers(self, *, regions, template, year, format, **_):
        codes = [code.strip() for code in regions.split(",") if code.strip()]
        if not codes:
            raise CommandError("请用 --regions 给出至少一个地区代码 / give at least one region")
        data = services.peers(codes, template=template, year=year)
        if format == "json":
            self._json(data)
            return
        rows = []
        for node in data["nodes"]:
            row = {"node": node["node"], "name": node["name"], "unit": node["unit"]}
            for cell in node["cells"]:
                mark = "◎" if cell["targeted"] else ("○" if cell["mentioned"] else "·")
                capacity = cell["capacity"]
                total = capacity["built"] + capacity["construction"] + capacity["planned"]
                figures = "/".join(f"{capacity[s]:g}" for s in ("built", "construction", "planned")) if total else ""
                row[cell["region"]] = f"{mark} {figures}".strip()
            rows.append(row)
        fields = ["node", "name", "unit", *[r["code"] for r in data["regions"]]]
        write_rows(rows, fields, "table", self.stdout)
        self.stdout.write("◎ 政策目标  ○ 政策文本提及  · 未提及；数字：已建成/在建/规划 / ◎ targeted ○ mentioned; built/construction/planned\n")
