from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from chainwatch.reports.render import FORMATS

FORMAT_CHOICES = [("pdf", "PDF"), ("xlsx", "Excel (XLSX)"), ("docx", "Word (DOCX)"), ("html", "HTML")]
KIND_CHOICES = [("dispatch", _("调度报告")), ("meeting", _("调度会议材料"))]
assert {code for code, _label in FORMAT_CHOICES} == set(FORMATS)


class ReportForm(forms.Form):
    region = forms.CharField(label=_("地区代码"), max_length=16)
    cluster = forms.CharField(label=_("产业集群代码（可选）"), max_length=40, required=False)
    as_of = forms.DateField(label=_("截至日期"), initial=date.today)
    format = forms.ChoiceField(label=_("格式"), choices=FORMAT_CHOICES, initial="pdf")
    kind = forms.ChoiceField(label=_("类型"), choices=KIND_CHOICES, initial="dispatch")
