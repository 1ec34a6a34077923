"""The registration form's station choice, in Chromium: HTMX narrows the grouped
list by county and township, and without JavaScript the grouped list alone works.
Uses the demo's stations: 示例红旗社区 (思茅街道) and 示例南屏社区 (南屏镇) in
思茅区, 示例宁洱社区 in 宁洱县.
"""

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE

pytestmark = pytest.mark.browser


def group_labels(page) -> list[str]:
    return page.eval_on_selector_all(
        "#station_id optgroup", "groups => groups.map(g => g.label)"
    )


def test_county_then_township_narrow_the_station_list(phone):
    with phone.open() as page:
        page.goto("/register")
        assert len(group_labels(page)) == 3
        assert page.is_visible("#county")

        page.select_option("#county", "530802")
        page.wait_for_function(
            "document.querySelectorAll('#station_id optgroup').length === 2"
        )
        assert all(label.startswith("思茅区") for label in group_labels(page))
        townships = page.eval_on_selector_all(
            "#township option", "options => options.map(o => o.value)"
        )
        assert townships == ["", "530802001", "530802102"]

        page.select_option("#township", "530802102")
        page.wait_for_function(
            "document.querySelectorAll('#station_id optgroup').length === 1"
        )
        assert "南屏镇" in group_labels(page)[0]
        phone.shot(page, "narrowed")

        # The narrowed list still submits: an error elsewhere keeps the choice.
        station = page.eval_on_selector(
            "#station_id option[value]:not([value=''])", "o => o.value"
        )
        page.select_option("#station_id", station)
        page.click("#register-submit")
        page.wait_for_selector("#form-errors")
        assert page.input_value("#station_id") == station
        assert page.get_attribute("#station_id", "aria-invalid") is None


def test_without_javascript_the_grouped_list_is_all_there_is(phone):
    browser = phone.playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    try:
        context = browser.new_context(
            base_url=phone.server.url, viewport=PHONE, java_script_enabled=False
        )
        page = context.new_page()
        page.goto("/register")
        assert not page.is_visible("#county")
        assert not page.is_visible("#township")
        assert len(group_labels(page)) == 3
        page.select_option("#station_id", label="示例宁洱社区志愿者服务站")
        page.click("#register-submit")
        page.wait_for_selector("#form-errors")
        selected = page.eval_on_selector(
            "#station_id", "s => s.selectedOptions[0].text"
        )
        assert selected == "示例宁洱社区志愿者服务站"
    finally:
        browser.close()
