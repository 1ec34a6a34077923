"""A partner sees a masked name: enough to match the face, not to know the person."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.partners.service import mask_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三明", "张*明"),
        ("王五", "王*"),
        ("欧阳娜娜", "欧*娜"),
        ("李", "*"),
        ("", "*"),
        ("  王五  ", "王*"),
        ("阿卜杜·热合曼", "阿*曼"),
        ("John Smith", "J*h"),
        ("Zoë", "Z*ë"),
        ("Zoe\u0308", "Z*ë"),  # e + combining diaeresis stays one letter
        ("Тест", "Т*т"),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


@given(st.text(min_size=3, max_size=30).filter(lambda s: len(s.strip()) >= 3))
def test_masked_names_keep_at_most_the_first_and_last_letter(name):
    masked = mask_name(name)
    assert masked.count("*") >= 1
    assert len(masked) <= len(name.strip())
