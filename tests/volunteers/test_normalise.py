"""Normalisation and ID checks. Every ID number here is made up (the GB 11643
sample 11010519491231002X aside) and built with a correct check character, so that
each test fails for the one reason it names.
"""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.volunteers.models import IdType
from server.volunteers.normalise import (
    IdDocument,
    Invalid,
    age_on,
    check_birth_date,
    check_birth_date_agrees,
    check_contact_name,
    check_id_number,
    check_mobile,
    check_name,
    check_sex_agrees,
    checksum_char,
    mask_id_number,
    normalise_id_number,
    normalise_mobile,
    normalise_name,
    sex_in_id_number,
)

TODAY = date(2026, 12, 4)
VALID_RESIDENT = "530802199001010018"  # 思茅区, born 1990-01-01


def refused(code: str):
    """Expect `Invalid` for the reason `code` (messages are translated, codes not)."""
    return pytest.raises(Invalid, check=lambda error: error.code == code)


def resident(number: str, today: date = TODAY) -> IdDocument:
    return check_id_number(IdType.resident, number, today)


# --- names -------------------------------------------------------------------


@pytest.mark.parametrize(
    "dot", ["·", "•", "‧", "∙", "・", "･", "\u00b7", "\u2022", "\u2027", "⋅", "ㆍ"]
)
def test_lookalike_middle_dots_fold_to_one(dot):
    assert normalise_name(f"阿卜杜{dot}热合曼") == "阿卜杜\u00b7热合曼"


def test_spaces_around_a_middle_dot_and_outside_the_name_go():
    assert normalise_name("  阿卜杜 ・ 热合曼\u3000") == "阿卜杜·热合曼"


def test_full_stop_between_chinese_characters_is_a_middle_dot():
    assert normalise_name("买买提.艾力") == "买买提·艾力"
    assert normalise_name("买买提．艾力") == "买买提·艾力"


def test_full_stop_in_a_latin_name_stays():
    assert normalise_name("J. R. Testperson") == "J. R. Testperson"


def test_full_width_letters_become_half_width_and_spaces_collapse():
    assert normalise_name("ＴＥＳＴ   Ｐｅｒｓｏｎ") == "TEST Person"


@pytest.mark.parametrize(
    "name",
    [
        "测",
        "测试",
        "欧阳测试",
        "测试·示例·阿不都热合曼·买买提",
        "Test Person-Example",
        "Тестов Тест",
        "ᠲᠧᠰᠲ",
        "ཚོད་ལྟ",
        "x" * 100,
    ],
)
def test_names_of_any_length_and_script_are_accepted(name):
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "   ", "\u3000", "·", " ・ "])
def test_empty_names_are_refused(name):
    with pytest.raises(Invalid):
        check_name(name)


def test_overlong_and_control_character_names_are_refused():
    with pytest.raises(Invalid):
        check_name("x" * 101)
    with pytest.raises(Invalid):
        check_name("测试\x00示例")


def test_invisible_characters_from_copied_text_are_dropped():
    assert check_name("\ufeff测试\u200b示例") == "测试示例"


@given(st.text(max_size=30))
def test_normalising_a_name_twice_changes_nothing(text):
    once = normalise_name(text)
    assert normalise_name(once) == once


# --- mobile numbers ----------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "13900001234",
        "139 0000 1234",
        "139-0000-1234",
        "139.0000.1234",
        "+86 139 0000 1234",
        "+86-13900001234",
        "(+86) 139 0000 1234",
        "0086 13900001234",
        "8613900001234",
        "１３９００００１２３４",
        "＋８６　１３９－００００－１２３４",
        " 139—0000—1234 ",
    ],
)
def test_mobile_numbers_are_normalised(typed):
    assert check_mobile(typed) == "13900001234"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "12900001234",
        "1390000123",
        "139000012345",
        "0871-1234567",
        "1390000123x",
        "+1 139 0000 1234",
    ],
)
def test_bad_mobile_numbers_are_refused(typed):
    with pytest.raises(Invalid):
        check_mobile(typed)


def test_a_plain_86_is_only_removed_before_a_mobile_number():
    assert normalise_mobile("86123") == "86123"


# --- resident IDs ------------------------------------------------------------


def test_valid_resident_id_gives_its_birth_date():
    document = resident(VALID_RESIDENT)
    assert document == IdDocument(IdType.resident, VALID_RESIDENT, date(1990, 1, 1))


def test_the_standards_own_sample_number_passes():
    assert resident("11010519491231002X").birth_date == date(1949, 12, 31)


def test_lowercase_x_becomes_upper_case():
    assert resident("53080219900101123x").number == "53080219900101123X"


def test_full_width_digits_and_x_are_accepted():
    assert (
        resident("５３０８０２１９９００１０１１２３ｘ").number == "53080219900101123X"
    )


def test_spaces_and_dashes_inside_the_number_are_ignored():
    assert resident(" 530802 19900101 0018 ").number == VALID_RESIDENT
    assert resident("530802-19900101-0018").number == VALID_RESIDENT


@pytest.mark.parametrize("position", range(17))
def test_a_single_mistyped_digit_is_caught(position):
    digits = list(VALID_RESIDENT)
    digits[position] = str((int(digits[position]) + 1) % 10)
    mistyped = "".join(digits)
    # Some substitutions also break the region or date; all must be refused.
    with pytest.raises(Invalid):
        resident(mistyped)


def test_wrong_check_character_is_refused():
    with refused("checksum"):
        resident("530802199001010019")


def test_feb_29_in_a_leap_year_is_a_real_date():
    assert resident("530802200002290029").birth_date == date(2000, 2, 29)
    assert resident("530802200402290044").birth_date == date(2004, 2, 29)


def test_feb_29_in_a_common_year_is_refused():
    with refused("birth_date"):
        resident("530802200102290050")
    # 1900 was not a leap year though divisible by 4.
    with refused("birth_date"):
        resident("530802000229123")


def test_month_13_is_refused():
    with refused("birth_date"):
        resident("530802190013010014")


def test_birth_dates_in_the_future_are_refused():
    with refused("future"):
        resident("53080220990101001X")
    # Born tomorrow in the city's calendar: refused today, accepted once born.
    with refused("future"):
        resident("530802202606010015", today=date(2026, 5, 31))
    assert resident("530802202606010015", today=date(2026, 6, 1)).birth_date


@pytest.mark.parametrize(
    "number",
    [
        "190802199001010014",  # 19 is no province
        "000000199001010018",  # region 000000
        "980000199001010015",  # 98 is no province
        "830000199001010012",  # 83 is not in the accepted list
    ],
)
def test_unknown_regions_are_refused(number):
    with refused("region"):
        resident(number)


@pytest.mark.parametrize(
    "number", ["710000199001010015", "810000199505050014", "650102197007071014"]
)
def test_taiwan_hong_kong_and_far_provinces_are_known(number):
    assert resident(number).number == number


@pytest.mark.parametrize(
    "number", ["53080219900101001", "5308021990010100188", "53080219900101X018", "X"]
)
def test_wrong_shapes_are_refused(number):
    with refused("id_shape"):
        resident(number)


def test_fifteen_digit_ids_are_read_as_born_in_the_1900s():
    assert resident("530802900101123").birth_date == date(1990, 1, 1)
    assert resident("530802960229123").birth_date == date(1996, 2, 29)


def test_fifteen_digit_ids_are_stored_in_their_eighteen_digit_form():
    # Made up: 思茅区, born 1990-01-31, sequence 122; "19" goes before the year
    # and the MOD 11-2 check character is added.
    assert resident("530802900131122").number == "530802199001311224"
    assert resident("530802 900101 123").number == "53080219900101123X"
    assert resident("530802900131122").number == resident("530802199001311224").number


def test_fifteen_digit_ids_are_checked_for_date_and_region():
    with refused("birth_date"):
        resident("530802900230123")
    with refused("region"):
        resident("990802900101123")


# --- foreigners and other documents -------------------------------------------


def test_foreigner_ids_of_2023_start_with_9_and_carry_a_check_character():
    assert check_id_number(IdType.foreigner, "931530198511300015", TODAY).number
    with refused("checksum"):
        check_id_number(IdType.foreigner, "931530198511300016", TODAY)
    # A resident ID is not a foreigner's ID, even with a good checksum.
    with pytest.raises(Invalid):
        check_id_number(IdType.foreigner, VALID_RESIDENT, TODAY)


def test_older_foreigner_ids_are_three_letters_and_twelve_digits():
    assert check_id_number(IdType.foreigner, "tst530819850615", TODAY).number == (
        "TST530819850615"
    )
    for wrong in ("TS5308198506151", "TEST53081985061", "TST53081985061"):
        with pytest.raises(Invalid):
            check_id_number(IdType.foreigner, wrong, TODAY)


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("E12345678", "E12345678"),
        ("ea1234567", "EA1234567"),
        ("H1234567890", "H1234567890"),
        ("A123456(7)", "A1234567"),
        ("１２３４５６７８", "12345678"),
    ],
)
def test_other_documents_get_a_loose_shape_check(typed, number):
    assert check_id_number(IdType.other, typed, TODAY).number == number


@pytest.mark.parametrize("typed", ["", "E12", "ABCDEFGH", "E1234567!", "E" * 21])
def test_other_documents_that_cannot_be_numbers_are_refused(typed):
    with pytest.raises(Invalid):
        check_id_number(IdType.other, typed, TODAY)


def test_an_unknown_id_type_is_refused():
    with pytest.raises(Invalid):
        check_id_number("driving_licence", VALID_RESIDENT, TODAY)


def test_id_numbers_normalise_to_one_form():
    assert normalise_id_number(" ５３０８０２ 1990-0101-123ｘ ") == "53080219900101123X"


def test_checksum_of_the_standards_sample():
    assert checksum_char("11010519491231002") == "X"


# --- dates of birth ----------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "1990-01-31",
        "1990/1/31",
        "1990.1.31",
        "1990年1月31日",
        "19900131",
        "１９９０－０１－３１",
    ],
)
def test_dates_of_birth_in_common_forms(typed):
    assert check_birth_date(typed, TODAY) == date(1990, 1, 31)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "required"),
        ("31/01/1990", "date_format"),
        ("2001-02-29", "no_such_day"),
        ("2026-12-05", "future"),
        ("1899-12-31", "too_long_ago"),
    ],
)
def test_bad_dates_of_birth(typed, reason):
    with refused(reason):
        check_birth_date(typed, TODAY)


def test_birth_date_must_agree_with_a_resident_id():
    document = resident(VALID_RESIDENT)
    check_birth_date_agrees(date(1990, 1, 1), document)
    with refused("birth_date_mismatch") as error:
        check_birth_date_agrees(date(1990, 1, 2), document)
    assert "1990-01-01" in error.value.message


def test_other_documents_carry_no_birth_date_to_agree_with():
    document = check_id_number(IdType.other, "E12345678", TODAY)
    check_birth_date_agrees(date(1990, 1, 2), document)


def test_age_counts_whole_years_and_leaplings_age_on_1_march():
    assert age_on(date(1990, 12, 5), TODAY) == 35
    assert age_on(date(1990, 12, 4), TODAY) == 36
    assert age_on(date(2000, 2, 29), date(2001, 2, 28)) == 0
    assert age_on(date(2000, 2, 29), date(2001, 3, 1)) == 1


# --- masking -----------------------------------------------------------------


def test_masking_shows_first_three_and_last_four():
    assert mask_id_number(VALID_RESIDENT) == "530***********0018"
    assert mask_id_number("530802900101123") == "530********1123"
    assert mask_id_number("E12345678") == "E******78"


# --- the sex written into a resident ID ------------------------------------------


@pytest.mark.parametrize(
    ("number", "sex"),
    [
        ("530802199001010018", "male"),  # 17th digit 1
        ("53080219900101123X", "male"),  # 3
        ("530802199001010026", "female"),  # 2
        ("530802200002290029", "female"),  # 2
    ],
)
def test_the_17th_digit_of_a_resident_id_gives_the_sex(number, sex):
    document = resident(number)
    assert sex_in_id_number(document) == sex
    check_sex_agrees(sex, document)
    other = "female" if sex == "male" else "male"
    with refused("sex_mismatch"):
        check_sex_agrees(other, document)


def test_documents_without_a_sex_digit_agree_with_either_sex():
    passport = check_id_number(IdType.other, "E12345678", TODAY)
    for sex in ("male", "female"):
        check_sex_agrees(sex, passport)


def test_an_emergency_contact_without_a_name_gets_its_own_message():
    with pytest.raises(Invalid) as contact:
        check_contact_name("  ")
    with pytest.raises(Invalid) as own:
        check_name("  ")
    assert contact.value.code == own.value.code == "required"
    assert contact.value.message != own.value.message
    assert check_contact_name(" 测试 联系人 ") == "测试 联系人"
