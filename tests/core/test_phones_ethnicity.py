import pytest

from yanglao.core.ethnicity import NATIONALITIES, ethnicity_code
from yanglao.core.phones import PhoneError, parse_phone


@pytest.mark.parametrize(
    "raw, normal",
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0475-8835970", "0475-8835970"),
        ("(0475)8835970", "0475-8835970"),
        ("04758835970", "0475-8835970"),
        ("010-12345678", "010-12345678"),
        ("0475-8835970转123", "0475-8835970-123"),
    ],
)
def test_valid_phones_are_normalised(raw, normal):
    assert parse_phone(raw) == normal


@pytest.mark.parametrize(
    "raw, code",
    [
        ("", "phone_required"),
        ("8835970", "phone_area_code"),
        ("1381234567", "phone_format"),
        ("12812345678", "phone_format"),
        ("010-1234567", "phone_format"),
        ("电话13812345678", "phone_format"),
    ],
)
def test_invalid_phones_say_why(raw, code):
    with pytest.raises(PhoneError) as error:
        parse_phone(raw)
    assert error.value.code == code and error.value.message


def test_56_nationalities_by_code_and_name():
    assert len(NATIONALITIES) == 56
    assert ethnicity_code("蒙古族") == ethnicity_code("蒙古") == ethnicity_code("2") == "02"
    assert ethnicity_code("火星族") is None
