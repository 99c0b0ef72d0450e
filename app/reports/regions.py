"""Provinces (GB/T 2260 first two digits) and finding the province a free-text place or an ID number names.

The names are the standard's own Chinese names: data, not user-interface text.
"""
from __future__ import annotations

PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区", "21": "辽宁省",
    "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省",
    "35": "福建省", "36": "江西省", "37": "山东省", "41": "河南省", "42": "湖北省", "43": "湖南省",
    "44": "广东省", "45": "广西壮族自治区", "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省",
    "53": "云南省", "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省",
    "64": "宁夏回族自治区", "65": "新疆维吾尔自治区", "71": "台湾省", "81": "香港特别行政区",
    "82": "澳门特别行政区",
}
UNKNOWN = ""  # rendered as 「未知」 at the edge

_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市")


def _short(name: str) -> str:
    """北京市 → 北京, 广西壮族自治区 → 广西, 内蒙古自治区 → 内蒙古."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


# Longest spellings first so that 内蒙古 is tried before any shorter name it contains.
_SPELLINGS = sorted(((spelling, code) for code, name in PROVINCES.items() for spelling in {name, _short(name)}),
                    key=lambda item: -len(item[0]))


def province_in_text(text: str | None) -> str | None:
    """The province code of the first province a free-text place names (e.g. 「浙江省杭州市（原籍）」), or None."""
    if not text:
        return None
    best: tuple[int, str] | None = None
    for spelling, code in _SPELLINGS:
        pos = text.find(spelling)
        if pos >= 0 and (best is None or pos < best[0]):
            best = (pos, code)
    return best[1] if best else None


def province_of_id(id_number: str | None) -> str | None:
    """The province of an ID number's address code (where it was first issued), or None."""
    code = (id_number or "")[:2]
    return code if code in PROVINCES else None


def province_name(code: str | None) -> str:
    """The province's name, or UNKNOWN."""
    return PROVINCES.get(code or "", UNKNOWN)
