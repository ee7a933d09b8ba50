"""The words for what is wrong with a registry file or a registry change (登记表问题): Chinese by
default, English selectable.

A decision module: the registry's table of the one catalogue (:mod:`gwcommon.catalogue`, keys
``registry.*``) and lookups, no I/O.  :mod:`hub.registry.csvfile` reports each bad
line as a code and its parameters (:class:`hub.registry.csvfile.Problem`), and the registry's
refusals (:mod:`hub.core.plates`, :mod:`hub.registry.store`) carry a code and parameters too;
the web view renders them in the page's language (cookie ``gw_lang``, as :mod:`hub.web.i18n`),
``gatewarden registry import`` in the language :func:`cli_lang` picks from the environment.  Every
code has both languages (a test checks it); ``{name}`` fields are filled from the parameters,
``{name!r}`` quotes them.

Other areas word their own refusals the same way with :func:`words` over their own catalogue
(:mod:`hub.alerts.roster_problems`, :mod:`hub.overnight.problems`), and their command lines use
:func:`cli_lang`.
"""

from __future__ import annotations

from typing import Any, Mapping

from gwcommon import catalogue
from gwcommon.lang import ENV_LANG, LANGS, choose, words  # noqa: F401  (re-exported for the areas)

MESSAGES: dict[str, tuple[str, str]] = {
    # the file as a whole
    "bom_not_utf8": ("文件开头有 UTF-8 标记（BOM），内容却不是 UTF-8 编码",
                     "starts with a UTF-8 BOM but is not UTF-8"),
    "bad_encoding": ("既不是 UTF-8 也不是 GB18030/GBK 编码的文本；请在 Excel/WPS 中另存为 CSV",
                     "is neither UTF-8 nor GB18030/GBK text"),
    "empty_file": ("文件是空的（第一行应是表头，例如 车牌,房号,车主,手机,标签,备注）",
                   "the file is empty (expected a header line such as 车牌,房号,车主,手机,标签,备注)"),
    # the header
    "ignored_columns": ("这些列没有导入：{names}", "columns not imported: {names}"),
    "unterminated_quote": ("从这一行起有一个双引号（\"）没有配对，后面的内容读不出来；请在 Excel/WPS 中检查这一行",
                           "a double quote (\") opened on this line is never closed; check this line in Excel/WPS"),
    "too_many_rows": ("文件超过 {limit} 行，这不像车辆登记表", "more than {limit} lines: this is not a registry"),
    "xlsx_unreadable": ("读不了这个 Excel 文件（可能已损坏或设了密码）；请在 Excel/WPS 中另存为 .xlsx 或 CSV 再试",
                        "cannot read this Excel workbook (damaged or password-protected); save it again as .xlsx or CSV"),
    "xlsx_unsupported": ("这台主机没有安装读取 Excel 文件的组件（openpyxl）；请另存为 CSV 再导入",
                         "this hub cannot read Excel workbooks (openpyxl is not installed); save the sheet as CSV"),
    "duplicate_column": ("列“{name}”出现了两次", "column {name!r} appears twice"),
    "missing_column": ("缺少“{label}”列", "missing column {label}/{column}"),
    # a row
    "too_many_cells": ("这一行有 {cells} 格，但表头只有 {columns} 列",
                       "has {cells} cells but the header has {columns} columns"),
    "plate_missing": ("车牌没有填", "plate is missing"),
    "household_missing": ("房号没有填", "household (房号) is missing"),
    "too_long": ("{label}超过 {limit} 个字", "{column} is longer than {limit} characters"),
    "duplicate_plate": ("车牌 {plate} 重复（第 {first} 行已有）", "duplicate plate {plate} (already on line {first})"),
    "tag_taken": ("标签 {tag} 已经绑定车辆 {plate}（第 {first} 行）",
                  "tag {tag} is already bound to vehicle {plate} (line {first})"),
    # plates (hub.registry.plates.BadPlate codes)
    "plate_empty": ("车牌是空的", "plate is empty"),
    "plate_province": ("车牌“{plate}”应以省份简称开头，例如 浙 或 京",
                       "plate {plate!r} must start with a province character such as 浙 or 京"),
    "plate_length": ("车牌“{plate}”有 {length} 个字符（普通车牌 7 个，新能源车牌 8 个）",
                     "plate {plate!r} has {length} characters (7, or 8 for new-energy plates)"),
    "plate_city": ("车牌“{plate}”的第二个字符应是发牌机关代号（字母）",
                   "plate {plate!r}: the second character must be the city letter"),
    "plate_letters": ("车牌“{plate}”里有字母 I 或 O，车牌不用这两个字母",
                      "plate {plate!r}: the letters I and O are not used on Chinese plates"),
    "plate_shape": ("车牌“{plate}”：字母后面应是 5 位字母或数字",
                    "plate {plate!r}: after the city letter expected five letters or digits"),
    "plate_shape_new_energy": ("车牌“{plate}”：新能源车牌字母后面应是 D 或 F 再加 5 位，或 5 位数字再加 D 或 F",
                               "plate {plate!r}: after the city letter expected D or F and five more, "
                               "or five digits and D or F"),
    # mobiles (hub.registry.plates.BadMobile)
    "mobile_invalid": ("手机号“{mobile}”不是以 1 开头的 11 位手机号，也不是固定电话（如 0571-88886666）",
                       "mobile {mobile!r} is not an 11-digit mobile number starting with 1, nor a landline "
                       "(like 0571-88886666)"),
    "mobile_scientific": ("“{mobile}”：Excel 把号码变成了科学计数法，后几位已经丢失：把该列设为文本，重新填写号码",
                          "{mobile!r}: Excel turned the number into scientific notation and its last digits are "
                          "lost: format the column as text and type the numbers again"),
    "plate_folded": ("车牌“{given}”按 {plate} 导入（车牌号码部分不用字母 O 和 I，读作数字 0 和 1）",
                     "plate {given!r} imported as {plate} (the letters O and I are not used after the city letter; "
                     "read as 0 and 1)"),
    # tags (docs/contract.md §1 tag ids)
    "tag_too_long": ("标签“{tag}…”太长（{length} 个字符，最多 {limit} 个）",
                     "tag id {tag!r}… is {length} characters long (at most {limit})"),
    "tag_scheme": ("标签“{tag}”应以 ibeacon:、eddystone:、eid: 或 mac: 开头",
                   "tag id {tag!r} must start with one of ibeacon:, eddystone:, eid:, mac:"),
    "tag_ibeacon": ("标签“{tag}”不是有效的 iBeacon 编号（格式 ibeacon:<UUID>:<major>:<minor>，major 和 minor 为 0–65535）",
                    "tag id {tag!r} is not a valid ibeacon id (ibeacon:<uuid>:<major>:<minor>, major and minor "
                    "0..65535)"),
    "tag_eddystone": ("标签“{tag}”不是有效的 Eddystone 编号（格式 eddystone:<20 位十六进制>:<12 位十六进制>）",
                      "tag id {tag!r} is not a valid eddystone id (eddystone:<20 hex digits>:<12 hex digits>)"),
    "tag_eid": ("标签“{tag}”不是有效的 EID 名称（eid: 后面只能用字母、数字和 . _ -，最多 64 个）",
                "tag id {tag!r} is not a valid eid id (eid:<name of letters, digits, '.', '_' or '-'>)"),
    "tag_mac": ("标签“{tag}”不是有效的 MAC 地址（格式 mac:aa:bb:cc:dd:ee:ff）",
                "tag id {tag!r} is not a valid mac id (mac:aa:bb:cc:dd:ee:ff)"),
    "tag_plate": ("标签“{tag}”不是有效的车牌（格式 plate:车牌号，例如 plate:浙A12345）",
                  "tag id {tag!r} is not a valid plate (plate:<plate>, e.g. plate:浙A12345)"),
    # changes from the web view (hub.registry.store refusals)
    "vehicle_unknown": ("车牌 {plate} 没有登记", "no vehicle with plate {plate} is registered"),
    "tag_unknown": ("标签 {tag} 没有登记", "tag {tag} is not registered"),
    "tag_bound": ("标签 {tag} 已经绑定车辆 {plate}（{household}）：一个标签只能给一辆车，请先在那辆车的页面上去掉它",
                  "tag {tag} is already bound to vehicle {plate} ({household}): one tag, one car; take it off that "
                  "car's page first"),
    "plate_registered": ("车牌 {plate} 已经登记在 {household}：请打开那辆车的页面修改",
                         "vehicle {plate} is already registered to {household}: edit it on its own page"),
    "remove_unconfirmed": ("删除 {plate} 前请先勾选确认", "tick the box to confirm removing {plate}"),
    "tag_permanent": ("标签 {tag} 是 {plate}（{household}）的长期标签，不需要访客通行证",
                      "tag {tag} is the permanent tag of {plate} ({household}): no visitor pass is needed"),
    "plate_permanent": ("车牌 {plate} 已长期登记在 {household}，凭车牌就能进出，不需要访客通行证",
                        "vehicle {plate} is registered to {household} for good and opens by its plate: "
                        "no visitor pass is needed"),
    "visitor_rename": ("{plate} 是访客车，不能在这里改车牌：车牌填错了请先结束它的访客通行证，再按正确的车牌重新发",
                       "{plate} is a visitor's car and its plate cannot be changed here: if the plate is wrong, end "
                       "its visitor pass and issue a new one with the right plate"),
    "pass_none": ("{plate} 没有访客通行证", "{plate} has no visitor pass"),
}


catalogue.contribute("registry", MESSAGES, prefix="registry.")


def text(lang: str, code: str, params: Mapping[str, Any] | None = None) -> str:
    """The words for a registry ``code`` in ``lang`` (Chinese unless ``"en"``), with its parameters filled in."""
    return words(MESSAGES, lang, code, params)


def cli_lang(environ: Mapping[str, str]) -> str:
    """The command line's language, by the one policy of :func:`gwcommon.lang.choose`
    (``GATEWARDEN_LANG``, else Chinese; the system locale is not consulted)."""
    return choose(environ=environ)
