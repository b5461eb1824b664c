from django.db import models


class CareErrorCode(models.TextChoices):
    """Stable error codes of the care domain (the API's ``code``; forms show the Chinese message)."""

    REGION_OUT_OF_SCOPE = "region_out_of_scope", "区划超出您的管辖范围"
    REGION_LEVEL = "region_level", "区划层级不符合要求"
    PRICE_OVERLAP = "price_overlap", "与已有价格的有效期重叠"
    PRICE_DATES = "price_dates", "失效日期早于生效日期"
    PRICE_REGION_OUTSIDE_PROVIDER = "price_region_outside_provider", "合同价的适用区划须在服务商签约旗县内"
    PRODUCT_NOT_OFFERED = "product_not_offered", "该服务产品不适用于此区划"
    PROVIDER_EXISTS = "provider_exists", "该运营主体已与此旗县签约"
    CONTRACT_NUMBER_TAKEN = "contract_number_taken", "合同编号已被使用"
    CONTRACT_DATES = "contract_dates", "合同截止早于合同起始"
    OPERATOR_UNKNOWN = "operator_unknown", "运营主体不存在"
    COVERAGE_OUTSIDE_COUNTY = "coverage_outside_county", "覆盖区域须在签约旗县内"
    NOT_YOUR_PROVIDER = "not_your_provider", "只能维护本服务商的护理员"
    PHONE_TAKEN = "phone_taken", "该手机号已登记为其他护理员"
    ID_TAKEN = "id_taken", "该身份证号已登记为其他护理员"
    CERTIFICATE_DATES = "certificate_dates", "有效期早于发证日期"
    CERTIFICATE_LEVEL_REQUIRED = "certificate_level_required", "养老护理员证书须填写等级"
    USER_NOT_CAREGIVER = "user_not_caregiver", "账号不是护理员角色"
    USER_LINKED = "user_linked", "该账号已关联其他护理员"
    UNKNOWN_SKILL = "unknown_skill", "没有这个服务产品"
    PRODUCT_EXISTS = "product_exists", "该区划已有同名的服务产品"
    CERTIFICATE_EXISTS = "certificate_exists", "该护理员已登记此编号的证书"
    COUNTY_LOCKED = "county_locked", "已有护理员或覆盖范围的服务商不能改签约旗县"
