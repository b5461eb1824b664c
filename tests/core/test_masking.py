import logging

from yanglao.core.logging import RedactPersonalData, redact
from yanglao.core.masking import mask_id_number, mask_phone, mask_text


def test_id_number_keeps_region_and_last_four():
    assert mask_id_number("150523199001011234") == "150523********1234"
    assert mask_id_number("15052319900101123X") == "150523********123X"


def test_phone_masks():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0475-8835970") == "0475-***5970"
    assert mask_phone("") == ""


def test_text_mask_keeps_first_character_only():
    assert mask_text("开鲁镇幸福街 12 号").startswith("开*")
    assert "幸福街" not in mask_text("开鲁镇幸福街 12 号")


def test_redact_removes_id_numbers_and_mobiles_from_log_text():
    text = redact("lookup 150523199001011234 and 13812345678 failed")
    assert "150523199001011234" not in text
    assert "13812345678" not in text
    assert "150523********1234" in text and "138****5678" in text


def test_log_filter_masks_messages_and_tracebacks(caplog):
    logger = logging.getLogger("yanglao.test.redact")
    logger.addFilter(RedactPersonalData())
    try:
        raise ValueError("bad id 150523199001011234")
    except ValueError:
        with caplog.at_level(logging.ERROR, logger="yanglao.test.redact"):
            logger.exception("while saving %s", "13812345678")
    record = caplog.records[-1]
    assert "13812345678" not in record.getMessage()
    assert "150523199001011234" not in (record.exc_text or "")
