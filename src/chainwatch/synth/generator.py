"""Deterministic synthetic data (合成数据) on top of the real region tree, for tests and benchmarks.

``generate(scale, seed)`` writes, in one transaction, on top of the regions, chain templates and
indicators that ``chainwatch load-pack`` loaded:

- indicators, targets with milestones (2025, 2027, 2030: one target row per milestone year of a
  series), observations over ten years (monthly 2016-11 … 2026-10 or annual 2016 … 2025);
- enterprises with valid 统一社会信用代码, their lithium-chain nodes and capacities;
- projects with their chain node, capacity and monthly updates;
- synthetic policy documents (one per province, as the provenance of the synthetic targets),
  departments and users for every role.

Every row has ``origin = "synthetic"`` (users: user name ``synth-…``) and every name starts with
【合成】. The same scale and seed give the same rows (random draws come from numpy generators
seeded from ``seed``, one independent stream per table; nothing depends on the clock except the
created/updated timestamps). The data set is anchored in time, not on today: monthly data end in
``DATA_END`` whatever the date.

Rows are written with explicit primary keys through the fastest path of the database: SQLite
``executemany`` inside the transaction (with ``PRAGMA synchronous=OFF`` while generating when no
outer transaction is open), PostgreSQL ``COPY … FROM STDIN``; sequences are reset afterwards.
Columns the generator does not know get their model default, so new nullable or defaulted fields
do not break it. ``bulk_create`` would skip ``save()`` anyway, so derived columns
(``Observation.series``, ``Enterprise.normalized_name``) are computed here.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.db.models import Max, Q
from django.utils import timezone

from chainwatch.core.codes import USCC_CHARSET, make_uscc, normalize_enterprise_name
from chainwatch.core.models import Origin

SYNTH_LABEL = "【合成】"
SYNTH_SOURCE = "合成数据 / synthetic data"
USER_PREFIX = "synth-"
# Bump when the generated rows change for the same scale and seed (benchmarks key their cache on it).
GENERATOR_VERSION = 1

DATA_END = (2026, 10)  # last month of monthly data: 120 months 2016-11 … 2026-10
MONTHS = 120
ANNUAL_YEARS = tuple(range(2016, 2026))  # 10 annual periods
MILESTONES = (2025, 2027, 2030)
T0 = 2016.0  # time origin of the value model (decimal years)
# Not covered by the mainland statistical system the platform serves; the gazetteer keeps them.
EXCLUDED_PROVINCES = ("710000", "810000", "820000")


class SynthError(RuntimeError):
    """The database is not ready for synthetic data (no pack loaded, unknown column …)."""


@dataclass(frozen=True)
class Scale:
    name: str
    provinces: tuple[str, ...] | None  # None: every province of the gazetteer (but 71/81/82)
    indicators: int
    targets: int
    observations: int
    enterprises: int
    capacities: int
    projects: int
    max_updates: int = 12  # monthly updates per active project, at most
    enterprise_users: int = 200


SCALES: dict[str, Scale] = {
    "small": Scale("small", ("150000",), 50, 500, 20_000, 1_000, 3_000, 500, enterprise_users=20),
    "province": Scale("province", ("150000",), 500, 5_000, 500_000, 10_000, 30_000, 5_000),
    "national": Scale("national", None, 2_000, 50_000, 5_000_000, 100_000, 300_000, 50_000),
}


@dataclass
class SynthSummary:
    scale: str
    seed: int
    counts: Counter = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"合成数据 scale={self.scale} seed={self.seed}"]
        for name, count in self.counts.items():
            out.append(f"  {name:<22} {count:>10,}")
        total = sum(self.seconds.values())
        steps = ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
        out.append(f"  用时 / time {total:.1f}s ({steps})")
        return out


# ---------------------------------------------------------------------------------------------
# Vocabulary (all names get the 【合成】 label)

DOMAINS = (
    "锂电", "新能源", "稀土", "光伏", "现代煤化工", "装备制造", "绿色农畜产品", "乳业", "肉牛",
    "玉米深加工", "文化旅游", "数字经济", "生物医药", "新材料", "氢能", "风电", "储能", "有色金属",
    "钢铁", "现代物流",
)
# name, unit, kind, aggregation, direction, log-mean of a county's level, growth mean, decimals
MEASURES = (
    ("产值", "亿元", "flow", "sum", "increase", 3.0, 0.08, 2),
    ("增加值", "亿元", "flow", "sum", "increase", 2.0, 0.07, 2),
    ("营业收入", "亿元", "flow", "sum", "increase", 3.0, 0.08, 2),
    ("固定资产投资", "亿元", "flow", "sum", "increase", 2.5, 0.06, 2),
    ("产能", "万吨", "stock", "sum", "increase", 2.5, 0.10, 2),
    ("产量", "万吨", "flow", "sum", "increase", 2.2, 0.08, 2),
    ("装机容量", "万千瓦", "stock", "sum", "increase", 4.0, 0.12, 1),
    ("电池产能", "GWh", "stock", "sum", "increase", 1.5, 0.15, 2),
    ("规上企业数", "家", "count", "sum", "increase", 3.0, 0.04, 0),
    ("产业集群数", "个", "count", "sum", "increase", 0.5, 0.05, 0),
    ("研发投入强度", "%", "rate", "mean", "increase", 0.7, 0.04, 2),
    ("就地转化率", "%", "rate", "mean", "increase", 3.6, 0.03, 1),
    ("单位增加值能耗", "吨标准煤/万元", "rate", "mean", "decrease", -0.5, -0.03, 3),
    ("万元增加值用水量", "立方米/万元", "rate", "mean", "decrease", 3.0, -0.04, 2),
    ("存栏", "万头", "stock", "sum", "increase", 2.0, 0.03, 1),
    ("从业人员", "万人", "stock", "sum", "increase", 1.0, 0.02, 2),
)
LEVEL_FACTOR = {"province": 20.0, "prefecture": 4.0, "county": 1.0}
BRANDS = (
    "北辰", "瀚海", "金川", "天骄", "青城", "云岭", "赣锋", "长风", "星河", "蓝湾", "恒信", "华拓",
    "中源", "鼎盛", "远景", "新创", "宏达", "瑞丰", "东方", "博远", "泰和", "安锂", "锦程", "正泰",
)
CAPACITY_LOG_MEAN = {"万吨/年": 0.7, "GWh/年": 1.6, "亿平方米/年": 1.1, "亿只/年": 0.7, "万辆/年": 1.6}
CAPACITY_TARGET_NODES = ("LI.CARBONATE", "LI.CATHODE_LFP", "LI.ANODE", "LI.ELECTROLYTE", "LI.SEPARATOR", "LI.CELL")
STAGES = ("pipeline", "signed", "started", "construction", "operating", "paused")
STAGE_P = (0.15, 0.10, 0.10, 0.40, 0.20, 0.05)
# share of total investment completed, by stage (low, high)
STAGE_COMPLETED = {
    "pipeline": (0.0, 0.0), "signed": (0.0, 0.05), "started": (0.05, 0.3),
    "construction": (0.2, 0.9), "operating": (0.9, 1.0), "paused": (0.1, 0.6),
}
ROLE_LABEL = {
    "admin": "系统管理员", "province": "省级用户", "prefecture": "盟市级用户", "county": "旗县级用户",
    "department": "部门用户", "enterprise": "企业用户", "leader": "领导（只读）",
}


# ---------------------------------------------------------------------------------------------
# Periods


def _month_periods() -> list[tuple[str, str, str, str, float]]:
    """(label, type, start, end, decimal year of the end) for the 120 months up to DATA_END."""
    import calendar

    year, month = DATA_END
    out = []
    for k in range(MONTHS - 1, -1, -1):
        y, m = divmod(year * 12 + month - 1 - k, 12)
        m += 1
        last = calendar.monthrange(y, m)[1]
        end = date(y, m, last)
        days = 366 if calendar.isleap(y) else 365
        out.append((f"{y}-{m:02d}", "month", date(y, m, 1).isoformat(), end.isoformat(), y + end.timetuple().tm_yday / days))
    return out


def _annual_periods() -> list[tuple[str, str, str, str, float]]:
    return [(str(y), "year", f"{y}-01-01", f"{y}-12-31", y + 1.0) for y in ANNUAL_YEARS]


# ---------------------------------------------------------------------------------------------
# Fast writer


class _Writer:
    """Writes columns of rows straight into a model's table (executemany / COPY)."""

    def __init__(self, using: str):
        self.using = using
        self.connection = connections[using]
        self.vendor = self.connection.vendor
        if self.vendor not in ("sqlite", "postgresql"):
            raise SynthError(f"synth supports SQLite and PostgreSQL, not {self.vendor}")
        self.now = timezone.now()
        self.explicit_pk_models: list[type[models.Model]] = []

    def next_id(self, model: type[models.Model]) -> int:
        return (model.objects.using(self.using).aggregate(m=Max("pk"))["m"] or 0) + 1

    def _scalar(self, field: models.Field, value):
        if isinstance(value, datetime):
            return self.connection.ops.adapt_datetimefield_value(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, dict | list):
            return field.get_db_prep_save(value, self.connection)
        return value

    def write(self, model: type[models.Model], n: int, values: dict) -> int:
        """Insert ``n`` rows; ``values`` maps attnames to a constant or a sequence of length n."""
        if n == 0:
            return 0
        columns, iterables = [], []
        for f in model._meta.concrete_fields:
            if f.attname in values:
                value = values[f.attname]
            elif f.primary_key:
                continue
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = self.now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif f.blank and isinstance(f, models.CharField | models.TextField):
                value = ""
            else:
                raise SynthError(f"{model.__name__}.{f.name}: 合成数据生成器不知道如何填写 / no value for a required column")
            columns.append(f.column)
            if isinstance(value, np.ndarray):
                value = value.tolist()
            if isinstance(value, list | tuple) and not isinstance(f, models.JSONField):
                if len(value) != n:
                    raise SynthError(f"{model.__name__}.{f.name}: {len(value)} values for {n} rows")
                iterables.append(value)
            else:
                iterables.append(itertools.repeat(self._scalar(f, value), n))
        if model._meta.pk.attname in values:
            self.explicit_pk_models.append(model)
        table = model._meta.db_table
        qn = self.connection.ops.quote_name
        column_sql = ", ".join(qn(c) for c in columns)
        rows = zip(*iterables, strict=False)
        self.connection.ensure_connection()
        if self.vendor == "sqlite":
            marks = ", ".join("?" for _ in columns)
            cursor = self.connection.connection.cursor()
            try:
                cursor.executemany(f"INSERT INTO {qn(table)} ({column_sql}) VALUES ({marks})", rows)
            finally:
                cursor.close()
        else:
            with self.connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {qn(table)} ({column_sql}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
        return n

    @contextlib.contextmanager
    def without_indexes(self, model: type[models.Model], rows: int):
        """Drop the secondary indexes of ``model``'s table for a large load, rebuild them after.

        Building an index once over sorted data is several times faster than keeping a dozen
        indexes up to date row by row. Indexes that back a constraint (PostgreSQL) stay.
        """
        if rows < 200_000:
            yield
            return
        table = model._meta.db_table
        qn = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            if self.vendor == "sqlite":
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                    [table],
                )
            else:
                cursor.execute(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = %s::regclass AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                    [table],
                )
            indexes = cursor.fetchall()
            for name, _sql in indexes:
                cursor.execute(f"DROP INDEX {qn(name)}")
        yield
        with self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                # The load left deferred foreign-key checks pending; PostgreSQL builds no index
                # on a table with pending trigger events, so run the checks now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for _name, sql in indexes:
                cursor.execute(sql)
            if self.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def reset_sequences(self) -> None:
        if self.vendor != "postgresql" or not self.explicit_pk_models:
            return
        statements = self.connection.ops.sequence_reset_sql(no_style(), list(dict.fromkeys(self.explicit_pk_models)))
        with self.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


# ---------------------------------------------------------------------------------------------
# Helpers


def _base31(numbers: np.ndarray, width: int) -> list[str]:
    digits = []
    rest = numbers.astype(np.int64).copy()
    for _ in range(width):
        digits.append(rest % 31)
        rest //= 31
    table = np.array(list(USCC_CHARSET))
    chars = [table[d] for d in reversed(digits)]
    return ["".join(t) for t in zip(*chars, strict=True)]


def _short_name(name: str) -> str:
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "自治旗",
                   "特别行政区", "省", "市", "盟", "地区", "旗", "县", "区"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _fmt(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass
class _Regions:
    ids: np.ndarray
    codes: list[str]
    names: list[str]
    levels: list[str]
    provinces: list[str]  # province code of each region
    prefectures: list[str | None]  # prefecture code (None for a province or a direct county)
    by_code: dict[str, int]  # code -> position


def _load_regions(scale: Scale, using: str) -> _Regions:
    from chainwatch.geo.models import Region

    qs = Region.objects.using(using).filter(valid_to__isnull=True, level__in=list(LEVEL_FACTOR))
    if scale.provinces:
        condition = Q()
        for code in scale.provinces:
            condition |= Q(path__contains=f"/{code}/")
        qs = qs.filter(condition)
    else:
        for code in EXCLUDED_PROVINCES:
            qs = qs.exclude(path__contains=f"/{code}/")
    rows = list(qs.order_by("code").values_list("id", "code", "name_zh", "level", "path"))
    if not rows:
        raise SynthError("没有地区数据：请先运行 chainwatch load-pack / load the knowledge pack first")
    provinces, prefectures = [], []
    level_of = {code: level for _, code, _, level, _ in rows}
    for _, _code, _, _, path in rows:
        parts = [p for p in path.strip("/").split("/") if p]
        province = next((p for p in parts if level_of.get(p) == "province"), parts[min(1, len(parts) - 1)])
        prefecture = next((p for p in parts if level_of.get(p) == "prefecture"), None)
        provinces.append(province)
        prefectures.append(prefecture)
    return _Regions(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        codes=[r[1] for r in rows],
        names=[r[2] for r in rows],
        levels=[r[3] for r in rows],
        provinces=provinces,
        prefectures=prefectures,
        by_code={r[1]: i for i, r in enumerate(rows)},
    )


# ---------------------------------------------------------------------------------------------
# The generator


def generate(scale: Scale | str, seed: int = 42, *, using: str = "default", replace: bool = True,
             progress=None) -> SynthSummary:
    """Write the synthetic data set of ``scale`` with ``seed``; returns what was written.

    With ``replace`` (the default) earlier synthetic rows are removed first, so running it twice
    leaves one data set. ``progress`` (optional) is called with a line of text per step.
    """
    if isinstance(scale, str):
        if scale not in SCALES:
            raise SynthError(f"未知规模“{scale}”：应为 {', '.join(SCALES)} / unknown scale")
        scale = SCALES[scale]
    say = progress or (lambda text: None)
    summary = SynthSummary(scale.name, seed)
    connection = connections[using]
    fast_sqlite = connection.vendor == "sqlite" and not connection.in_atomic_block
    if fast_sqlite:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
    try:
        with transaction.atomic(using=using):
            if replace:
                started = time.perf_counter()
                removed = remove_synthetic(using=using)
                if removed:
                    say(f"removed {removed:,} earlier synthetic rows")
                summary.seconds["remove"] = time.perf_counter() - started
            _Generator(scale, seed, using, summary, say).run()
    finally:
        if fast_sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=NORMAL")
    return summary


class _Generator:
    def __init__(self, scale: Scale, seed: int, using: str, summary: SynthSummary, say):
        self.scale = scale
        self.seed = seed
        self.using = using
        self.summary = summary
        self.say = say
        self.w = _Writer(using)
        streams = np.random.SeedSequence([seed, GENERATOR_VERSION]).spawn(8)
        names = ("indicators", "series", "observations", "targets", "enterprises", "capacities", "projects", "updates")
        self.rng = {name: np.random.default_rng(s) for name, s in zip(names, streams, strict=True)}

    def step(self, name: str, func) -> None:
        started = time.perf_counter()
        func()
        self.summary.seconds[name] = time.perf_counter() - started
        self.say(f"{name}: {self.summary.seconds[name]:.1f}s")

    def run(self) -> None:
        from chainwatch.chains.models import ChainNode

        self.regions = _load_regions(self.scale, self.using)
        self.nodes = list(
            ChainNode.objects.using(self.using).filter(template__code="LI").order_by("order", "code").values_list("id", "code", "name_zh", "unit")
        )
        if not self.nodes:
            raise SynthError("没有锂电产业链模板：请先运行 chainwatch load-pack / load the knowledge pack first")
        self.step("documents", self.documents)
        self.step("indicators", self.indicators)
        self.step("targets", self.targets)
        self.step("observations", self.observations)
        self.step("enterprises", self.enterprises)
        self.step("capacities", self.capacities)
        self.step("projects", self.projects)
        self.step("users", self.users)
        self.w.reset_sequences()
        self.audit()

    # -- documents and departments ------------------------------------------------------------

    def documents(self) -> None:
        from chainwatch.geo.models import Department
        from chainwatch.policy.models import PolicyDocument

        r = self.regions
        province_codes = sorted({p for p in r.provinces})
        doc_id = self.w.next_id(PolicyDocument)
        self.doc_of_province = {code: doc_id + i for i, code in enumerate(province_codes)}
        names = [r.names[r.by_code[c]] if c in r.by_code else c for c in province_codes]
        text = f"{SYNTH_LABEL}本文件为合成数据，仅用于测试与性能基准，不是真实政策。/ Synthetic document for tests and benchmarks."
        self.summary.counts["policy documents"] += self.w.write(PolicyDocument, len(province_codes), {
            "id": list(self.doc_of_province.values()),
            "origin": Origin.SYNTHETIC,
            "code": [f"synth-{c}" for c in province_codes],
            "title_zh": [f"{SYNTH_LABEL}{n}产业链发展规划（2021—2030年）" for n in names],
            "title_en": "Synthetic plan (benchmark data)",
            "issuer": [f"{SYNTH_LABEL}{n}人民政府" for n in names],
            "region_id": [int(r.ids[r.by_code[c]]) for c in province_codes],
            "issued_on": date(2021, 6, 30),
            "period_start": 2021,
            "period_end": 2030,
            "baseline_year": 2020,
            "text": text,
            "source_file": "",
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
        })
        # one 工信 department per province and prefecture
        dept_regions = [i for i, level in enumerate(r.levels) if level in ("province", "prefecture")]
        dept_id = self.w.next_id(Department)
        self.dept_of_region = {r.codes[i]: dept_id + k for k, i in enumerate(dept_regions)}
        self.summary.counts["departments"] += self.w.write(Department, len(dept_regions), {
            "id": list(self.dept_of_region.values()),
            "origin": Origin.SYNTHETIC,
            "name": [f"{SYNTH_LABEL}工业和信息化{'厅' if r.levels[i] == 'province' else '局'}" for i in dept_regions],
            "name_en": "Synthetic industry department",
            "region_id": [int(r.ids[i]) for i in dept_regions],
            "kind": "industry",
        })
        # the department responsible for each region: its prefecture's, else its province's
        self.owner_of_region = np.array([
            self.dept_of_region.get(r.prefectures[i] or "", self.dept_of_region.get(r.provinces[i], 0))
            for i in range(len(r.codes))
        ], dtype=np.int64)

    # -- indicators ---------------------------------------------------------------------------

    def indicators(self) -> None:
        from chainwatch.targets.models import Indicator

        rng = self.rng["indicators"]
        n = self.scale.indicators
        measure = rng.integers(0, len(MEASURES), n)
        domain = rng.integers(0, len(DOMAINS), n)
        monthly = rng.random(n) < 0.5
        first = self.w.next_id(Indicator)
        self.ind_ids = np.arange(first, first + n, dtype=np.int64)
        self.ind_measure = measure
        self.ind_monthly = monthly
        self.ind_names = [f"{SYNTH_LABEL}{DOMAINS[d]}{MEASURES[m][0]}·{i + 1:04d}" for i, (d, m) in enumerate(zip(domain, measure, strict=True))]
        self.summary.counts["indicators"] += self.w.write(Indicator, n, {
            "id": self.ind_ids,
            "origin": Origin.SYNTHETIC,
            "code": [f"SYN.I{i + 1:04d}" for i in range(n)],
            "name_zh": self.ind_names,
            "name_en": [f"Synthetic indicator {i + 1}" for i in range(n)],
            "unit": [MEASURES[m][1] for m in measure],
            "kind": [MEASURES[m][2] for m in measure],
            "aggregation": [MEASURES[m][3] for m in measure],
            "direction": [MEASURES[m][4] for m in measure],
            "cycle": ["monthly" if x else "annual" for x in monthly],
            "definition": f"{SYNTH_LABEL}合成指标，口径虚构 / synthetic indicator",
        })

    # -- series: (indicator, region) pairs, the first ones carry the targets -------------------

    def _series(self, n_targets: int) -> None:
        rng = self.rng["series"]
        n_ind, n_reg = len(self.ind_ids), len(self.regions.codes)
        n_target_series = -(-n_targets // len(MILESTONES))
        # enough pairs for the targets and for the observations even if all were annual
        wanted = n_target_series + self.scale.observations // len(ANNUAL_YEARS) + 1
        population = n_ind * n_reg
        if population < n_target_series:
            raise SynthError("规模过大：指标×地区组合不足 / not enough indicator × region pairs")
        pairs = rng.choice(population, size=min(wanted, population), replace=False)
        self.series_ind = pairs // n_reg  # positions
        self.series_reg = pairs % n_reg
        self.n_target_series = n_target_series
        s = len(pairs)
        measure = self.ind_measure[self.series_ind]
        log_mean = np.array([MEASURES[m][5] for m in measure])
        growth_mean = np.array([MEASURES[m][6] for m in measure])
        factor = np.array([LEVEL_FACTOR[self.regions.levels[i]] for i in self.series_reg])
        is_rate = np.array([MEASURES[m][2] == "rate" for m in measure])
        level = np.exp(rng.normal(log_mean, 0.6, s))
        self.series_base = np.where(is_rate, level, level * factor)
        self.series_growth = rng.normal(growth_mean, 0.04, s)
        self.series_decimals = np.array([MEASURES[m][7] for m in measure])
        self.series_monthly = self.ind_monthly[self.series_ind]
        ind_ids = self.ind_ids[self.series_ind]
        reg_ids = self.regions.ids[self.series_reg]
        self.series_key = [f"{i}:{r}::" for i, r in zip(ind_ids.tolist(), reg_ids.tolist(), strict=True)]

    def _model_value(self, s: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self.series_base[s] * np.power(1.0 + self.series_growth[s], t - T0)

    # -- targets ------------------------------------------------------------------------------

    def targets(self) -> None:
        from chainwatch.targets.models import Target

        n_capacity = self._capacity_targets_plan()
        self._series(self.scale.targets - n_capacity)
        rng = self.rng["targets"]
        n = self.scale.targets - n_capacity
        s = np.repeat(np.arange(self.n_target_series), len(MILESTONES))[:n]
        years = np.tile(np.array(MILESTONES), self.n_target_series)[:n]
        measure = self.ind_measure[self.series_ind[s]]
        direction = np.array([MEASURES[m][4] for m in measure])
        ambition = rng.normal(0.01, 0.03, self.n_target_series)[s]
        value = self.series_base[s] * np.power(1.0 + self.series_growth[s] + ambition, years + 1.0 - T0)
        is_pct = np.array([MEASURES[m][1] == "%" for m in measure])
        value = np.where(is_pct, np.minimum(value, 99.0), value)
        decimals = self.series_decimals[s]
        value = np.array([round(v, int(d)) for v, d in zip(value.tolist(), decimals.tolist(), strict=True)])
        value = np.where(value <= 0, 1.0, value)
        inc = np.array([">=", "=", "~", ">"])[rng.choice(4, n, p=[0.6, 0.2, 0.15, 0.05])]
        dec = np.array(["<=", "=", "~"])[rng.choice(3, n, p=[0.7, 0.2, 0.1])]
        comparator = np.where(direction == "decrease", dec, inc)
        trajectory = np.where(rng.random(n) < 0.2, "compound", "linear")
        with_baseline = rng.random(self.n_target_series)[s] < 0.3
        baseline = self._model_value(s, np.full(n, 2021.0))
        baseline = [round(b, int(d)) if w else None for b, d, w in zip(baseline.tolist(), decimals.tolist(), with_baseline.tolist(), strict=True)]
        reg = self.series_reg[s]
        units = [MEASURES[m][1] for m in measure]
        names = [self.ind_names[i] for i in self.series_ind[s]]
        cmp_text = {">=": "不低于", ">": "突破", "~": "左右", "<=": "控制在", "=": "达到"}
        spans = []
        for name, y, c, v, u, d in zip(names, years.tolist(), comparator.tolist(), value.tolist(), units, decimals.tolist(), strict=True):
            amount = _fmt(v, int(d)) + u
            spans.append(f"{SYNTH_LABEL}到{y}年，{name.removeprefix(SYNTH_LABEL)}{amount}左右" if c == "~" else f"{SYNTH_LABEL}到{y}年，{name.removeprefix(SYNTH_LABEL)}{cmp_text[c]}{amount}")
        first = self.w.next_id(Target)
        self.target_ids = np.arange(first, first + n, dtype=np.int64)
        r = self.regions
        self.summary.counts["targets"] += self.w.write(Target, n, {
            "id": self.target_ids,
            "origin": Origin.SYNTHETIC,
            "key": [f"synth:t{i + 1:06d}" for i in range(n)],
            "indicator_id": self.ind_ids[self.series_ind[s]],
            "indicator_text": names,
            "region_id": r.ids[reg],
            "subject": "",
            "year": years,
            "value": value,
            "unit": units,
            "comparator": comparator,
            "tolerance": 0.05,
            "trajectory": trajectory,
            "baseline_value": baseline,
            "baseline_year": [2020 if b is not None else None for b in baseline],
            "document_id": [self.doc_of_province[r.provinces[i]] for i in reg.tolist()],
            "span": spans,
            "owner_id": [int(x) or None for x in self.owner_of_region[reg].tolist()],
            "owner_text": f"{SYNTH_LABEL}工业和信息化部门",
            "review": "accepted",
            "note": f"{SYNTH_LABEL}合成目标 / synthetic target",
        })
        self._write_capacity_targets(n_capacity)

    def _capacity_targets_plan(self) -> int:
        """Capacity targets (indicator CAPACITY × chain node) of provinces and prefectures, for
        the projections of projects to targets; at most a fifth of all targets."""
        from chainwatch.targets.models import Indicator

        r = self.regions
        self.capacity_indicator = Indicator.objects.using(self.using).filter(code="CAPACITY").values_list("id", flat=True).first()
        node_by_code = {code: (node_id, name, unit) for node_id, code, name, unit in self.nodes}
        self.capacity_nodes = [node_by_code[c] for c in CAPACITY_TARGET_NODES if c in node_by_code]
        if self.capacity_indicator is None or not self.capacity_nodes:
            return 0
        regions = [i for i, level in enumerate(r.levels) if level == "province"]
        regions += [i for i, level in enumerate(r.levels) if level == "prefecture"]
        per_region = len(self.capacity_nodes) * len(MILESTONES)
        self.capacity_regions = regions[: max(self.scale.targets // 5 // per_region, 0)]
        return len(self.capacity_regions) * per_region

    def _write_capacity_targets(self, n: int) -> None:
        from chainwatch.targets.models import Target

        if n == 0:
            return
        rng = self.rng["targets"]
        r = self.regions
        rows = [(g, node, y) for g in self.capacity_regions for node in self.capacity_nodes for y in MILESTONES]
        level = np.array([LEVEL_FACTOR[r.levels[g]] for g, _, _ in rows])
        base = np.exp(rng.normal(1.0, 0.7, len(rows) // len(MILESTONES))).repeat(len(MILESTONES))
        years = np.array([y for _, _, y in rows])
        value = np.round(base * level * np.power(1.25, years - 2025), 2)
        first = self.w.next_id(Target)
        self.summary.counts["targets"] += self.w.write(Target, n, {
            "id": np.arange(first, first + n),
            "origin": Origin.SYNTHETIC,
            "key": [f"synth:c{i + 1:06d}" for i in range(n)],
            "indicator_id": self.capacity_indicator,
            "indicator_text": [f"{SYNTH_LABEL}{node[1]}产能" for _, node, _ in rows],
            "region_id": [int(r.ids[g]) for g, _, _ in rows],
            "chain_node_id": [node[0] for _, node, _ in rows],
            "subject": "",
            "year": years,
            "value": value,
            "unit": [node[2] for _, node, _ in rows],
            "comparator": ">=",
            "tolerance": 0.05,
            "document_id": [self.doc_of_province[r.provinces[g]] for g, _, _ in rows],
            "span": [f"{SYNTH_LABEL}到{y}年，{node[1]}产能达到{_fmt(v, 2)}{node[2]}" for (_, node, y), v in zip(rows, value.tolist(), strict=True)],
            "owner_id": [int(self.owner_of_region[g]) or None for g, _, _ in rows],
            "owner_text": f"{SYNTH_LABEL}工业和信息化部门",
            "review": "accepted",
            "note": f"{SYNTH_LABEL}合成产能目标 / synthetic capacity target",
        })

    # -- observations -------------------------------------------------------------------------

    def observations(self) -> None:
        from chainwatch.targets.models import Observation

        rng = self.rng["observations"]
        periods = _month_periods() + _annual_periods()
        labels = np.array([p[0] for p in periods], dtype=object)
        ptypes = np.array([p[1] for p in periods], dtype=object)
        starts = np.array([p[2] for p in periods], dtype=object)
        ends = np.array([p[3] for p in periods], dtype=object)
        times = np.array([p[4] for p in periods])
        counts = np.where(self.series_monthly, MONTHS, len(ANNUAL_YEARS))
        cumulative = np.cumsum(counts)
        total = self.scale.observations
        if cumulative[-1] < total:
            raise SynthError("规模过大：序列不足以容纳观测值 / not enough series for the observations")
        last = int(np.searchsorted(cumulative, total))  # the series holding the last row
        counts = counts[: last + 1].copy()
        counts[-1] -= int(cumulative[last] - total)
        n_series = last + 1
        self.n_obs_series = n_series
        measure = self.ind_measure[self.series_ind[:n_series]]
        units = np.array([MEASURES[m][1] for m in measure], dtype=object)
        first_id = self.w.next_id(Observation)
        chunk = 400_000
        series_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        # series boundaries for chunks of about `chunk` rows
        with self.w.without_indexes(Observation, total):
            written = self._observation_chunks(Observation, rng, n_series, counts, series_start, chunk, first_id,
                                               labels, ptypes, starts, ends, times, units)
        self.summary.counts["observations"] += written
        self.summary.counts["observation series"] += n_series

    def _observation_chunks(self, Observation, rng, n_series, counts, series_start, chunk, first_id,
                            labels, ptypes, starts, ends, times, units) -> int:
        r = self.regions
        written = 0
        s_lo = 0
        while s_lo < n_series:
            s_hi = int(np.searchsorted(series_start, series_start[s_lo] + chunk, side="left"))
            s_hi = max(s_hi, s_lo + 1)
            s_idx = np.arange(s_lo, s_hi)
            c = counts[s_lo:s_hi]
            rows = int(c.sum())
            s = np.repeat(s_idx, c)
            within = np.arange(rows) - np.repeat(np.cumsum(c) - c, c)
            p = np.where(self.series_monthly[s], within, MONTHS + within)
            t = times[p]
            value = self._model_value(s, t) * np.exp(rng.normal(0.0, 0.03, rows))
            decimals = self.series_decimals[s]
            value = np.round(value * 10.0 ** decimals) / 10.0 ** decimals
            status = np.where(rng.random(rows) < 0.98, "approved", "submitted")
            reg = self.series_reg[s]
            self.w.write(Observation, rows, {
                "id": np.arange(first_id + written, first_id + written + rows),
                "origin": Origin.SYNTHETIC,
                "key": None,
                "indicator_id": self.ind_ids[self.series_ind[s]],
                "indicator_text": "",
                "region_id": r.ids[reg],
                "sector_id": None,
                "chain_node_id": None,
                "series": np.array(self.series_key[s_lo:s_hi], dtype=object)[s - s_lo],
                "period": labels[p],
                "period_type": ptypes[p],
                "period_start": starts[p],
                "period_end": ends[p],
                "value": value,
                "unit": units[s],
                "status": status,
                "reporter_text": f"{SYNTH_LABEL}填报单位",
                "source": SYNTH_SOURCE,
                "version": 1,
                "is_current": True,
            })
            written += rows
            s_lo = s_hi
        return written

    # -- enterprises, nodes, capacities -------------------------------------------------------

    def enterprises(self) -> None:
        from chainwatch.chains.models import Enterprise

        rng = self.rng["enterprises"]
        n = self.scale.enterprises
        r = self.regions
        candidates = np.array([i for i, level in enumerate(r.levels) if level == "county"] or list(range(len(r.codes))))
        reg = candidates[rng.integers(0, len(candidates), n)]
        n_nodes = len(self.nodes)
        k = rng.integers(1, 4, n)  # 1–3 nodes each
        main = rng.integers(0, n_nodes, n)
        offsets = rng.integers(1, n_nodes, (n, 2))
        node_sets = []
        for i in range(n):
            chosen = [int(main[i])]
            for j in range(int(k[i]) - 1):
                node = int((main[i] + offsets[i, j]) % n_nodes)
                if node not in chosen:
                    chosen.append(node)
            node_sets.append(chosen)
        self.ent_nodes = node_sets
        self.ent_reg = reg
        orgs = _base31(np.arange(n), 7)
        uscc = [make_uscc("9", "1", r.codes[g][:6], "YY" + o) for g, o in zip(reg.tolist(), orgs, strict=True)]
        brand = rng.integers(0, len(BRANDS), n)
        form = np.where(rng.random(n) < 0.2, "股份有限公司", "有限公司")
        names = [
            f"{SYNTH_LABEL}{_short_name(r.names[g])}{BRANDS[b]}{self.nodes[m][2]}{f}"
            for g, b, m, f in zip(reg.tolist(), brand.tolist(), main.tolist(), form.tolist(), strict=True)
        ]
        special = rng.random(n)
        first = self.w.next_id(Enterprise)
        self.ent_ids = np.arange(first, first + n, dtype=np.int64)
        self.ent_names = names
        self.summary.counts["enterprises"] += self.w.write(Enterprise, n, {
            "id": self.ent_ids,
            "origin": Origin.SYNTHETIC,
            "uscc": uscc,
            "name": names,
            "normalized_name": [normalize_enterprise_name(x) for x in names],
            "region_id": r.ids[reg],
            "is_chain_leader": rng.random(n) < 0.01,
            "is_leading": rng.random(n) < 0.03,
            "specialised": np.where(special < 0.02, "national", np.where(special < 0.10, "provincial", "")),
            "is_listed": rng.random(n) < 0.02,
            "source": SYNTH_SOURCE,
        })
        through = Enterprise.nodes.through
        pairs = [(int(self.ent_ids[i]), self.nodes[j][0]) for i, chosen in enumerate(node_sets) for j in chosen]
        self.summary.counts["enterprise nodes"] += self.w.write(through, len(pairs), {
            "enterprise_id": [p[0] for p in pairs],
            "chainnode_id": [p[1] for p in pairs],
        })

    def _capacity_amounts(self, rng, node_positions: np.ndarray) -> tuple[np.ndarray, list[str]]:
        units = [self.nodes[j][3] for j in node_positions.tolist()]
        log_mean = np.array([CAPACITY_LOG_MEAN.get(u, 0.7) for u in units])
        amount = np.round(np.exp(rng.normal(log_mean, 0.8)), 3)
        return np.maximum(amount, 0.001), units

    def capacities(self) -> None:
        from chainwatch.chains.models import Capacity

        rng = self.rng["capacities"]
        n_project = int(round(self.scale.projects * 0.6))
        n = max(self.scale.capacities - n_project, 0)
        self.n_project_capacities = min(n_project, self.scale.capacities)
        n_ent = len(self.ent_ids)
        ent = np.arange(n) % n_ent
        pick = rng.integers(0, 3, n)
        node_pos = np.array([self.ent_nodes[e][p % len(self.ent_nodes[e])] for e, p in zip(ent.tolist(), pick.tolist(), strict=True)], dtype=np.int64)
        status = np.array(["built", "construction", "planned"])[rng.choice(3, n, p=[0.6, 0.25, 0.15])]
        start = np.where(status == "built", rng.integers(2012, 2026, n), np.where(status == "construction", rng.integers(2026, 2028, n), rng.integers(2027, 2031, n)))
        amount, units = self._capacity_amounts(rng, node_pos)
        first = self.w.next_id(Capacity)
        self.summary.counts["capacities"] += self.w.write(Capacity, n, {
            "id": np.arange(first, first + n),
            "origin": Origin.SYNTHETIC,
            "node_id": [self.nodes[j][0] for j in node_pos.tolist()],
            "region_id": self.regions.ids[self.ent_reg[ent]],
            "enterprise_id": self.ent_ids[ent],
            "project_id": None,
            "amount": amount,
            "unit": units,
            "status": status,
            "start_year": start,
            "end_year": None,
            "source": SYNTH_SOURCE,
        })

    # -- projects, their nodes, capacities and updates ----------------------------------------

    def projects(self) -> None:
        from chainwatch.chains.models import Capacity
        from chainwatch.projects.models import Project, ProjectUpdate

        rng = self.rng["projects"]
        n = self.scale.projects
        r = self.regions
        owner = rng.integers(0, len(self.ent_ids), n)
        reg = self.ent_reg[owner]
        node_pos = np.array([self.ent_nodes[o][0] for o in owner.tolist()], dtype=np.int64)
        total = np.clip(np.round(np.exp(rng.normal(np.log(8e8), 1.0, n)), -4), 5e6, 3e11)
        stage = np.array(STAGES)[rng.choice(len(STAGES), n, p=STAGE_P)]
        low = np.array([STAGE_COMPLETED[s][0] for s in stage])
        high = np.array([STAGE_COMPLETED[s][1] for s in stage])
        share = low + (high - low) * rng.random(n)
        completed = np.round(total * share, -2)
        active = np.isin(stage, ["started", "construction", "operating", "paused"])
        annual = np.where(active | (stage == "signed"), np.round(total * rng.uniform(0.2, 0.5, n), -2), np.nan)
        base = np.datetime64("2023-01-01")
        planned_start = base + rng.integers(0, 1000, n).astype("timedelta64[D]")
        planned_end = planned_start + rng.integers(365, 1500, n).astype("timedelta64[D]")
        slip = np.clip(rng.normal(60, 90, n), -60, 400).astype(np.int64).astype("timedelta64[D]")
        actual_start = planned_start + slip
        end_slip = np.clip(rng.normal(30, 120, n), -90, 500).astype(np.int64).astype("timedelta64[D]")
        actual_end = planned_end + end_slip
        last_day = np.datetime64("2026-10-31")
        actual_start = np.minimum(actual_start, last_day)
        actual_end = np.minimum(actual_end, last_day)
        started = np.isin(stage, ["started", "construction", "operating", "paused"])
        capacity_amount, capacity_units = self._capacity_amounts(rng, node_pos)
        names = [
            f"{SYNTH_LABEL}{_short_name(r.names[g])}年产{_fmt(a, 3)}{u.split('/')[0]}{self.nodes[j][2]}项目"
            for g, a, u, j in zip(reg.tolist(), capacity_amount.tolist(), capacity_units, node_pos.tolist(), strict=True)
        ]
        first = self.w.next_id(Project)
        ids = np.arange(first, first + n, dtype=np.int64)
        iso = lambda arr: [str(d) for d in arr]  # noqa: E731
        self.summary.counts["projects"] += self.w.write(Project, n, {
            "id": ids,
            "origin": Origin.SYNTHETIC,
            "code": [f"SYN-{r.codes[g][:6]}-{i + 1:06d}" for i, g in enumerate(reg.tolist())],
            "name": names,
            "owner_id": self.ent_ids[owner],
            "region_id": r.ids[reg],
            "sector_id": None,
            "total_investment": total,
            "annual_plan": [None if np.isnan(a) else float(a) for a in annual.tolist()],
            "completed_investment": completed,
            "stage": stage,
            "pause_reason": np.where(stage == "paused", f"{SYNTH_LABEL}资金未到位", ""),
            "planned_start": iso(planned_start),
            "planned_end": iso(planned_end),
            "actual_start": [d if s else None for d, s in zip(iso(actual_start), started.tolist(), strict=True)],
            "actual_end": [d if s == "operating" else None for d, s in zip(iso(actual_end), stage.tolist(), strict=True)],
            "leader": f"{SYNTH_LABEL}包联领导",
            "department_id": [int(x) or None for x in self.owner_of_region[reg].tolist()],
        })
        self.summary.counts["project nodes"] += self.w.write(Project.nodes.through, n, {
            "project_id": ids,
            "chainnode_id": [self.nodes[j][0] for j in node_pos.tolist()],
        })
        # capacity the project adds (a share of the projects)
        m = self.n_project_capacities
        pick = np.sort(rng.choice(n, m, replace=False)) if m else np.array([], dtype=np.int64)
        cap_status = np.where(np.isin(stage[pick], ["pipeline", "signed"]), "planned", np.where(stage[pick] == "operating", "built", "construction"))
        cap_first = self.w.next_id(Capacity)
        self.summary.counts["capacities"] += self.w.write(Capacity, m, {
            "id": np.arange(cap_first, cap_first + m),
            "origin": Origin.SYNTHETIC,
            "node_id": [self.nodes[j][0] for j in node_pos[pick].tolist()],
            "region_id": r.ids[reg[pick]],
            "enterprise_id": None,
            "project_id": ids[pick],
            "amount": capacity_amount[pick],
            "unit": [capacity_units[i] for i in pick.tolist()],
            "status": cap_status,
            "start_year": [int(str(d)[:4]) + 1 for d in planned_end[pick]],
            "end_year": None,
            "source": SYNTH_SOURCE,
        })
        # monthly updates: the last k months up to DATA_END
        rng_u = self.rng["updates"]
        k = np.where(active, rng_u.integers(1, self.scale.max_updates + 1, n), np.where(stage == "signed", rng_u.integers(0, 3, n), 0))
        rows = int(k.sum())
        proj = np.repeat(np.arange(n), k)
        within = np.arange(rows) - np.repeat(np.cumsum(k) - k, k)  # 0 = oldest
        back = np.repeat(k, k) - 1 - within  # months before DATA_END
        year, month = DATA_END
        index = year * 12 + month - 1 - back
        periods = [f"{y}-{m + 1:02d}" for y, m in zip((index // 12).tolist(), (index % 12).tolist(), strict=True)]
        fraction = (within + 1) / np.repeat(k, k)
        start_share = np.repeat(np.maximum(share - 0.3, 0) / np.maximum(share, 1e-9), k)
        cumulative = np.round(completed[proj] * (start_share + (1 - start_share) * fraction), -2)
        previous = np.where(within == 0, np.round(completed[proj] * start_share, -2), np.concatenate([[0.0], cumulative[:-1]]))
        month_investment = np.maximum(cumulative - previous, 0)
        notes = (f"{SYNTH_LABEL}按计划推进", f"{SYNTH_LABEL}设备安装中", f"{SYNTH_LABEL}土建施工中", f"{SYNTH_LABEL}要素保障协调中")
        first_u = self.w.next_id(ProjectUpdate)
        self.summary.counts["project updates"] += self.w.write(ProjectUpdate, rows, {
            "id": np.arange(first_u, first_u + rows),
            "origin": Origin.SYNTHETIC,
            "project_id": ids[proj],
            "period": periods,
            "stage": stage[proj],
            "completed_investment": cumulative,
            "month_investment": month_investment,
            "narrative": np.array(notes, dtype=object)[rng_u.integers(0, len(notes), rows)],
            "reported_by": f"{SYNTH_LABEL}填报员",
        })

    # -- users for every role -----------------------------------------------------------------

    def users(self) -> None:
        from chainwatch.accounts.models import Profile

        User = get_user_model()
        r = self.regions
        unusable = make_password(None)  # nobody signs in with a password: benchmarks open sessions
        specs: list[tuple[str, str, dict]] = [("admin", "admin", {})]
        for i, (code, level) in enumerate(zip(r.codes, r.levels, strict=True)):
            if level in ("province", "prefecture", "county"):
                specs.append((f"{level}-{code}", level, {"region_id": int(r.ids[i])}))
            if level == "province":
                specs.append((f"leader-{code}", "leader", {"region_id": int(r.ids[i])}))
        for code, dept in self.dept_of_region.items():
            specs.append((f"department-{code}", "department", {"department_id": dept, "region_id": int(r.ids[r.by_code[code]])}))
        for i in range(min(self.scale.enterprise_users, len(self.ent_ids))):
            specs.append((f"enterprise-{i + 1:05d}", "enterprise", {"enterprise_id": int(self.ent_ids[i])}))
        users = [
            User(username=f"{USER_PREFIX}{name}", password=unusable, first_name=f"{SYNTH_LABEL}{ROLE_LABEL[role]}"[:150],
                 last_name=name[:150], is_staff=role == "admin", is_active=True)
            for name, role, _ in specs
        ]
        User.objects.using(self.using).bulk_create(users, batch_size=2000)
        ids = dict(User.objects.using(self.using).filter(username__startswith=USER_PREFIX).values_list("username", "id"))
        Profile.objects.using(self.using).bulk_create(
            [Profile(user_id=ids[f"{USER_PREFIX}{name}"], role=role, **extra) for name, role, extra in specs], batch_size=2000
        )
        self.summary.counts["users"] += len(specs)

    def audit(self) -> None:
        from chainwatch.core import audit
        from chainwatch.policy.models import PolicyDocument

        after = {"scale": self.scale.name, "seed": self.seed, "generator_version": GENERATOR_VERSION, **dict(self.summary.counts)}
        entries = [
            audit.entry(None, "import", doc, after=after, note=f"synth --scale {self.scale.name} --seed {self.seed}")
            for doc in PolicyDocument.objects.using(self.using).filter(origin=Origin.SYNTHETIC)
        ]
        for e in entries:
            e.actor_name = "synth"
        from chainwatch.core.models import AuditEntry

        AuditEntry.objects.using(self.using).bulk_create(entries)


# ---------------------------------------------------------------------------------------------
# Removal and checksums


def _synthetic_models() -> list[type[models.Model]]:
    from chainwatch.chains.models import Capacity, Enterprise
    from chainwatch.geo.models import Department
    from chainwatch.policy.models import PolicyDocument
    from chainwatch.projects.models import Project, ProjectUpdate
    from chainwatch.targets.models import Indicator, Observation, Target

    return [ProjectUpdate, Capacity, Project, Observation, Target, Indicator, Enterprise, Department, PolicyDocument]


def remove_synthetic(*, using: str = "default") -> int:
    """Delete every synthetic row (origin = synthetic) and the synthetic users; returns the count."""
    from chainwatch.accounts.models import Profile
    from chainwatch.targets.models import TargetStatus

    User = get_user_model()
    removed = 0
    with transaction.atomic(using=using):
        users = User.objects.using(using).filter(username__startswith=USER_PREFIX)
        removed += Profile.objects.using(using).filter(user__in=users).delete()[0]
        removed += users.delete()[0]
        for model in _synthetic_models():
            removed += model.objects.using(using).filter(origin=Origin.SYNTHETIC).delete()[0]
        TargetStatus.objects.using(using).filter(facts__isnull=False).update(facts=None)
    return removed


def _digest(rows) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(("\x1f".join("" if v is None else (f"{float(v):.6f}" if isinstance(v, float | Decimal) else str(v)) for v in row) + "\n").encode())
    return h.hexdigest()


def checksums(*, using: str = "default") -> dict[str, str]:
    """SHA-256 of the key columns of each synthetic table, by natural keys (ids excluded)."""
    from chainwatch.chains.models import Capacity, Enterprise
    from chainwatch.projects.models import Project, ProjectUpdate
    from chainwatch.targets.models import Indicator, Observation, Target

    syn = {"origin": Origin.SYNTHETIC}
    db = using
    return {
        "indicators": _digest(Indicator.objects.using(db).filter(**syn).order_by("code").values_list("code", "name_zh", "unit", "kind", "direction", "cycle")),
        "targets": _digest(Target.objects.using(db).filter(**syn).order_by("key").values_list("key", "indicator__code", "region__code", "year", "value", "comparator", "baseline_value")),
        "observations": _digest(Observation.objects.using(db).filter(**syn).order_by("indicator__code", "region__code", "period_end").values_list("indicator__code", "region__code", "period", "value", "status")),
        "enterprises": _digest(Enterprise.objects.using(db).filter(**syn).order_by("uscc").values_list("uscc", "name", "region__code", "is_chain_leader", "specialised")),
        "capacities": _digest(Capacity.objects.using(db).filter(**syn).order_by("enterprise__uscc", "project__code", "node__code", "status", "amount").values_list("enterprise__uscc", "project__code", "node__code", "status", "amount", "start_year")),
        "projects": _digest(Project.objects.using(db).filter(**syn).order_by("code").values_list("code", "name", "owner__uscc", "total_investment", "completed_investment", "stage", "planned_start", "actual_start")),
        "project updates": _digest(ProjectUpdate.objects.using(db).filter(**syn).order_by("project__code", "period").values_list("project__code", "period", "completed_investment", "month_investment")),
    }


__all__ = [
    "GENERATOR_VERSION", "SCALES", "SYNTH_LABEL", "Scale", "SynthError", "SynthSummary", "checksums",
    "generate", "remove_synthetic",
]
