"""Plates typed into a person's free text, masked for a reader who may not see plates
(hub/core/plates.py ``mask_plates_in``): each as ``mask_plate`` shows a plate, the rest as typed."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.plates import mask_plate, mask_plates_in


@pytest.mark.parametrize("typed,shown", [
    ("浙A12345", "浙A·1**45"),                      # blue, 7 characters
    ("浙A12345 是访客", "浙A·1**45 是访客"),          # in Chinese text
    ("访客浙A12345，业主忘带标签", "访客浙A·1**45，业主忘带标签"),
    ("浙A·12345", "浙A·1**45"),                     # with the middle dot
    ("浙A 12345", "浙A·1**45"),                     # with a space
    ("浙 a-12345", "浙A·1**45"),                    # lower case, a space and a dash
    ("浙a·12345", "浙A·1**45"),
    ("京Ａ１２３４５", "京A·1**45"),                   # full-width from a Chinese keyboard
    ("浙GD12345", "浙G·D***45"),                    # green new-energy, 8 characters (small car)
    ("浙G·D12345 新能源", "浙G·D***45 新能源"),
    ("浙gd12345", "浙G·D***45"),
    ("浙G12345D", "浙G·1***5D"),                    # new-energy, large vehicle
    ("苏E D12345", "苏E·D***45"),
    ("浙A1234学", mask_plate("浙A1234学")),          # a learner's plate, as mask_plate shows it
    ("浙A12345学生", "浙A·1**45学生"),                # 学 after five characters is the next word
    ("浙A12345、浙B54321", "浙A·1**45、浙B·5**21"),   # every plate
    ("浙A12345浙B54321", "浙A·1**45浙B·5**21"),
    ("浙A12345 3号位", "浙A·1**45 3号位"),            # a number after a space is not part of it
    ("浙AI2345", "浙A·I**45"),                      # mistyped (no I on plates): still someone's plate
    ("浙A123456", "浙A·1***56"),                    # a digit too many: masked whole, nothing left over
])
def test_every_plate_in_a_text_is_masked_as_mask_plate_masks_a_plate(typed, shown):
    assert mask_plates_in(typed) == shown


@pytest.mark.parametrize("text", [
    "业主忘带标签", "送货车", "booth button", "浙江省杭州市", "3号楼2单元", "浙A", "浙A1234", "浙A·1**45",
    "老李 13812345678", "A12345", "",
])
def test_a_text_without_a_plate_is_unchanged(text):
    assert mask_plates_in(text) == text


def test_shown_whole_to_a_reader_who_may_see_plates_and_nothing_for_none():
    assert mask_plates_in("浙a·12345 是访客", mask=False) == "浙a·12345 是访客"
    assert mask_plates_in(None) == "" and mask_plates_in(None, mask=False) == ""


WORDS = st.text(st.sampled_from("是访客的车，。 "), max_size=6)


@given(st.sampled_from("浙京沪苏粤川"), st.sampled_from("ABCDEFGHJK"),
       st.text("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=5, max_size=5), st.sampled_from(["", "·", " ", "-"]),
       WORDS, WORDS)
def test_a_plate_anywhere_in_a_sentence_never_shows_whole(province, city, rest, dot, before, after):
    plate = f"{province}{city}{rest}"
    shown = mask_plates_in(f"{before}{province}{city}{dot}{rest}{after}")
    assert shown == f"{before}{mask_plate(plate)}{after}" and rest not in shown
