"""Console forms. Fields are read as text and checked by ``care.validation`` (the API uses the same
parsers), so a form and the API give the same Chinese message for the same mistake."""

from django import forms
from django.core.exceptions import ValidationError

from yanglao.care import selectors, validation
from yanglao.care.models import (
    CaregiverStatus,
    CertificateKind,
    CertificateLevel,
    ProviderStatus,
    ServiceProduct,
    Unit,
)
from yanglao.elders.models import Gender
from yanglao.regions.models import Region
from yanglao.regions.widgets import RegionPickerWidget


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ParsedForm(forms.Form):
    """Runs ``parse(raw)`` in ``clean``; its field errors land beside the fields (else at the top)."""

    required_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.required_fields:
            if name in self.fields:
                self.fields[name].show_required = True
        self.parsed = None

    def raw(self) -> dict:
        return {k: ("" if v is None else v) for k, v in self.cleaned_data.items()}

    def parse(self, raw: dict):
        raise NotImplementedError

    def clean(self):
        if self.errors:
            return self.cleaned_data
        try:
            self.parsed = self.parse(self.raw())
        except ValidationError as exc:
            for name, problems in exc.error_dict.items():
                self.add_error(name if name in self.fields else None, problems)
        return self.cleaned_data


# --- catalogue -------------------------------------------------------------------------------------


class CatalogueRegionForm(forms.Form):
    region = forms.CharField(label="查看区划", required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)


class PriceForm(ParsedForm):
    region = forms.CharField(label="适用区划", required=False)
    price = forms.CharField(label="单价（元）", max_length=14, required=False)
    valid_from = forms.CharField(label="生效日期", required=False, widget=_date_input())
    valid_to = forms.CharField(label="失效日期（不填为长期）", required=False, widget=_date_input())
    note = forms.CharField(label="说明（文件依据）", max_length=200, required=False)
    required_fields = ("region", "price", "valid_from")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)

    def parse(self, raw):
        return validation.parse_price(raw, scope=self.actor.scope)


class ProviderPriceForm(PriceForm):
    product = forms.ChoiceField(label="服务产品", required=False)
    field_order = ["product", "region", "price", "valid_from", "valid_to", "note"]
    required_fields = ("product", "region", "price", "valid_from")

    def __init__(self, *args, actor, provider, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.provider = provider
        products = ServiceProduct.objects.filter(
            selectors.products_offered_q(provider.county.prefix), is_active=True
        )
        self.fields["product"].choices = [("", "—请选择—")] + [
            (str(p.pk), f"{p.code} {p.name}") for p in products.order_by("code")
        ]
        self.product = None

    def parse(self, raw):
        problems = validation.Problems()
        product_id = str(raw.get("product") or "")
        self.product = (
            ServiceProduct.objects.filter(pk=int(product_id)).first() if product_id.isdigit() else None
        )
        if self.product is None:
            problems.add("product", "请选择服务产品。", "required")
        try:
            parsed = super().parse(raw)
        except ValidationError as exc:
            for name, errors in exc.error_dict.items():
                for error in errors:
                    problems.add(name, error.message, error.code)
        problems.raise_if_any()
        return parsed


class ProductForm(ParsedForm):
    item = forms.ChoiceField(label="所属服务项目", required=False)
    region = forms.CharField(label="适用区划（本地个性服务）", required=False)
    name = forms.CharField(label="服务产品名称", max_length=50, required=False)
    unit = forms.ChoiceField(label="计价单位", choices=Unit.choices, initial=Unit.VISIT, required=False)
    standard_minutes = forms.CharField(label="标准时长（分钟）", max_length=5, required=False)
    needs_certificate = forms.BooleanField(label="须持养老护理员证书", required=False)
    min_certificate_level = forms.ChoiceField(
        label="最低证书等级", choices=[("", "不限"), *CertificateLevel.choices], required=False
    )
    description = forms.CharField(label="服务内容", max_length=300, required=False)
    required_fields = ("item", "region", "name", "unit")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["item"].choices = [("", "—请选择—")] + [
            (i.code, f"{i.code} {i.category.name}·{i.name}") for i in selectors.item_list()
        ]
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)

    def parse(self, raw):
        return validation.parse_product(raw, scope=self.actor.scope)


# --- providers -------------------------------------------------------------------------------------


def county_choices(actor) -> list[tuple[str, str]]:
    """The counties inside the actor's scope (or its own county, for a user below one)."""
    scope = actor.scope
    if scope.is_empty:
        return []
    counties = scope.apply(Region.objects.filter(level=Region.Level.COUNTY), "code")
    if len(scope.prefix) > 6:
        counties = Region.objects.filter(level=Region.Level.COUNTY, prefix=scope.prefix[:6])
    return [(r.code, r.name) for r in counties.order_by("code")]


class ProviderFilterForm(forms.Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": "名称、合同编号或统一社会信用代码"}),
    )
    county = forms.ChoiceField(label="旗县", required=False)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), *ProviderStatus.choices])

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = [("", "全部"), *county_choices(actor)]


class ProviderForm(ParsedForm):
    operator = forms.ChoiceField(label="运营主体", required=False)
    county = forms.ChoiceField(label="签约旗县", required=False)
    contract_number = forms.CharField(label="合同编号", max_length=50, required=False)
    contract_start = forms.CharField(label="合同起始", required=False, widget=_date_input())
    contract_end = forms.CharField(label="合同截止", required=False, widget=_date_input())
    status = forms.ChoiceField(label="状态", choices=ProviderStatus.choices, required=False)
    contact_name = forms.CharField(label="联系人", max_length=50, required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=30, required=False)
    note = forms.CharField(label="备注", max_length=200, required=False)
    required_fields = ("operator", "county", "contract_number", "contract_start", "contract_end")

    def __init__(self, *args, actor, provider=None, **kwargs):
        from yanglao.facilities.selectors import operator_list

        super().__init__(*args, **kwargs)
        self.actor = actor
        self.provider = provider
        if provider is None:
            operators = operator_list(actor=actor) if actor.can("facilities.view") else []
            self.fields["operator"].choices = [("", "—请选择—")] + [
                (str(o.pk), f"{o.name}（{o.credit_code}）") for o in operators
            ]
        else:
            self.fields.pop("operator")
        self.fields["county"].choices = [("", "—请选择—"), *county_choices(actor)]

    def parse(self, raw):
        return validation.parse_provider(raw, scope=self.actor.scope, editing=self.provider is not None)


def provider_initial(provider) -> dict:
    return {
        "county": provider.county_id,
        "contract_number": provider.contract_number,
        "contract_start": f"{provider.contract_start:%Y-%m-%d}",
        "contract_end": f"{provider.contract_end:%Y-%m-%d}",
        "status": provider.status,
        "contact_name": provider.contact_name,
        "contact_phone": provider.contact_phone,
        "note": provider.note,
    }


class CoverageForm(forms.Form):
    items = forms.MultipleChoiceField(
        label="服务项目（8 类 20 项）", required=False, widget=forms.CheckboxSelectMultiple
    )
    regions = forms.MultipleChoiceField(label="覆盖区域", required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(i.code, f"{i.code} {i.name}") for i in selectors.item_list()]
        townships = Region.objects.filter(parent=provider.county).order_by("code")
        self.fields["regions"].choices = [(provider.county_id, f"全{provider.county.name}")] + [
            (r.code, r.name) for r in townships
        ]
        self.fields["items"].error_messages["invalid_choice"] = "没有这个服务项目：%(value)s。"
        self.fields["regions"].error_messages["invalid_choice"] = (
            "覆盖区域须为签约旗县或其苏木乡镇：%(value)s。"
        )


# --- caregivers ------------------------------------------------------------------------------------


class CaregiverFilterForm(forms.Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "姓名或手机号"}),
    )
    provider = forms.ChoiceField(label="服务商", required=False)
    certificate = forms.ChoiceField(
        label="证书", required=False, choices=[("", "全部"), *selectors.CERT_FILTERS.items()]
    )
    skill = forms.ChoiceField(label="技能", required=False)
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[(CaregiverStatus.ACTIVE, "在岗"), (CaregiverStatus.LEFT, "离职"), ("all", "全部")],
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "全部")] + [
            (str(p.pk), p.operator.name) for p in selectors.provider_choices(actor=actor)
        ]
        self.fields["skill"].choices = [("", "全部")] + [
            (p.code, f"{p.code} {p.name}") for p in selectors.product_list(actor=actor).order_by("code")
        ]


class CaregiverForm(ParsedForm):
    provider = forms.ChoiceField(label="所属服务商", required=False)
    name = forms.CharField(label="姓名", max_length=50, required=False)
    gender = forms.ChoiceField(label="性别", choices=[("", "—请选择—"), *Gender.choices], required=False)
    phone = forms.CharField(label="手机号", max_length=30, required=False)
    id_number = forms.CharField(label="身份证号（可不填）", max_length=24, required=False)
    home_region = forms.CharField(label="居住地（嘎查村/社区）", required=False)
    longitude = forms.CharField(label="住址经度", max_length=20, required=False)
    latitude = forms.CharField(label="住址纬度", max_length=20, required=False)
    skills = forms.MultipleChoiceField(
        label="技能（可提供的服务产品）", required=False, widget=forms.CheckboxSelectMultiple
    )
    status = forms.ChoiceField(label="状态", choices=CaregiverStatus.choices, required=False)
    joined_on = forms.CharField(label="入职日期", required=False, widget=_date_input())
    left_on = forms.CharField(label="离职日期", required=False, widget=_date_input())
    required_fields = ("provider", "name", "gender", "phone", "home_region")

    def __init__(self, *args, actor, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.editing = editing
        if editing:
            self.fields["phone"].show_required = False
            self.fields["phone"].help_text = "已登记，显示为脱敏形式；不修改请留空。"
            self.fields["id_number"].help_text = "不修改请留空。"
        providers = list(selectors.provider_choices(actor=actor))
        self.fields["provider"].choices = [("", "—请选择—")] + [
            (str(p.pk), f"{p.operator.name}（{p.county.name}）") for p in providers
        ]
        if len(providers) == 1 and not editing:  # a provider's staff: its own provider
            self.fields["provider"].initial = str(providers[0].pk)
        self.fields["home_region"].widget = RegionPickerWidget(scope=selectors.county_scope(actor.scope))
        self.fields["skills"].choices = [
            (p.code, f"{p.name}{'（须持证）' if p.needs_certificate else ''}")
            for p in selectors.product_list(actor=actor).order_by("code")
        ]
        self.fields["skills"].error_messages["invalid_choice"] = "没有这个服务产品：%(value)s。"

    def parse(self, raw):
        return validation.parse_caregiver(raw, scope=None, editing=self.editing)


def caregiver_initial(caregiver) -> dict:
    return {
        "provider": str(caregiver.provider_id),
        "name": caregiver.name,
        "gender": caregiver.gender,
        "home_region": caregiver.home_region_id,
        "longitude": "" if caregiver.longitude is None else str(caregiver.longitude),
        "latitude": "" if caregiver.latitude is None else str(caregiver.latitude),
        "skills": [p.code for p in caregiver.skills.all()],
        "status": caregiver.status,
        "joined_on": f"{caregiver.joined_on:%Y-%m-%d}" if caregiver.joined_on else "",
        "left_on": f"{caregiver.left_on:%Y-%m-%d}" if caregiver.left_on else "",
    }


class CertificateForm(ParsedForm):
    kind = forms.ChoiceField(label="证书类型", choices=CertificateKind.choices, required=False)
    level = forms.ChoiceField(label="等级", choices=[("", "—"), *CertificateLevel.choices], required=False)
    number = forms.CharField(label="证书编号", max_length=50, required=False)
    issued_on = forms.CharField(label="发证日期", required=False, widget=_date_input())
    expires_on = forms.CharField(label="有效期至", required=False, widget=_date_input())
    issuer = forms.CharField(label="发证机构", max_length=100, required=False)
    required_fields = ("kind", "number", "issued_on")

    def parse(self, raw):
        return validation.parse_certificate(raw)
