import pytest
from hypothesis import given
from hypothesis import strategies as st

from yanglao.core.creditcode import ALPHABET, CreditCodeError, make_credit_code, parse_credit_code

bodies = st.builds(
    lambda head, region, org: head + region + org,
    st.text(alphabet="159N", min_size=1, max_size=1).map(lambda c: c + "1"),
    st.sampled_from(["150523", "150502", "110101"]),
    st.text(alphabet=ALPHABET, min_size=9, max_size=9),
)


def test_known_public_codes():
    # Codes printed on public business licences.
    assert parse_credit_code("91350100M000100Y43") == "91350100M000100Y43"
    assert parse_credit_code("91110000802100433B") == "91110000802100433B"


@given(bodies)
def test_made_codes_parse(body):
    assert parse_credit_code(make_credit_code(body)) == make_credit_code(body)


@given(bodies, st.integers(0, 16), st.sampled_from(ALPHABET))
def test_a_changed_character_is_caught(body, position, replacement):
    code = make_credit_code(body)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        with pytest.raises(CreditCodeError):
            parse_credit_code(changed)


@pytest.mark.parametrize(
    "raw, code",
    [
        ("", "credit_code_required"),
        ("9135010", "credit_code_length"),
        ("91350100M000100I43", "credit_code_format"),
        ("91350100M000100Y44", "credit_code_checksum"),
    ],
)
def test_errors_have_codes(raw, code):
    with pytest.raises(CreditCodeError) as error:
        parse_credit_code(raw)
    assert error.value.code == code
