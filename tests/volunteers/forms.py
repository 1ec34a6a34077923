"""A registration form a made-up person would fill in correctly."""

from server.stations.models import Station

# 思茅区, born 1990-01-01, sequence 001 (odd: a man), check character 8: made up.
RESIDENT_ID = "530802199001010018"


def valid_form(station: Station, **changes: str | list[str]) -> dict:
    form = {
        "name": "测试·示例",
        "sex": "male",
        "birth_date": "1990-01-01",
        "id_type": "resident",
        "id_number": RESIDENT_ID,
        "mobile": "139 0000 1234",
        "station_id": str(station.id),
        "employer": "示例中学",
        "skills": "急救",
        "intentions": ["companionship", "first_aid"],
        "availability": "周末",
        "emergency_name": "测试联系人",
        "emergency_mobile": "13900005678",
        "password": "long-enough-pw",
        "password_confirm": "long-enough-pw",
        "consent": "yes",
    }
    form.update(changes)
    return form
