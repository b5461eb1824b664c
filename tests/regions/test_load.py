import pytest
from django.core.management import CommandError, call_command

from yanglao.benefits.models import EntitlementRule
from yanglao.regions.models import Region
from yanglao.regions.services import RegionFileError, RegionsInUse, regions_load

HEADER = "code,name,level,parent_code\n"
SMALL = HEADER + (
    "150000,内蒙古自治区,province,\n"
    "150500,通辽市,city,150000\n"
    "150523,开鲁县,county,150500\n"
    "150523100,开鲁镇,township,150523\n"
    "150523100001,新华社区,village,150523100\n"
)


@pytest.fixture
def empty_regions(db):
    from yanglao.accounts.models import User

    User.objects.all().delete()
    EntitlementRule.objects.all().delete()  # installed with the regions; it points at the province
    Region.objects.filter(level="village").delete()
    Region.objects.filter(level="township").delete()
    Region.objects.filter(level="county").delete()
    Region.objects.filter(level="city").delete()
    Region.objects.all().delete()


def write(tmp_path, text, name="r.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_load_is_idempotent(empty_regions, tmp_path):
    path = write(tmp_path, SMALL)
    first = regions_load(path=path)
    assert (first.added, first.updated, first.deleted) == (5, 0, 0)
    second = regions_load(path=path)
    assert (second.added, second.updated, second.deleted, second.unchanged) == (0, 0, 0, 5)
    village = Region.objects.get(code="150523100001")
    assert village.prefix == "150523100001"
    assert village.full_name == "内蒙古自治区/通辽市/开鲁县/开鲁镇/新华社区"
    assert Region.objects.get(code="150500000000").prefix == "1505"


def test_renamed_rows_are_updated_in_place(empty_regions, tmp_path):
    regions_load(path=write(tmp_path, SMALL))
    result = regions_load(path=write(tmp_path, SMALL.replace("新华社区", "新华街社区")))
    assert result.updated == 1
    assert Region.objects.get(code="150523100001").full_name.endswith("/新华街社区")


def test_new_rows_are_added(empty_regions, tmp_path):
    regions_load(path=write(tmp_path, SMALL))
    result = regions_load(path=write(tmp_path, SMALL + "150523100002,兴隆社区,village,150523100\n"))
    assert result.added == 1


def test_unreferenced_missing_rows_are_deleted(empty_regions, tmp_path):
    regions_load(path=write(tmp_path, SMALL + "150523100002,兴隆社区,village,150523100\n"))
    result = regions_load(path=write(tmp_path, SMALL))
    assert result.deleted == 1
    assert not Region.objects.filter(code="150523100002").exists()


def test_deleting_a_region_that_data_points_at_is_refused_with_a_list(empty_regions, tmp_path):
    from tests.conftest import make_user

    regions_load(path=write(tmp_path, SMALL))
    make_user("someone", "caregiver", "150523100001")
    without_village = SMALL.replace("150523100001,新华社区,village,150523100\n", "")
    with pytest.raises(RegionsInUse) as refused:
        regions_load(path=write(tmp_path, without_village))
    assert refused.value.in_use == [("150523100001", "新华社区", "用户", 1)]
    assert "150523100001" in str(refused.value)
    assert Region.objects.filter(code="150523100001").exists()


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("code,name\n150000,内蒙古自治区\n", "缺少列"),
        (HEADER + "150000,内蒙古自治区,province,\n150500,通辽市,town,150000\n", "层级"),
        (HEADER + "150000,内蒙古自治区,province,\n150523,开鲁县,county,150599\n", "不在文件中"),
        (
            HEADER + "150000,内蒙古自治区,province,\n150500,通辽市,city,150000\n150500,通辽,city,150000\n",
            "重复",
        ),
        (HEADER + "150000,内蒙古自治区,province,\n15052x,开鲁县,county,150000\n", "位数字"),
        (HEADER + "150000,内蒙古自治区,province,\n150523,开鲁县,city,150000\n", "不符"),
        (HEADER, "没有区划"),
    ],
)
def test_bad_files_change_nothing_and_say_what_is_wrong(empty_regions, tmp_path, text, fragment):
    regions_load(path=write(tmp_path, SMALL))
    with pytest.raises(RegionFileError) as error:
        regions_load(path=write(tmp_path, text, name="bad.csv"))
    assert fragment in str(error.value)
    assert Region.objects.count() == 5


def test_gbk_files_are_read(empty_regions, tmp_path):
    result = regions_load(path=write(tmp_path, SMALL, encoding="gbk"))
    assert result.added == 5
    assert Region.objects.get(code="150523000000").name == "开鲁县"


def test_seats_give_county_coordinates(db):
    kailu = Region.objects.get(code="150523000000")
    assert kailu.longitude is not None and 120 < float(kailu.longitude) < 123


def test_command_reports_errors_as_command_error(empty_regions, tmp_path):
    with pytest.raises(CommandError, match="文件不存在"):
        call_command("load_regions", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="层级"):
        call_command("load_regions", str(write(tmp_path, HEADER + "150000,内蒙古自治区,state,\n")))


def test_bundled_table_loads_every_row(db):
    assert Region.objects.count() == 15938
    assert Region.objects.filter(level="county", parent_id="150500000000").count() == 9
