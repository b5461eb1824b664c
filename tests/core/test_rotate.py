import base64

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import make_elder
from yanglao.core import crypto
from yanglao.elders.models import Elder, ElderContact
from yanglao.elders.privacy import open_id_number, open_phone

NEW_KEY = "new1:" + base64.b64encode(b"N" * 32).decode()


@pytest.mark.django_db
def test_rotation_reencrypts_every_field_and_the_old_key_can_go(settings, capsys):
    old_spec = settings.YANGLAO_FIELD_KEY
    elder = make_elder(phone="13811112222", contact_name="李明", contact_phone="13999990000")
    clear_id = open_id_number(elder.id_number_enc)
    settings.YANGLAO_FIELD_KEY = f"{NEW_KEY},{old_spec}"
    call_command("rotate_field_key", "--dry-run")
    assert crypto.key_id_of(Elder.objects.get().id_number_enc) == "test1"
    call_command("rotate_field_key")
    assert "已重新加密 3 个值" in capsys.readouterr().out  # the ID, a phone and a contact phone
    settings.YANGLAO_FIELD_KEY = NEW_KEY  # the old key removed
    elder = Elder.objects.get()
    assert crypto.key_id_of(elder.id_number_enc) == "new1"
    assert open_id_number(elder.id_number_enc) == clear_id
    assert open_phone(elder.phone_enc) == "13811112222"
    assert open_phone(ElderContact.objects.get().phone_enc) == "13999990000"
    assert elder.phone_alt_enc == ""  # empty values stay empty
    call_command("rotate_field_key")
    assert "重新加密 0 个值" in capsys.readouterr().out


@pytest.mark.django_db
def test_rotation_without_the_old_key_stops_with_a_clear_error(settings):
    make_elder()
    settings.YANGLAO_FIELD_KEY = NEW_KEY
    with pytest.raises(CommandError, match="test1"):
        call_command("rotate_field_key")
