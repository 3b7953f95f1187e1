"""Propose the quantitative targets (and the tasks) a Chinese policy text states, with exact spans.

Pure: text in, dataclasses out. The text is first normalised (whitespace dropped, because PDF
extraction breaks lines mid-number; full-width digits and punctuation folded to ASCII) with a map
from every normalised character back to the original, so every span is an exact substring of the
ORIGINAL text. Quantities are then found by general rules of policy language:

* a quantity is a number (Arabic or Chinese, through cn2an) followed by a unit as written;
* its comparator comes from the verb before it (达到, 突破, 不低于, 控制在 …) or the word after
  it (以上, 左右, 以内), the word after winning;
* its year is the target year in force: ``到2025年`` (or a bare ``2025年`` that is not in the
  past) carried across the following sentences until another year appears or the clause
  (``（二）``) ends; a period ``2024-2030年`` gives its end year;
* it is not a target when it describes something rather than states an amount (``投资10亿元以上
  的项目``, ``300公里最美风景大环线``: a measure directly followed by ``的`` or a noun), when it is
  a rule (``对…以上``, ``给予…补助``), a third-party forecast (``据…预测``), a past fact (a year
  before the document's first target year, or a clause headed 发展现状/发展基础), or carries no
  target year and no target wording (力争, 确保, 不低于 …).

* a count a task commits to without a year (``新建零部件项目20个以上``) is a target when its
  comma-chunk carries a verb that creates something (新建, 新增, 培育, 打造, 建设, 引进 …);
  a subsidy rule (给予…补贴) voids only the numbers of its own comma-chunk.

Tables (one cell per line or tab-separated rows with a header row of years) are parsed apart; a
``单位`` column gives each row's unit, an ``指标``/``指标名称`` column each row's indicator, and a year
column marked 现状/基期 or earlier than the first target year the text states is a baseline.
Traditional characters of the policy vocabulary (達到, 億元, 萬輛) are folded one to one, so they
are read like simplified text while spans stay exact substrings of the original.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import asdict, dataclass, field

import cn2an

from chainwatch.policy.segment import Clause, clause_at, segment

# ---------------------------------------------------------------------------- data shapes


@dataclass
class ExtractedTarget:
    span: str
    indicator: str
    subject: str | None
    value: float | int
    value_max: float | int | None
    unit: str
    year: int | None
    comparator: str
    change: dict | None = None
    count_of: dict | None = None
    qualifier: str | None = None
    # Character offsets of ``span`` in the original text; not part of to_dict().
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)
    clause_path: str | None = field(default=None, compare=False)

    def to_dict(self) -> dict:
        data = asdict(self)
        for extra in ("start", "end", "clause_path"):
            data.pop(extra)
        return data


@dataclass
class ExtractedTask:
    title: str
    clause_path: str | None
    span: str
    lead: list[str]
    cooperating: list[str]
    start: int = 0
    end: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


TARGET_FIELDS = (
    "span", "indicator", "subject", "value", "value_max", "unit", "year", "comparator",
    "change", "count_of", "qualifier",
)

# ---------------------------------------------------------------------------- normalisation

_SPACE = set(" \t\r\n\u3000\u00a0\u2002\u2003\u2009\u200b\ufeff\x0b\x0c")
_BREAK = "\n"  # hard boundary: clause starts and removed tables


@dataclass
class Normalised:
    text: str
    origin: list[int]  # origin[i] = offset in the original of text[i]; origin[len] = len(original)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of normalised [start, end)."""
        return self.origin[start], self.origin[end - 1] + 1


# Traditional characters of the policy vocabulary (units, comparators, target and rule words),
# folded one character to one character so spans stay exact substrings of the original text.
_TRADITIONAL = str.maketrans(
    "億萬噸個戶項輛臺頭隻畝產達於過約內預測設實現爭確標準時門級強額長較與對給補貼勵獎據計務業營規劃"
    "積擴進穩區縣場處條張種總發礎為減並帶動開點層體財機關資價裝備輸網儲電務會議號屆賽團隊園區鏈",
    "亿万吨个户项辆台头只亩产达于过约内预测设实现争确标准时门级强额长较与对给补贴励奖据计务业营规划"
    "积扩进稳区县场处条张种总发础为减并带动开点层体财机关资价装备输网储电务会议号届赛团队园区链",
)


# Full-width ASCII (！ to ～), except the full-width comma: it separates clauses, and folding it to
# ',' would make "5，300万" read as a thousands separator.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F) if code != 0xFF0C}
_FOLD.update(_TRADITIONAL)
_NOT_SPACE = re.compile("[^" + re.escape("".join(sorted(_SPACE))) + "]+")


def _fold(ch: str) -> str:
    return ch.translate(_FOLD)


def normalise(text: str, breaks: set[int] | None = None, skip: list[tuple[int, int]] = ()
              ) -> Normalised:
    """Drop whitespace, fold full-width and traditional characters (one to one); a ``\n`` at each
    offset in ``breaks`` and in place of every ``skip`` range."""
    folded = text.translate(_FOLD)
    events = sorted({(offset, 0, offset) for offset in (breaks or ())}
                    | {(start, 1, end) for start, end in skip})
    chars: list[str] = []
    origin: list[int] = []
    position = 0

    def copy(upto: int) -> None:
        for run in _NOT_SPACE.finditer(folded, position, upto):
            chars.append(run.group())
            origin.extend(range(run.start(), run.end()))

    for offset, kind, end in events:
        if offset < position:
            continue  # inside a skipped range
        copy(offset)
        chars.append(_BREAK)
        origin.append(offset)
        position = end if kind == 1 else offset
    copy(len(text))
    origin.append(len(text))
    return Normalised("".join(chars), origin)


# ---------------------------------------------------------------------------- vocabulary

_CN_NUM_CHARS = "零〇一二两三四五六七八九十百千"
ARABIC = r"\d+(?:\.\d+)?"
NUMBER = rf"(?:{ARABIC}|[{_CN_NUM_CHARS}]+)"
_RANGE_SEP = r"(?:至|到|-|—|–|~|～)"

_MEASURE_BASES = [
    "吨标准煤", "吨标煤", "千瓦时", "千瓦", "平方公里", "平方米", "立方米", "标准箱", "人次",
    "公里", "千米", "公顷", "千克", "公斤", "吨", "元", "头", "只", "羽", "亩", "辆", "台", "套",
    "人", "米", "斤", "TWh", "GWh", "MWh", "kWh", "GW", "MW", "kW", "EFLOPS", "PFLOPS", "TFLOPS",
    "Gbps", "Mbps", "PB", "TB", "个百分点", "百分点", "%", "‰", "倍",
]
_RELATIVE = ("个百分点", "百分点", "%", "‰", "倍")
COUNTERS = ["个", "户", "家", "条", "处", "座", "项", "所", "名", "张", "件", "艘", "架", "支", "款",
            "场", "种"]
_PREFIX = r"(?:万亿|亿|万|千|百)"
_PER_YEAR = r"(?:/年|/a|每年)"
_UNIT_RE = (
    rf"(?:{_PREFIX}?(?:{'|'.join(map(re.escape, _MEASURE_BASES))})|"
    rf"(?:(?:万|亿)?(?:{'|'.join(COUNTERS)}))|(?:万亿|亿|万)(?![{_CN_NUM_CHARS}]))"
    rf"{_PER_YEAR}?"
)
QUANTITY = re.compile(
    rf"(?P<num>{NUMBER})(?:{_RANGE_SEP}(?P<num2>{NUMBER}))?(?P<unit>{_UNIT_RE})"
    rf"(?P<suffix>以上|以下|以内|左右|多|余)?"
)

# "500亿元以上产业集群1个"
COUNT_AFTER = re.compile(
    rf"(?P<thr>{NUMBER})(?P<tu>万亿元|亿元|万元|亿|万)(?:以上|及以上)"
    rf"(?P<noun>[^\d，。；,;:!?、\n“”]{{1,20}}?)"
    rf"(?P<cnt>{NUMBER})(?:{_RANGE_SEP}(?P<cnt2>{NUMBER}))?(?P<cu>{'|'.join(COUNTERS)})"
    rf"(?P<suffix>以上|左右)?"
)
# "年营收超百亿元企业10户以上"
COUNT_AFTER_EXCEEDING = re.compile(
    rf"(?:超过|超|突破)(?P<thr>{NUMBER})(?P<tu>万亿元|亿元|万元)(?:以上)?"
    rf"(?P<noun>[^\d，。；,;:!?、\n“”]{{1,20}}?)"
    rf"(?P<cnt>{NUMBER})(?:{_RANGE_SEP}(?P<cnt2>{NUMBER}))?(?P<cu>{'|'.join(COUNTERS)})"
    rf"(?P<suffix>以上|左右)?"
)
# "1个“五百亿级”", "4个左右“百亿级”", "5户百亿级"
COUNT_BEFORE = re.compile(
    rf"(?P<cnt>{NUMBER})(?:{_RANGE_SEP}(?P<cnt2>{NUMBER}))?(?P<cu>{'|'.join(COUNTERS)})"
    rf"(?P<suffix>以上|左右)?[“\"']?(?P<thr>{NUMBER})(?P<tu>万亿|亿|万)元?级[”\"']?"
)

YEAR = re.compile(r"(?P<y1>(?:19|20)\d{2})(?:(?:-|—|–|~|至|到)(?P<y2>(?:19|20)\d{2}))?年")
DATE_AFTER_YEAR = re.compile(r"\d{1,2}月|第|度")
BASE_YEAR_BEFORE = ("较", "比", "同比", "与", "相比", "对比")
PAST_MARKERS_BEFORE = ("截至", "截止", "截至到", "自")
CHANGE = re.compile(
    r"(?:较|比|与|相比)(?P<base>(?:19|20)\d{2})年(?:底|末)?(?:相比)?"
    r"(?P<dir>下降|降低|减少|增长|提高|提升|增加|上升)(?:了)?$"
)
DATE = re.compile(r"(?:19|20)\d{2}年\d{1,2}月(?:\d{1,2}日)?|(?:19|20)\d{2}-\d{1,2}-\d{1,2}")

_SENTENCE_END = "。;；!?\n"
_CLAUSE_SEP = "，,:：" + _SENTENCE_END

_VERB_COMPARATORS = [  # longest first
    ("不低于", ">="), ("不少于", ">="), ("至少", ">="), ("不小于", ">="),
    ("不超过", "<="), ("控制在", "<="), ("不高于", "<="), ("不大于", "<="), ("不多于", "<="),
    ("低于", "<="), ("小于", "<="), ("少于", "<="), ("以内", "<="),
    ("突破", ">"), ("超过", ">"), ("高于", ">"), ("大于", ">"), ("多于", ">"), ("超", ">"),
    ("约为", "~"), ("约", "~"), ("近", "~"), ("接近", "~"),
    ("提升至", "="), ("提升到", "="), ("提高至", "="), ("提高到", "="), ("增长至", "="),
    ("增长到", "="), ("增加至", "="), ("增加到", "="), ("稳定在", "="), ("保持在", "="),
    ("达到", "="), ("达", "="), ("实现", "="), ("为", "="), ("至", "="), ("到", "="),
]
_SUFFIX_COMPARATORS = {"以上": ">=", "以下": "<=", "以内": "<=", "左右": "~", "多": ">", "余": ">"}
_TRAILING_NOISE = ("分别", "均", "累计", "总计", "共", "力争", "要", "将", "可", "能够")
_LEADING_COMPARATORS = {"至少": ">=", "不少于": ">=", "不低于": ">=", "力争超过": ">"}
_LEADING_NOISE = (
    "力争", "确保", "争取", "实现", "建成", "培育形成", "培育", "打造", "形成", "开发", "引进", "引育",
    "创建", "建设", "达到", "其中", "和", "及", "与", "、", "并", "使", "推动", "带动", "全年",
    "年底", "年末", "底", "末", "前", ",", "，",
)
REGION_WORDS = re.compile(
    r"^(全区|全省|全盟|全市|全州|全县|全旗|我省|我区|我盟|我市|我州|我县|省内|区内|盟内|市内)"
)
TARGET_WORDING = re.compile(
    r"力争|确保|不低于|不少于|至少|不超过|控制在|以内|每年|年均|目标|争取"
)
PAST_WORDING = re.compile(r"建成|已|累计|现有|在建|探明|完成了")
# A count a task commits to without a year (新建零部件项目20个以上, 打造2个百亿级产业集群): the
# comma-chunk opens with a verb that creates something new.
FORWARD_VERB = re.compile(r"新建|新增|培育|打造|建设|引进|创建|新认定|布局|推广")
RULE_WORDING = re.compile(r"给予|补助|补贴|奖励|奖补|贴息|资助")
THRESHOLD_INTRO = re.compile(r"(?<![面相绝针])对(?![标接外于话口照比应])")
FORECAST = re.compile(r"据.{0,40}?(?:预测|预计|测算|估计)")
BASELINE_HEADING = re.compile(r"(?:现状|基础|成效|形势|基本情况|发展回顾|工作回顾|进展情况)$")
HEADING_INDUSTRY = re.compile(r"(?:产业集群|产业|集群|行业)$")
HEADING_LEAD_VERBS = re.compile(r"^(?:培育|发展|打造|壮大|做强|做大|推进|加快|建设)+")
CLAUSE_MARKER = re.compile(r"^(?:[一二三四五六七八九十]{1,3}、|[(（][一二三四五六七八九十]{1,3}[)）]"
                           r"|\d{1,2}[.．、]|[一二三四五六七八九十]{1,3}是|——)")
PER_UNIT_BEFORE = re.compile(  # 每亩800公斤, 每公斤20元
    rf"每((?:万|百)?(?:{'|'.join(re.escape(b) for b in _MEASURE_BASES if b not in _RELATIVE)}|户))$"
)
# A decimal with no unit after a lowering verb: 电能利用效率（PUE）控制在1.3以下, 降至1.25.
BARE_RATIO = re.compile(
    r"(?:控制在|不高于|不超过|降至|降到|降低到|下降到|下降至|低于|小于)(?P<num>\d+\.\d+)"
    r"(?P<suffix>以下|以内|左右)?"
)
NOT_AFTER = re.compile(r"[级的强届期号次倍]")
_CJK = re.compile(r"[\u4e00-\u9fff]")

# ---------------------------------------------------------------------------- numbers


def to_number(token: str) -> float | int:
    """Arabic or Chinese numeral to a number (千 → 1000, 两 → 2, 五百 → 500)."""
    if token[0].isdigit():
        value = float(token)
    else:
        if token[0] in "十百千":
            token = "一" + token
        value = float(cn2an.cn2an(token, "smart"))
    return int(value) if value.is_integer() else value


def _acceptable_chinese(token: str, unit: str) -> bool:
    if token[0].isdigit():
        return True
    if token in ("一", "〇", "零"):
        return False  # 一个, 一批: an article, not a figure
    if len(unit) == 1 and unit not in COUNTERS and unit not in "万亿":
        return False  # 三元（正极）, 二元: a word, not an amount
    if set(token) <= set("十百千") and unit[:1] not in ("万", "亿"):
        return False  # 千亿元, 百万吨 are figures; 千家万户 is not
    try:
        to_number(token)
    except (ValueError, KeyError, TypeError):
        return False  # 百千万 (a slogan), 十九大
    return True


# ---------------------------------------------------------------------------- context


@dataclass
class _YearEvent:
    pos: int  # normalised offset
    year: int
    past: bool
    scope: str | None


class _Context:
    """Clauses, scopes, sentences, year events and masked ranges of one normalised document."""

    def __init__(self, original: str, norm: Normalised, clauses: list[Clause]):
        self.original = original
        self.norm = norm
        self.clauses = clauses
        text = norm.text
        self.masked = [False] * (len(text) + 1)
        for pattern in (r"《[^》\n]*》", r"〔[^〕\n]*〕", r"\[[^\]\n]{0,12}\]", DATE.pattern):
            for match in re.finditer(pattern, text):
                for i in range(match.start(), match.end()):
                    self.masked[i] = True
        self.sentence_bounds = self._sentences(text)
        self.excluded_sentences = {
            index for index, (start, end) in enumerate(self.sentence_bounds)
            if FORECAST.search(text, start, end)
        }
        self._clause_cache: dict[int, Clause | None] = {}
        self.starts = [clause.start for clause in clauses]
        self.years = self._years(text)
        self.year_positions = [event.pos for event in self.years]

    @staticmethod
    def _sentences(text: str) -> list[tuple[int, int]]:
        bounds = []
        start = 0
        for match in re.finditer(rf"[{re.escape(_SENTENCE_END)}]", text):
            bounds.append((start, match.end()))
            start = match.end()
        bounds.append((start, len(text)))
        return bounds

    def sentence_index(self, pos: int) -> int:
        lo, hi = 0, len(self.sentence_bounds) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.sentence_bounds[mid][1] <= pos:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def clause(self, pos: int) -> Clause | None:
        if pos not in self._clause_cache:
            self._clause_cache[pos] = clause_at(self.clauses, self.norm.origin[pos], self.starts)
        return self._clause_cache[pos]

    def scope(self, pos: int) -> str | None:
        """The clause a year carries within: the level-1 or level-2 clause around ``pos``."""
        clause = self.clause(pos)
        while clause is not None and clause.level > 2:
            clause = self._by_path(clause.parent_path)
        return clause.path if clause else None

    def _by_path(self, path: str | None) -> Clause | None:
        if path is None:
            return None
        if not hasattr(self, "_paths"):
            self._paths = {clause.path: clause for clause in self.clauses}
        return self._paths.get(path)

    def ancestors(self, pos: int) -> list[Clause]:
        chain = []
        clause = self.clause(pos)
        while clause is not None:
            chain.append(clause)
            clause = self._by_path(clause.parent_path)
        return chain

    def in_baseline_section(self, pos: int) -> bool:
        for clause in self.ancestors(pos):
            heading = CLAUSE_MARKER.sub("", clause.heading.strip()).strip(" 。.")
            if BASELINE_HEADING.search(heading):
                return True
        return False

    def _years(self, text: str) -> list[_YearEvent]:
        raw: list[tuple[int, int, str]] = []  # (pos, year, kind) kind: to | bare | past
        for match in YEAR.finditer(text):
            pos = match.start()
            if self.masked[pos] or self.sentence_index(pos) in self.excluded_sentences:
                continue
            if DATE_AFTER_YEAR.match(text, match.end()):
                continue
            before = text[max(0, pos - 3):pos]
            if any(before.endswith(word) for word in BASE_YEAR_BEFORE):
                continue
            year = int(match.group("y2") or match.group("y1"))
            if any(before.endswith(word) for word in PAST_MARKERS_BEFORE):
                kind = "past"
            elif before.endswith(("到", "至")) or match.group("y2"):
                kind = "to"
            else:
                kind = "bare"
            raw.append((pos, year, kind))
        target_years = [year for _, year, kind in raw if kind == "to"]
        issued = [int(m.group(0)[:4]) for m in DATE.finditer(text)]
        reference = min(target_years) if target_years else (max(issued) if issued else None)
        events = []
        for pos, year, kind in raw:
            past = kind == "past" or (kind == "bare" and reference is not None and year < reference)
            events.append(_YearEvent(pos, year, past, self.scope(pos)))
        return events

    def year_at(self, pos: int) -> _YearEvent | None:
        """The last year stated before ``pos``, when it was stated in the same clause scope."""
        index = bisect.bisect_left(self.year_positions, pos) - 1
        if index < 0:
            return None
        event = self.years[index]
        return event if event.scope == self.scope(pos) else None


# ---------------------------------------------------------------------------- the quantity scan


@dataclass
class _Quantity:
    start: int  # normalised offsets of the number (or the count_of threshold)
    end: int
    value: float | int
    value_max: float | int | None
    unit: str
    comparator: str | None  # from suffix
    count_of: dict | None = None
    counter: bool = False
    noun: str = ""  # for counters: the noun that follows
    noun_end: int = 0


def _previous_boundary(text: str, pos: int, floor: int) -> int:
    index = pos
    while index > floor and text[index - 1] not in _CLAUSE_SEP:
        index -= 1
    return index


def _following_noun(text: str, pos: int) -> tuple[str, int]:
    """The noun after a counter (2户以上国家级…企业), stopping before the next listed figure."""
    end = pos
    limit = min(len(text), pos + 60)
    while end < limit:
        ch = text[end]
        if ch in _CLAUSE_SEP or ch in "(（" or ch.isdigit():
            break
        if ch in "、和及与":
            rest = re.match(r"[^，,。;；:：!?\n]*", text[end + 1:limit]).group(0)
            if re.search(r"\d", rest):
                break
        end += 1
    return text[pos:end], end


def _scan_quantities(ctx: _Context) -> list[_Quantity]:
    text = ctx.norm.text
    taken = [False] * (len(text) + 1)
    found: list[_Quantity] = []

    def free(start: int, end: int) -> bool:
        return not any(taken[start:end]) and not any(ctx.masked[start:end])

    for pattern, after in ((COUNT_AFTER, True), (COUNT_AFTER_EXCEEDING, True),
                           (COUNT_BEFORE, False)):
        for match in pattern.finditer(text):
            if not free(match.start(), match.end()):
                continue
            if match.group("thr")[0] not in "0123456789" and not _acceptable_chinese(
                    match.group("thr"), match.group("tu")):
                continue
            if not _acceptable_chinese(match.group("cnt"), match.group("cu")) and \
                    match.group("cnt") != "一":
                continue
            tu = match.group("tu")
            threshold_unit = tu if tu.endswith("元") else tu + "元"
            count = to_number(match.group("cnt"))
            count2 = to_number(match.group("cnt2")) if match.group("cnt2") else None
            noun, noun_end = ("", match.end()) if after else _following_noun(text, match.end())
            if after:
                noun = match.group("noun")
            quantity = _Quantity(
                start=match.start(), end=match.end(), value=count, value_max=count2,
                unit=match.group("cu"),
                comparator=_SUFFIX_COMPARATORS.get(match.group("suffix") or ""),
                count_of={"threshold": to_number(match.group("thr")),
                          "threshold_unit": threshold_unit, "count": count},
                counter=True, noun=noun, noun_end=max(noun_end, match.end()),
            )
            found.append(quantity)
            for i in range(match.start(), match.end()):
                taken[i] = True

    for match in QUANTITY.finditer(text):
        start, end = match.start(), match.end()
        if not free(start, end):
            continue
        num, unit = match.group("num"), match.group("unit")
        if not _acceptable_chinese(num, unit):
            continue
        if match.group("num2") and not _acceptable_chinese(match.group("num2"), unit):
            continue
        before = text[start - 1] if start else ""
        if before.isdigit() or before.isascii() and before.isalpha() or before in "第前.":
            continue
        if not num[0].isdigit() and before in _CN_NUM_CHARS:
            continue
        following = text[end:end + 1]
        if following and NOT_AFTER.match(following):
            continue
        if following.isascii() and following.isalnum() and following:
            continue  # 5G, 5A
        counter = re.sub(r"^[万亿]", "", unit) in COUNTERS  # 个, 万户, 万家
        if not counter and following and _CJK.match(following) and following not in "和及与或、":
            continue  # a measure describing a noun: 300公里最美风景大环线, 10亿元以上锂电池材料项目
        noun, noun_end = _following_noun(text, end) if counter else ("", end)
        per = PER_UNIT_BEFORE.search(text, max(0, start - 6), start)
        if per and not counter:  # 每亩800公斤 → 800 公斤/亩
            unit, start = f"{unit}/{per.group(1)}", per.start()
        found.append(_Quantity(
            start=start, end=end, value=to_number(num),
            value_max=to_number(match.group("num2")) if match.group("num2") else None,
            unit=unit, comparator=_SUFFIX_COMPARATORS.get(match.group("suffix") or ""),
            counter=counter, noun=noun, noun_end=noun_end,
        ))
        for i in range(start, end):
            taken[i] = True

    for match in BARE_RATIO.finditer(text):  # PUE控制在1.3以下: a ratio without a unit
        start, end = match.start("num"), match.end()
        if not free(match.start(), end) or _CJK.match(text, end) and text[end] not in "和及与或、":
            continue
        if text[end:end + 1].isalnum() or text[end:end + 1] in "%‰":
            continue
        found.append(_Quantity(
            start=start, end=end, value=to_number(match.group("num")), value_max=None, unit="",
            comparator=_SUFFIX_COMPARATORS.get(match.group("suffix") or ""),
        ))
    found.sort(key=lambda q: q.start)
    return found


def _strip_indicator(prefix: str) -> tuple[str, int, str | None, str | None, dict | None]:
    """Split the words before a number into (indicator, its offset in prefix, verb comparator,
    region subject, change)."""
    change = None
    change_match = CHANGE.search(prefix)
    if change_match:
        kind = "decrease" if change_match.group("dir") in ("下降", "降低", "减少") else "increase"
        change = {"kind": kind, "base_year": int(change_match.group("base"))}
        prefix = prefix[:change_match.start()]
    comparator = None
    stripped = True
    while stripped:
        stripped = False
        for word, symbol in _VERB_COMPARATORS:
            if prefix.endswith(word) and (word not in ("为", "至", "到", "达") or len(prefix) > 0):
                prefix = prefix[: -len(word)]
                comparator = comparator or symbol
                stripped = True
                break
        for word in _TRAILING_NOISE:
            if prefix.endswith(word):
                prefix = prefix[: -len(word)]
                stripped = True
    offset = 0
    subject = None
    stripped = True
    while stripped and prefix:
        stripped = False
        year = re.match(r"(?:到|至|在)?(?:19|20)\d{2}(?:(?:-|—|至)(?:19|20)\d{2})?年(?:底|末|前)?",
                        prefix)
        if year:
            prefix, offset, stripped = prefix[year.end():], offset + year.end(), True
            continue
        region = REGION_WORDS.match(prefix)
        if region:
            subject = region.group(1)
            prefix, offset, stripped = prefix[region.end():], offset + region.end(), True
            continue
        for word, symbol in _LEADING_COMPARATORS.items():
            if prefix.startswith(word):
                prefix, offset, stripped = prefix[len(word):], offset + len(word), True
                comparator = comparator or symbol
        for word in _LEADING_NOISE:
            if prefix.startswith(word) and len(prefix) > len(word):
                prefix, offset, stripped = prefix[len(word):], offset + len(word), True
                break
            if prefix == word:
                prefix, offset, stripped = "", offset + len(word), True
                break
    return prefix, offset, comparator, subject, change


def _heading_subject(ctx: _Context, pos: int) -> str | None:
    for clause in ctx.ancestors(pos):
        heading = CLAUSE_MARKER.sub("", clause.heading.strip()).strip(" 。.")
        heading = re.sub(r"[(（][^)）]*[)）]$", "", heading)
        heading = HEADING_LEAD_VERBS.sub("", heading)
        if heading and len(heading) <= 20 and HEADING_INDUSTRY.search(heading):
            return heading
    return None


def _qualifier(text: str, pos: int) -> tuple[str | None, int]:
    match = re.match(r"[(（](?P<q>[^()（）\n]{1,20})[)）]", text[pos:pos + 24])
    if match and re.search(r"折|按|含|当量|口径|计", match.group("q")):
        return match.group("q"), pos + match.end()
    return None, pos


def _classify(ctx: _Context, quantity: _Quantity) -> tuple[str, _YearEvent | None]:
    """'target', 'fact' or 'skip' for a quantity, with the year event in force."""
    text = ctx.norm.text
    sentence = ctx.sentence_index(quantity.start)
    if sentence in ctx.excluded_sentences:
        return "skip", None
    s_start, s_end = ctx.sentence_bounds[sentence]
    sentence_text = text[s_start:s_end]
    # A subsidy or reward rule (给予…补助) voids the numbers of its own comma-chunk only: "每年安排资金
    # 不低于5亿元，对新建养殖场给予补贴" still states a commitment.
    chunk_start = _previous_boundary(text, quantity.start, s_start)
    chunk_end = quantity.end
    while chunk_end < s_end and text[chunk_end] not in _CLAUSE_SEP:
        chunk_end += 1
    if RULE_WORDING.search(text, chunk_start, chunk_end):
        return "skip", None
    if THRESHOLD_INTRO.search(text, s_start, quantity.start):
        return "skip", None
    event = ctx.year_at(quantity.start)
    if ctx.in_baseline_section(quantity.start) or (event is not None and event.past):
        return "fact", event
    if event is not None:
        return "target", event
    if TARGET_WORDING.search(sentence_text):
        return "target", None
    if PAST_WORDING.search(text, s_start, quantity.start):
        return "fact", None
    if FORWARD_VERB.search(text, chunk_start, quantity.start):
        return "target", None
    return "skip", None


def _build(ctx: _Context, quantities: list[_Quantity], want: str) -> list[ExtractedTarget]:
    text = ctx.norm.text
    results: list[ExtractedTarget] = []
    previous_end = 0
    previous_by_unit: dict[tuple[str | None, str], str] = {}
    for index, quantity in enumerate(quantities):
        kind, event = _classify(ctx, quantity)
        floor = max(previous_end, _previous_boundary(text, quantity.start, 0))
        previous_end = quantity.noun_end if quantity.counter else quantity.end
        scope = ctx.scope(quantity.start)
        prefix_start = floor
        prefix = text[prefix_start:quantity.start]
        indicator, offset, verb_comparator, subject, change = _strip_indicator(prefix)
        indicator_start = prefix_start + offset
        if quantity.counter and quantity.noun:
            indicator = (indicator + quantity.noun) if indicator else quantity.noun
        if quantity.count_of and not indicator:
            for later in quantities[index + 1:index + 3]:
                if later.count_of and later.noun:
                    indicator = later.noun
                    break
        carried = False
        if not indicator:
            indicator = previous_by_unit.get((scope, quantity.unit), "")
            carried = True
        elif not quantity.count_of:
            previous_by_unit[(scope, quantity.unit)] = indicator
        if kind != want:
            continue
        comparator = quantity.comparator or verb_comparator or "="
        if change is not None:
            change = dict(change, percent=quantity.value if quantity.unit == "%" else None)
            if change["percent"] is None:
                change = None
        end = quantity.noun_end if quantity.counter else quantity.end
        qualifier, qualified_end = _qualifier(text, end)
        end = qualified_end
        span_start = indicator_start if not carried and indicator_start < quantity.start else (
            indicator_start if indicator_start < quantity.start else quantity.start)
        start, stop = ctx.norm.span(span_start, end)
        subject = subject or _heading_subject(ctx, quantity.start)
        clause = ctx.clause(quantity.start)
        results.append(ExtractedTarget(
            span=ctx.original[start:stop], indicator=indicator, subject=subject,
            value=quantity.value, value_max=quantity.value_max, unit=quantity.unit,
            year=event.year if event else None, comparator=comparator, change=change,
            count_of=quantity.count_of, qualifier=qualifier, start=start, end=stop,
            clause_path=clause.path if clause else None,
        ))
    return results


# ---------------------------------------------------------------------------- tables


@dataclass
class _Cell:
    text: str
    start: int


def _table_rows(text: str) -> list[tuple[int, int, list[_Cell]]]:
    """Candidate table rows: (start, end, cells). One cell per tab-indented line (rows separated
    by blank lines), or one row per line with tab-separated cells."""
    rows: list[tuple[int, int, list[_Cell]]] = []
    offset = 0
    current: list[_Cell] = []
    current_start = None
    current_end = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if body.count("\t") >= 2 and body.strip():
            cells, position = [], offset
            for part in body.split("\t"):
                cells.append(_Cell(part.strip(), position + len(part) - len(part.lstrip())))
                position += len(part) + 1
            if current:
                rows.append((current_start, current_end, current))
                current, current_start = [], None
            rows.append((offset, offset + len(body), cells))
        elif body.startswith("\t"):
            cell = body[1:]
            if current_start is None:
                current_start = offset
            current.append(_Cell(cell.strip(), offset + 1 + len(cell) - len(cell.lstrip())))
            current_end = offset + len(body)
        else:
            if current:
                rows.append((current_start, current_end, current))
                current, current_start = [], None
        offset += len(line)
    if current:
        rows.append((current_start, current_end, current))
    return rows


_YEAR_CELL = re.compile(r"^((?:19|20)\d{2})年?(?:[(（](?P<note>[^)）]*)[)）])?(?:目标|目标值|预期)?$")
_BASELINE_NOTE = re.compile(r"基期|基数|现状|基准|实际|完成")
_UNIT_HEADER = ("单位", "计量单位")
_INDICATOR_HEADER = ("指标", "指标名称", "主要指标", "具体指标", "目标指标")
_TARGET_YEAR_TEXT = re.compile(r"[到至]\s*((?:19|20)\d{2})\s*年|(?:19|20)\d{2}\s*[-—–~至到]\s*((?:19|20)\d{2})\s*年")
_NUMBER_CELL = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
_TOTAL_ROW = ("合计", "小计", "总计", "总量")
_TABLE_INDICATOR = re.compile(r"(目标产值|产值|产量|产能|增加值|营业收入|营收|投资|规模|装机)$")


def _parse_tables(original: str) -> tuple[list[ExtractedTarget], list[tuple[int, int]]]:
    rows = _table_rows(original)
    targets: list[ExtractedTarget] = []
    # A year column earlier than the first target year the text states (到2025年) is a baseline.
    stated = [int(m.group(1) or m.group(2)) for m in _TARGET_YEAR_TEXT.finditer(original)]
    first_target_year = min(stated) if stated else None
    regions: list[tuple[int, int]] = []
    index = 0
    while index < len(rows):
        start, end, cells = rows[index]
        header = [re.sub(r"\s+", "", cell.text) for cell in cells]
        years = [(position, int(m.group(1)), m.group("note") or "")
                 for position, cell in enumerate(header) if (m := _YEAR_CELL.match(cell))]
        if len(years) < 2:
            index += 1
            continue
        unit_column = next((i for i, cell in enumerate(header) if cell in _UNIT_HEADER), None)
        indicator_column = next((i for i, cell in enumerate(header) if cell in _INDICATOR_HEADER),
                                None)
        label_columns = [i for i in range(years[0][0]) if i != unit_column]
        years_in_table = [year for _, year, _ in years]
        years = [(position, year) for position, year, note in years
                 if not _BASELINE_NOTE.search(note)
                 and not (first_target_year and year < first_target_year
                          and max(years_in_table) >= first_target_year)]
        before = original[max(0, rows[max(0, index - 3)][0] - 400):start]
        unit_match = list(re.finditer(r"单位[:：]\s*(\S+)", before))
        unit = unit_match[-1].group(1) if unit_match else ""
        caption_lines = [line.strip() for line in before.splitlines()
                         if line.strip() and not line.strip().startswith("单位")
                         and "\t" not in line]
        caption = caption_lines[-1] if caption_lines else ""
        caption_match = _TABLE_INDICATOR.search(caption.replace(" ", ""))
        indicator = caption_match.group(1) if caption_match else caption
        if indicator.startswith("目标") and len(indicator) > 2:
            indicator = indicator[2:]
        width = len(cells)
        table_start = rows[max(0, index - 1)][0] if index and rows[index - 1][1] >= start - 4 \
            else start
        group = None
        last = index
        for row_start, _row_end, row in rows[index + 1:]:
            if len(row) != width or row_start - rows[last][1] > 8:
                break
            last += 1
            if row[0].text and not _NUMBER_CELL.match(row[0].text) and 0 in label_columns:
                group = re.sub(r"\s+", "", row[0].text)
            labels = [re.sub(r"\s+", "", row[position].text) for position in label_columns
                      if row[position].text and not _NUMBER_CELL.match(row[position].text)]
            label = labels[-1] if labels else None
            row_unit = unit
            if unit_column is not None and row[unit_column].text.strip():
                row_unit = re.sub(r"\s+", "", row[unit_column].text)
            row_indicator = indicator
            if indicator_column is not None:
                row_indicator = re.sub(r"\s+", "", row[indicator_column].text) or indicator
                subject = None
            else:
                subject = group if label in _TOTAL_ROW or label is None else label
            for position, year in years:
                cell = row[position]
                if not _NUMBER_CELL.match(cell.text):
                    continue
                value = to_number(cell.text)
                stop = cell.start + len(cell.text)
                targets.append(ExtractedTarget(
                    span=original[cell.start:stop], indicator=row_indicator, subject=subject,
                    value=value, value_max=None, unit=row_unit, year=year, comparator="=",
                    start=cell.start, end=stop,
                ))
        regions.append((table_start, rows[last][1]))
        index = last + 1
    return targets, regions


# ---------------------------------------------------------------------------- public API


def _prepare(text: str) -> tuple[_Context, list[ExtractedTarget]]:
    clauses = segment(text)
    table_targets, regions = _parse_tables(text)
    norm = normalise(text, breaks={clause.start for clause in clauses}, skip=regions)
    ctx = _Context(text, norm, clauses)
    for target in table_targets:
        clause = clause_at(clauses, target.start, ctx.starts)
        target.clause_path = clause.path if clause else None
    return ctx, table_targets


def extract_targets(text: str) -> list[ExtractedTarget]:
    """Every quantitative target ``text`` states, in document order."""
    ctx, table_targets = _prepare(text)
    targets = _build(ctx, _scan_quantities(ctx), "target") + table_targets
    return sorted(targets, key=lambda target: target.start)


def extract_facts(text: str) -> list[ExtractedTarget]:
    """Baselines and past facts (发展现状, ``2023年实现产值165亿元``); ``year`` is the year stated,
    if any, and ``comparator`` what the text says."""
    ctx, _ = _prepare(text)
    return _build(ctx, _scan_quantities(ctx), "fact")


_RESPONSIBILITY = re.compile(
    r"[(（](?P<body>(?:责任单位|责任部门|牵头单位|牵头部门|责任主体)[:：]"
    r"(?:[^()（）]|[(（][^()（）]{1,10}[)）]){1,300})[)）]"  # 各县（市、区）人民政府 nests once
)
_LEAD_ONLY = re.compile(r"[(（](?P<lead>[^()（），,。；;:：]{2,20}?)牵头(?:推进|负责|落实)?[)）]")
_COOPERATING = re.compile(r"(?:配合单位|配合部门|参与单位|协同单位)[:：]")


def _departments(body: str) -> list[str]:
    # Split on separators outside parentheses: 各县（市、区）人民政府 stays one name.
    parts, depth, current = [], 0, ""
    for ch in body:
        depth += ch in "(（"
        depth -= ch in ")）" and depth > 0
        if depth == 0 and ch in "，,、;；":
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [part for part in parts if part]


def extract_tasks(text: str) -> list[ExtractedTask]:
    """Tasks with their responsible departments: （责任单位：…）, (责任部门：…；配合部门：…) and
    (X牵头推进), each attached to the deepest clause it sits in; the title is that clause's
    heading."""
    clauses = segment(text)
    norm = normalise(text)
    tasks: dict[str, ExtractedTask] = {}
    found: list[tuple[int, list[str], list[str]]] = []
    for match in _RESPONSIBILITY.finditer(norm.text):
        body = match.group("body")
        parts = _COOPERATING.split(body, maxsplit=1)
        lead_part = re.sub(r"^[^:：]*[:：]", "", parts[0]).strip("；;")
        cooperating = _departments(parts[1]) if len(parts) > 1 else []
        found.append((match.start(), _departments(lead_part), cooperating))
    for match in _LEAD_ONLY.finditer(norm.text):
        found.append((match.start(), [match.group("lead")], []))
    starts = [clause.start for clause in clauses]
    for position, lead, cooperating in sorted(found):
        clause = clause_at(clauses, norm.origin[position], starts)
        if clause is None:
            continue
        heading = clause.heading
        title = CLAUSE_MARKER.sub("", heading).strip()
        title = re.sub(r"[(（][^)）]*[)）]$", "", title).strip()
        existing = tasks.get(clause.path)
        if existing is not None:  # (X牵头推进) and (责任部门：X；配合部门：Y) on one clause
            existing.lead += [name for name in lead if name not in existing.lead]
            existing.cooperating += [name for name in cooperating
                                     if name not in existing.cooperating]
            continue
        span_end = clause.start + len(heading)
        tasks[clause.path] = ExtractedTask(
            title=title, clause_path=clause.path, span=text[clause.start:span_end], lead=lead,
            cooperating=cooperating, start=clause.start, end=span_end,
        )
    return sorted(tasks.values(), key=lambda task: task.start)
