"""The demo page in a real headless Chromium: residents report, the police act, each sees it."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.conftest import screenshot
from tests.demo_process import DemoProcess

WAIT = 40.0  # seconds: the machine may be busy; every wait ends as soon as the page shows it
CODE = re.compile(r"\b([2-9A-HJKMNP-Z]{6})\b")


def wait(browser: webdriver.Chrome) -> WebDriverWait[webdriver.Chrome]:
    """A wait that ends as soon as its condition holds; a page reloading in between is no error."""
    return WebDriverWait(browser, WAIT, ignored_exceptions=(StaleElementReferenceException,))


def text_of(element: WebElement) -> str:
    """An element's text whether or not it is on screen (a pane behind a tab, a scrolled list)."""
    return str(element.get_attribute("textContent") or "")


def bot_message(browser: webdriver.Chrome, chat: str, words: str) -> WebElement:
    """Wait for the bot's message in the chat that has these words; the newest such one."""

    def found(driver: webdriver.Chrome) -> WebElement | bool:
        messages = driver.find_elements(By.CSS_SELECTOR, f"#pane-{chat} li.bot")
        matching = [m for m in messages if words in text_of(m)]
        return matching[-1] if matching else False

    element = wait(browser).until(found, f"the bot never said {words!r} in {chat}")
    assert isinstance(element, WebElement)
    return element


def say(browser: webdriver.Chrome, chat: str, words: str, *, as_: str | None = None) -> None:
    """Type in a chat's box and send, as the given member when the chat has several."""
    pane = browser.find_element(By.ID, f"pane-{chat}")
    if as_ is not None:
        Select(pane.find_element(By.CSS_SELECTOR, "select.as")).select_by_value(as_)
    box = pane.find_element(By.CSS_SELECTOR, "input.text")
    box.send_keys(words)
    pane.find_element(By.CSS_SELECTOR, "button.send").click()
    # Shown once stored and read back from the feed: what was typed reached the server.
    wait(browser).until(
        lambda d: any(
            text_of(li).endswith(words)
            for li in d.find_elements(By.CSS_SELECTOR, f"#pane-{chat} li.person")
        ),
        f"{words!r} never showed in {chat}",
    )


def press(message: WebElement, label: str) -> None:
    """Tap one of a message's buttons."""
    buttons = [b for b in message.find_elements(By.CSS_SELECTOR, ".buttons button")]
    [button] = [b for b in buttons if text_of(b) == label]
    button.click()


def code_in(text: str) -> str:
    """The report code a message names."""
    match = CODE.search(text)
    assert match is not None, text
    return match.group(1)


def police_card(browser: webdriver.Chrome, code: str, words: str = "") -> WebElement:
    """The report's card in the police group, once it says `words`."""
    return (
        bot_message(browser, "group-police", f"{code} ")
        if not words
        else _card(browser, code, words)
    )


def _card(browser: webdriver.Chrome, code: str, words: str) -> WebElement:
    def found(driver: webdriver.Chrome) -> WebElement | bool:
        for card in driver.find_elements(By.CSS_SELECTOR, "#pane-group-police li.bot"):
            body = text_of(card)
            if f"Tin báo {code}" in body and words in body:
                return card
        return False

    element = wait(browser).until(found, f"card {code}: {words!r}")
    assert isinstance(element, WebElement)
    return element


def photo_file(folder: Path) -> Path:
    """A photo on the computer to attach."""
    path = folder / "xe-dap.png"
    picture = io.BytesIO()
    Image.new("RGB", (120, 80), (40, 110, 190)).save(picture, format="PNG")
    path.write_bytes(picture.getvalue())
    return path


def test_page_private_report_by_buttons_reaches_the_police_and_back(
    page: webdriver.Chrome, shots: Path, tmp_path: Path
) -> None:
    say(page, "lan", "/baocao")
    press(bot_message(page, "lan", "Trả lời bằng số"), "2. Trộm cắp")
    bot_message(page, "lan", "Việc xảy ra ở đâu")
    say(page, "lan", "Tô Hiệu")
    bot_message(page, "lan", "mô tả sự việc")
    say(page, "lan", "Mất xe đạp màu xanh ở sân nhà văn hóa tổ 1")
    press(bot_message(page, "lan", "khi nào"), "Vừa xong")
    evidence = bot_message(page, "lan", "Nếu có ảnh")
    page.find_element(By.CSS_SELECTOR, "#pane-lan input.photo").send_keys(str(photo_file(tmp_path)))
    wait(page).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#pane-lan li.person img"), "no photo shown"
    )
    Select(page.find_element(By.CSS_SELECTOR, "#pane-lan select.place")).select_by_index(1)
    wait(page).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#pane-lan li.person .location"), "no place"
    )
    press(evidence, "Xong")
    press(bot_message(page, "lan", "ẩn danh không"), "2. Cho biết tên")
    summary = bot_message(page, "lan", "kiểm tra lại")
    assert "Tệp đính kèm: 1" in text_of(summary)
    screenshot(page, shots, "private-report")
    press(summary, "1. Gửi")
    code = code_in(text_of(bot_message(page, "lan", "Mã tin báo")))

    card = police_card(page, code, "Mất xe đạp")
    wait(page).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#pane-group-police li.bot img"), "no photo"
    )
    screenshot(page, shots, "police-card")
    press(card, "✋ Nhận xử lý")
    police_card(page, code, "Đang xử lý — Đại úy Phạm Minh")
    bot_message(page, "lan", f"đã tiếp nhận tin báo {code}")

    say(page, "group-police", f"/hoi {code} Xe đạp hiệu gì, có đặc điểm gì?", as_="ha")
    bot_message(page, "lan", "Xe đạp hiệu gì, có đặc điểm gì?")
    say(page, "lan", "Xe Martin màu xanh, yên màu đen")
    bot_message(page, "group-police", "Xe Martin màu xanh, yên màu đen")

    # As on Telegram: the button asks for the outcome, the officer replies to that message.
    press(police_card(page, code, "Đang xử lý"), "✅ Đã giải quyết")
    prompt = bot_message(page, "group-police", f"kết quả xử lý tin báo {code}")
    prompt.find_element(By.CSS_SELECTOR, "button.reply").click()
    say(page, "group-police", "Đã tìm thấy xe, trả lại cho chủ", as_="minh")
    police_card(page, code, "Đã giải quyết")
    bot_message(page, "lan", "Đã tìm thấy xe, trả lại cho chủ")
    screenshot(page, shots, "resolved")

    link = page.find_element(By.CSS_SELECTOR, f"#pane-lan a.code[href*='{code}']")
    page.get(str(link.get_attribute("href")))
    timeline = text_of(page.find_element(By.CSS_SELECTOR, "ol.timeline"))
    for step in ("Đã gửi tin báo", "Cán bộ đã nhận xử lý", "Công an hỏi người báo"):
        assert step in timeline
    assert "Người báo trả lời" in timeline and "Đã giải quyết" in timeline
    screenshot(page, shots, "timeline")


def test_page_private_report_by_typed_numbers_as_zalo_shows_it(
    page: webdriver.Chrome, shots: Path
) -> None:
    page.find_element(By.ID, "zalo-view").click()
    say(page, "hung", "/baocao")
    bot_message(page, "hung", "Trả lời bằng số")
    say(page, "hung", "3")
    bot_message(page, "hung", "Việc xảy ra ở đâu")
    say(page, "hung", "phường Chiềng Lề")  # the ward's former name
    bot_message(page, "hung", "mô tả sự việc")
    say(page, "hung", "Có người gọi điện giả danh công an phường, đòi chuyển tiền")
    bot_message(page, "hung", "khi nào")
    say(page, "hung", "tối qua")
    bot_message(page, "hung", "Nếu có ảnh")
    say(page, "hung", "bỏ qua")
    bot_message(page, "hung", "ẩn danh không")
    say(page, "hung", "1")
    bot_message(page, "hung", "kiểm tra lại")
    say(page, "hung", "1")
    code = code_in(text_of(bot_message(page, "hung", "Mã tin báo")))
    police_card(page, code, "giả danh công an")
    shown = page.find_elements(By.CSS_SELECTOR, ".buttons button")
    assert shown and not any(b.is_displayed() for b in shown), "Zalo shows no buttons"
    screenshot(page, shots, "zalo-view")


def test_page_group_report_with_baocao(page: webdriver.Chrome) -> None:
    words = "Xe máy lạ đỗ trước cổng trường mấy ngày nay, không ai nhận"
    say(page, "group-tdp1", f"/baocao {words}", as_="hung")
    code = code_in(text_of(bot_message(page, "group-tdp1", "Đã nhận tin báo")))
    police_card(page, code, "Tổ dân phố 1")


def test_page_emergency_word_gives_the_emergency_numbers(
    page: webdriver.Chrome, shots: Path
) -> None:
    say(page, "mai", "/baocao")
    bot_message(page, "mai", "Trả lời bằng số")
    say(page, "mai", "5")
    bot_message(page, "mai", "Việc xảy ra ở đâu")
    say(page, "mai", "Tô Hiệu")
    bot_message(page, "mai", "mô tả sự việc")
    say(page, "mai", "Cháy lớn ở kho hàng cạnh chợ, khói bốc cao")
    numbers = text_of(bot_message(page, "mai", "113"))
    assert "114" in numbers and "115" in numbers
    screenshot(page, shots, "emergency")


def test_page_speaks_english_fits_a_phone_and_resets(
    page: webdriver.Chrome, demo: DemoProcess, shots: Path
) -> None:
    say(page, "lan", "/baocao")
    bot_message(page, "lan", "Trả lời bằng số")
    page.find_element(By.LINK_TEXT, "English").click()
    wait(page).until(
        lambda d: text_of(d.find_element(By.TAG_NAME, "h1")) == "Tinbao demo", "no English"
    )
    bot_message(page, "lan", "Trả lời bằng số")  # the conversation is drawn again

    page.set_window_size(420, 860)
    tabs = page.find_elements(By.CSS_SELECTOR, ".tabs button")
    assert len(tabs) == 6 and tabs[0].is_displayed()
    [police_tab] = [t for t in tabs if t.get_attribute("data-tab") == "group-police"]
    police_tab.click()
    wait(page).until(
        lambda d: d.find_element(By.ID, "pane-group-police").is_displayed(), "tab not shown"
    )
    assert not page.find_element(By.ID, "pane-lan").is_displayed()
    screenshot(page, shots, "phone", width=420)

    page.set_window_size(1440, 960)
    page.find_element(By.ID, "reset").click()
    page.switch_to.alert.accept()
    wait(page).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, "#pane-lan li"), "Lan's chat not emptied"
    )
    police_card(page, code_in(text_of(bot_message(page, "group-police", "Honda Wave"))), "Mới")
    assert demo.process.poll() is None
