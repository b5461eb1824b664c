from django import forms

from yanglao.benefits.models import Benefit
from yanglao.regions.widgets import RegionPickerWidget


class EligibilityFilterForm(forms.Form):
    region = forms.CharField(label="区划", required=False)
    benefit = forms.ChoiceField(label="待遇", required=False, choices=[("", "全部待遇"), *Benefit.choices])

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)
