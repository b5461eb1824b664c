import base64

import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given
from hypothesis import strategies as st

from yanglao.core import crypto


def test_round_trip_and_no_clear_text_in_the_stored_value():
    stored = crypto.encrypt("150523199001011234", context="elder.id_number")
    assert "150523199001011234" not in stored
    assert crypto.key_id_of(stored) == "test1"
    assert crypto.decrypt(stored, context="elder.id_number") == "150523199001011234"


@given(st.text(max_size=200))
def test_round_trip_any_text(value):
    assert crypto.decrypt(crypto.encrypt(value, context="x"), context="x") == value


def test_same_value_encrypts_differently_each_time():
    assert crypto.encrypt("13812345678", context="p") != crypto.encrypt("13812345678", context="p")


def test_a_value_moved_to_another_column_does_not_decrypt():
    stored = crypto.encrypt("13812345678", context="elder.phone")
    with pytest.raises(InvalidTag):
        crypto.decrypt(stored, context="contact.phone")


def test_old_keys_still_decrypt_after_rotation(settings):
    old = crypto.encrypt("secret", context="c")
    new_key = base64.b64encode(b"n" * 32).decode()
    settings.YANGLAO_FIELD_KEY = f"new1:{new_key},{settings.YANGLAO_FIELD_KEY}"
    assert crypto.decrypt(old, context="c") == "secret"
    assert crypto.key_id_of(crypto.encrypt("secret", context="c")) == "new1"


def test_a_value_whose_key_is_gone_says_which_key(settings):
    stored = crypto.encrypt("secret", context="c")
    settings.YANGLAO_FIELD_KEY = "other:" + base64.b64encode(b"o" * 32).decode()
    with pytest.raises(crypto.FieldKeyError, match="test1"):
        crypto.decrypt(stored, context="c")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("", "no key"),
        ("nokid", "kid:base64"),
        ("a:not-base64!", "base64"),
        ("a:" + base64.b64encode(b"short").decode(), "32 bytes"),
        ("a:" + base64.b64encode(b"k" * 32).decode() + ",a:" + base64.b64encode(b"j" * 32).decode(), "twice"),
    ],
)
def test_bad_key_specifications_are_refused_clearly(spec, message):
    with pytest.raises(crypto.FieldKeyError, match=message):
        crypto.parse_field_keys(spec)


def test_blind_index_is_deterministic_keyed_and_context_bound(settings):
    a = crypto.blind_index("150523199001011234", context="id")
    assert a == crypto.blind_index("150523199001011234", context="id")
    assert a != crypto.blind_index("150523199001011234", context="phone")
    settings.YANGLAO_INDEX_KEY = base64.b64encode(b"z" * 32).decode()
    assert a != crypto.blind_index("150523199001011234", context="id")
