from django import forms
from django.utils.translation import gettext_lazy as _

from chainwatch.core.periods import PeriodError, parse_period


class PeriodField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        try:
            return parse_period(value).label
        except PeriodError as exc:
            raise forms.ValidationError(str(exc)) from exc


class ReporterPeriodForm(forms.Form):
    """Which reporter and period a template or an upload is for."""

    reporter = forms.ChoiceField(label=_("填报单位"))
    period = PeriodField(label=_("期间"), max_length=10, help_text=_("如 2024、2024Q3 或 2024-06"))

    def __init__(self, *args, reporters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporter"].choices = [(r.code, f"{r.name}（{r.code}）") for r in reporters]


class UploadForm(ReporterPeriodForm):
    file = forms.FileField(label=_("文件"), help_text=_("XLSX、CSV 或 JSON，不超过 50 MB"))


class ReturnForm(forms.Form):
    comment = forms.CharField(label=_("退回意见"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
