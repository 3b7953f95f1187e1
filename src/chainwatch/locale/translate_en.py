"""Fill the English catalogue from the table below and compile it.

    cd src/chainwatch && django-admin makemessages -l en --no-obsolete --ignore "knowledge/*"
    python locale/translate_en.py        # fills empty msgstr from EN, then runs compilemessages

Strings not in the table stay empty and fall back to Chinese. Needs GNU gettext (msgfmt)."""

import re
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
PO = HERE / "en" / "LC_MESSAGES" / "django.po"

EN = {
    "用户与角色": "Users and roles",
    "登录失败次数过多，已暂时锁定，请在 %(minutes)s 分钟后再试。": "Too many failed sign-ins: locked for now, try again in %(minutes)s minutes.",
    "系统管理员": "Administrator", "省级用户": "Province user", "盟市级用户": "League/city user",
    "旗县级用户": "Banner/county user", "部门用户": "Department user", "企业用户": "Enterprise user",
    "领导（只读）": "Leader (read-only)", "角色": "Role", "所属地区": "Region", "所属部门": "Department",
    "所属企业": "Enterprise", "用户角色": "User role", "用户名": "User name", "来源地址": "Address",
    "时间": "Time", "登录失败记录": "Failed sign-in", "密码已修改。": "Password changed.",
    "产业集群": "Industrial clusters", "代码": "Code", "类别": "Kind", "名称": "Name", "英文名称": "English name",
    "地区": "Region", "政策文件": "Policy documents", "产业链模板": "Chain templates", "集群/产业": "Cluster/industry",
    "来源": "Source", "顺序": "Order", "产业链环节": "Chain node", "企业": "Enterprises", "说明": "Note",
    "待审核": "Proposed", "已驳回": "Rejected", "状态": "Status", "项目": "Projects", "单位": "Unit",
    "主体": "Subject", "产业链全景图": "Chain panorama", "数据管理": "Data admin", "知识包": "Knowledge pack",
    "示例数据": "Sample data", "合成数据": "Synthetic data", "用户录入": "User entry", "创建时间": "Created",
    "更新时间": "Updated", "数据来源类别": "Origin", "新增": "Create", "修改": "Update", "删除": "Delete",
    "导入": "Import", "审核通过": "Approve", "退回": "Return", "提交": "Submit", "操作人": "Actor",
    "操作人名称": "Actor name", "操作": "Action", "对象类型": "Object type", "对象ID": "Object ID",
    "对象": "Object", "修改前": "Before", "修改后": "After", "审计记录": "Audit entries", "国家": "Country",
    "省级": "Province", "地级（盟市）": "Prefecture (league/city)", "县级（旗县区）": "County (banner/district)",
    "开发区/管理区": "Development zone", "园区": "Park", "区划代码": "Division code", "中文名称": "Chinese name",
    "层级": "Level", "上级": "Parent", "路径": "Path", "深度": "Depth", "生效日期": "Valid from",
    "失效日期": "Valid to", "行政区/园区": "Regions and parks", "人民政府/行署": "Government",
    "工业和信息化": "Industry and IT", "发展改革": "Development and reform", "能源": "Energy", "农牧": "Agriculture",
    "文化旅游": "Culture and tourism", "商务": "Commerce", "科技": "Science and technology",
    "生态环境": "Ecology and environment", "自然资源": "Natural resources", "金融": "Finance", "其他": "Other",
    "部门": "Department", "已采纳": "Accepted", "标题": "Title", "发布日期": "Issued", "基期年": "Base year",
    "条款": "Clauses", "键": "Key", "原文": "Text span", "审核": "Review", "审核意见": "Review comment",
    "数值": "Value", "原文起始": "Span start", "原文结束": "Span end", "指标": "Indicator", "目标值": "Target value",
    "目标": "Targets", "比较": "Comparator", "全部": "All", "筛选": "Filter", "责任部门": "Responsible department",
    "评价日期": "As of", "期间": "Period", "填报人": "Reporter", "三色预警": "Traffic lights", "备注": "Note",
    "红": "Red", "黄": "Yellow", "绿": "Green", "灰": "Grey", "项目看板": "Project board", "依据": "Basis",
    "时限": "Due", "调度报告": "Dispatch reports", "目标年": "Target year", "最新值": "Latest",
    "绿灯": "Green", "黄灯": "Yellow", "红灯": "Red", "类型": "Type", "简体中文": "简体中文", "English": "English",
    "不低于（≥）": "at least (≥)", "超过（>）": "more than (>)", "左右（≈）": "about (≈)",
    "不超过（≤）": "at most (≤)", "达到（=）": "reach (=)", "存量": "Stock", "流量": "Flow", "比率": "Rate",
    "计数": "Count", "求和": "Sum", "平均": "Mean", "加权平均": "Weighted mean", "不汇总": "Not aggregated",
    "越大越好": "Higher is better", "越小越好": "Lower is better", "中性": "Neutral", "年报": "Annual",
    "季报": "Quarterly", "月报": "Monthly", "汇总方式": "Aggregation", "权重指标": "Weight indicator",
    "方向": "Direction", "报送周期": "Reporting cycle", "统计口径": "Statistical definition", "线性": "Linear",
    "复合增长": "Compound growth", "指标原文": "Indicator (as written)", "目标值上限": "Target upper bound",
    "“左右”容差": "Tolerance of “about”", "变化方向": "Change", "下降": "Decrease", "提高": "Increase",
    "比较基年": "Change base year", "变化幅度%": "Change %", "计数门槛": "Count threshold",
    "门槛单位": "Threshold unit", "口径限定": "Qualifier", "基期值": "Baseline value",
    "责任部门（原文）": "Responsible department (as written)", "分解自": "Allocated from", "重述": "Restates",
    "草稿": "Draft", "已提交": "Submitted", "已退回": "Returned", "已审核": "Approved", "年": "Year",
    "季": "Quarter", "月": "Month", "序列": "Series", "期间类型": "Period type", "期间开始": "Period start",
    "期间结束": "Period end", "填报单位/来源方": "Reporting unit / source", "报表": "Reporting form",
    "版本": "Version", "当前版本": "Current version", "观测值": "Observations", "填报地区": "Reporting region",
    "填报部门": "Reporting department", "截止（期末后天数）": "Deadline (days after period end)",
    "期末后锁定天数": "Lock (days after period end)", "空表示不自动锁定": "Empty: never locked automatically",
    "模板版本": "Template version", "启用": "Active", "填报说明": "Instructions", "报表指标": "Form item",
    "首次提交时间": "First submitted", "提交时间": "Submitted at", "提交人": "Submitted by",
    "审核时间": "Reviewed at", "审核人": "Reviewed by", "报表填报": "Submissions", "警告": "Warning",
    "错误": "Error", "数据填报": "Data entry", "截止": "Deadline", "驾驶舱": "Cockpit", "全国": "China",
    "无法评价": "Not rated", "下级地区": "Regions below", "省级地区": "Provinces",
    "下级地区三色预警": "Traffic lights of the regions below", "无目标的下级地区": "Regions below without targets",
    "滞后目标": "Lagging targets", "时序进度差": "Pace gap", "没有滞后目标。": "No lagging targets.",
    "红色预警项目": "Red projects", "没有红色预警项目。": "No red projects.", "逾期任务": "Overdue tasks",
    "没有逾期任务。": "No overdue tasks.", "政策文件与任务清单": "Policy documents and task lists",
    "逾期报表": "Overdue reports", "没有逾期报表。": "No overdue reports.",
    "数据填报与审核": "Data entry and approval", "修改历史": "History", "修改内容": "Changes",
    "前后对比": "Before and after", "尚无修改记录。": "No changes recorded yet.", "导出": "Export",
    "产业链集群监测调度平台": "Industrial chain and cluster monitoring and dispatch", "主导航": "Main navigation",
    "首页": "Home", "产业链全景": "Chain panorama", "接口": "API", "修改密码": "Change password",
    "退出": "Sign out", "登录": "Sign in",
    "每个数字都标明出处：政策条款、填报单位或公开来源。": "Every number shows where it comes from: a policy clause, a reporting unit or a public source.",
    "当前数据库包含示例数据（非真实数据），仅用于演示。": "This database holds sample data (not real), for demonstration only.",
    "进入驾驶舱": "Open the cockpit", "登录后查看驾驶舱": "Sign in to see the cockpit",
    "尚未载入知识包：运行 chainwatch load-pack。": "The knowledge pack is not loaded: run chainwatch load-pack.",
    "密码": "Password", "保存": "Save", "进度": "Progress", "政策出处": "Policy source", "当前应达": "Expected now",
    "完成比例 / 时间进度": "Achieved / elapsed", "预测目标年": "Projected for the target year",
    "实际值、目标路径与预测": "Actuals, trajectory and projection",
    "该进度使用了示例数据（非真实数据）。": "This progress uses sample data (not real).",
    "该目标没有关联政策文件。": "This target has no policy document.", "示例": "sample",
    "尚无观测值。": "No observations yet.",
    "数据过期（超过报送周期未更新）的目标：%(n)s 个。": "Targets with stale data (not updated within their reporting cycle): %(n)s.", "本级": "own level", "层级导航": "Breadcrumbs", "层级 ": "Level",
    "把产业政策变成可跟踪的数据：目标、任务、产业链、企业与项目，以及它们的实际进展。":
        "Industrial policy as data you can track: targets, tasks, chains, enterprises and projects, and how they actually progress.",
    "行政区/园区 ": "Regions and parks", "任务": "Task", "任务清单": "Task list", "企业别名": "Enterprise alias",
    "产能": "Capacity", "调度问题": "Dispatch issue", "问题清单": "Issue list", "调度规则": "Dispatch rules",
    "项目进展": "Project updates", "条款路径": "Clause path", "文件代码": "Document code", "发文机关": "Issuer",
    "文号": "Document number", "适用地区": "Region", "全文": "Full text", "指标 ": "Indicator",
}
PLURAL = {
    "%(counter)s 个目标的数据已过期（超过报送周期未更新）。": (
        "%(counter)s target has stale data (not updated within its reporting cycle).",
        "%(counter)s targets have stale data (not updated within their reporting cycle).",
    ),
}


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def fill(po: str) -> str:
    po = po.replace('#, fuzzy\nmsgid ""\nmsgstr ""', 'msgid ""\nmsgstr ""', 1)
    po = po.replace('"Language: \\n"', '"Language: en\\n"', 1)
    blocks = po.split("\n\n")
    for index, block in enumerate(blocks):
        match = re.search(r'^msgid "(.*)"$', block, re.M)
        if not match or not match.group(1):
            continue
        msgid = match.group(1).replace('\\"', '"')
        if "msgid_plural" in block and msgid in PLURAL:
            one, many = PLURAL[msgid]
            block = re.sub(r'^msgstr\[0\] ".*"$', f'msgstr[0] "{_quote(one)}"', block, flags=re.M)
            block = re.sub(r'^msgstr\[1\] ".*"$', f'msgstr[1] "{_quote(many)}"', block, flags=re.M)
        elif msgid in EN and re.search(r'^msgstr ""$', block, re.M) and "\nmsgstr \"\"\n\"" not in block + "\n":
            block = re.sub(r'^msgstr ""$', f'msgstr "{_quote(EN[msgid])}"', block, flags=re.M)
        if "#, fuzzy" in block:
            # gettext's fuzzy guesses (本级 → 省级's "Province") are never taken: the table or nothing.
            block = "\n".join(line for line in block.splitlines() if not line.startswith("#|"))
            block = block.replace("#, fuzzy\n", "").replace(", fuzzy", "")
            if msgid in EN:
                block = re.sub(r'^msgstr ".*"$', f'msgstr "{_quote(EN[msgid])}"', block, flags=re.M)
            else:
                block = re.sub(r'^msgstr ".*"$', 'msgstr ""', block, flags=re.M)
        blocks[index] = block
    return "\n\n".join(blocks)


if __name__ == "__main__":
    PO.write_text(fill(PO.read_text(encoding="utf-8")), encoding="utf-8")
    subprocess.run(["msgfmt", "--check-format", "-o", str(PO.with_suffix(".mo")), str(PO)], check=True)
    print(f"compiled {PO.with_suffix('.mo')}")
