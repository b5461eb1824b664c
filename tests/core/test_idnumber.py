from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yanglao.core.idnumber import IdNumberError, check_char, make, parse

regions = st.sampled_from(["150523", "150502", "150521", "110101"])
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31))
genders = st.sampled_from(["M", "F"])


@given(regions, births, st.integers(0, 999), genders)
def test_every_made_number_parses_back_to_its_parts(region, born, seq, gender):
    value = make(region, born, seq, gender)
    parsed = parse(value)
    assert (parsed.value, parsed.region_code, parsed.birth_date, parsed.gender) == (
        value,
        region,
        born,
        gender,
    )


@given(regions, births, st.integers(0, 999), genders, st.integers(0, 16), st.integers(1, 9))
def test_changing_any_one_digit_breaks_the_number(region, born, seq, gender, position, delta):
    value = make(region, born, seq, gender)
    digit = (int(value[position]) + delta) % 10
    mutated = value[:position] + str(digit) + value[position + 1 :]
    with pytest.raises(IdNumberError):
        parse(mutated)


@given(regions, births, st.integers(0, 999), genders)
def test_check_character_is_mod_11_2(region, born, seq, gender):
    value = make(region, born, seq, gender)
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(value[:17]))
    assert value[17] == "10X98765432"[total % 11] == check_char(value[:17])


def test_known_public_example():
    # The specimen number from GB 11643-1999's annex.
    parsed = parse("11010519491231002X")
    assert parsed.birth_date == date(1949, 12, 31) and parsed.gender == "F"


def test_lower_case_x_and_spaces_are_normalised():
    assert parse(" 11010519491231002x ").value == "11010519491231002X"


def test_fifteen_digit_numbers_are_converted():
    parsed = parse("150523490101123")
    assert parsed.converted_from_15
    assert parsed.value.startswith("15052319490101123") and len(parsed.value) == 18
    assert parsed.birth_date == date(1949, 1, 1) and parsed.gender == "M"


@pytest.mark.parametrize(
    "value, code",
    [
        ("", "id_required"),
        ("1505231949010112", "id_length"),
        ("15052319490101123A", "id_format"),
        ("15052A490101123", "id_format"),
        ("150523194902301234", "id_birth_date_invalid"),
        ("150523209901011234", "id_birth_date_invalid"),
        ("000000194901011234", "id_region_invalid"),
        ("150523194901011230", "id_checksum"),
    ],
)
def test_each_error_has_a_stable_code_and_a_chinese_message(value, code):
    with pytest.raises(IdNumberError) as error:
        parse(value)
    assert error.value.code == code
    assert "身份证号" in error.value.message or "出生日期" in error.value.message
