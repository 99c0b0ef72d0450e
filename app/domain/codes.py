"""National code tables (GB 3304, GB/T 2261.1/2261.2, GB/T 4658) with lookup by code or Chinese name.

The names are the standards' own Chinese names: they are data, not user-interface text, so they are not translated.
"""
from __future__ import annotations

import unicodedata
from typing import Any, Callable


class CodeTable(dict):
    """A plain dict code→name that also knows extra spellings (aliases) and its display order."""

    def __init__(self, entries: dict[str, str], aliases: dict[str, str] | None = None,
                 sort_key: Callable[[str], Any] | None = None):
        super().__init__(entries)
        self.aliases = dict(aliases or {})
        self.sort_key = sort_key
        self._index: dict[str, str] | None = None

    def index(self) -> dict[str, str]:
        """Return (building once) the map from every accepted spelling to its code."""
        if self._index is None:
            index = {_clean(name): code for code, name in self.items()}
            index.update({_clean(alias): code for alias, code in self.aliases.items()})
            index.update({code: code for code in self})
            self._index = index
        return self._index


# GB 3304-1991 中国各民族名称的罗马字母拼写法和代码 (numeric codes).
ETHNICITY = CodeTable({
    "01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族", "06": "苗族", "07": "彝族",
    "08": "壮族", "09": "布依族", "10": "朝鲜族", "11": "满族", "12": "侗族", "13": "瑶族", "14": "白族",
    "15": "土家族", "16": "哈尼族", "17": "哈萨克族", "18": "傣族", "19": "黎族", "20": "傈僳族", "21": "佤族",
    "22": "畲族", "23": "高山族", "24": "拉祜族", "25": "水族", "26": "东乡族", "27": "纳西族", "28": "景颇族",
    "29": "柯尔克孜族", "30": "土族", "31": "达斡尔族", "32": "仫佬族", "33": "羌族", "34": "布朗族",
    "35": "撒拉族", "36": "毛南族", "37": "仡佬族", "38": "锡伯族", "39": "阿昌族", "40": "普米族",
    "41": "塔吉克族", "42": "怒族", "43": "乌孜别克族", "44": "俄罗斯族", "45": "鄂温克族", "46": "德昂族",
    "47": "保安族", "48": "裕固族", "49": "京族", "50": "塔塔尔族", "51": "独龙族", "52": "鄂伦春族",
    "53": "赫哲族", "54": "门巴族", "55": "珞巴族", "56": "基诺族", "97": "其他", "98": "外国血统中国籍人士",
}, aliases={
    # Former official names still found in old records (renamed 1985/1986).
    "崩龙族": "46", "毛难族": "36", "其他民族": "97", "未识别民族": "97", "外国血统": "98",
})
# Names without the trailing 族 ("汉", "蒙古") are common in HR sheets.
ETHNICITY.aliases.update({name[:-1]: code for code, name in ETHNICITY.items() if name.endswith("族")})

# GB/T 2261.2-2003 婚姻状况代码.
MARITAL = CodeTable({
    "10": "未婚", "20": "已婚", "21": "初婚", "22": "再婚", "23": "复婚", "30": "丧偶", "40": "离婚",
    "90": "未说明的婚姻状况",
}, aliases={"离异": "40", "未说明": "90"})

# GB/T 4658-2006 学历代码: xy where x is the level (x0 = the level itself) and y the sub-level.
EDUCATION = CodeTable({
    "10": "研究生教育",
    "11": "博士研究生毕业", "12": "博士研究生结业", "13": "博士研究生肄业",
    "14": "硕士研究生毕业", "15": "硕士研究生结业", "16": "硕士研究生肄业",
    "17": "研究生班毕业", "18": "研究生班结业", "19": "研究生班肄业",
    "20": "大学本科教育", "21": "大学本科毕业", "22": "大学本科结业", "23": "大学本科肄业", "28": "大学普通班毕业",
    "30": "大学专科教育", "31": "大学专科毕业", "32": "大学专科结业", "33": "大学专科肄业",
    "40": "中等职业教育",
    "41": "中等专科毕业", "42": "中等专科结业", "43": "中等专科肄业",
    "44": "职业高中毕业", "45": "职业高中结业", "46": "职业高中肄业",
    "47": "技工学校毕业", "48": "技工学校结业", "49": "技工学校肄业",
    "60": "普通高级中学教育", "61": "普通高中毕业", "62": "普通高中结业", "63": "普通高中肄业",
    "70": "初级中学教育", "71": "初中毕业", "73": "初中肄业",
    "80": "小学教育", "81": "小学毕业", "83": "小学肄业",
    "90": "其他",
}, aliases={
    # A bare level or school name means its 毕业 sub-code when there is exactly one;
    # 研究生 (doctor, master or class?) and 中职 (three school types) map to the level code itself.
    "研究生": "10", "博士": "11", "博士研究生": "11", "硕士": "14", "硕士研究生": "14", "研究生班": "17",
    "本科": "21", "大学本科": "21", "大本": "21", "专科": "31", "大学专科": "31", "大专": "31",
    "中职": "40", "中等专科": "41", "中专": "41", "职业高中": "44", "职高": "44", "技工学校": "47", "技校": "47",
    "高中": "61", "普通高中": "61", "初中": "71", "初级中学": "71", "小学": "81",
})
# Short forms of the sub-level names: 本科毕业, 大专结业, 中专肄业, 高中毕业, 博士毕业, ...
_SHORT_FORMS = {"大学本科": ("本科",), "大学专科": ("专科", "大专"), "中等专科": ("中专",), "职业高中": ("职高",),
                "技工学校": ("技校",), "普通高中": ("高中",), "博士研究生": ("博士",), "硕士研究生": ("硕士",)}
for _code, _name in list(EDUCATION.items()):
    for _long, _shorts in _SHORT_FORMS.items():
        if _name.startswith(_long) and _name != _long:
            EDUCATION.aliases.update({short + _name[len(_long):]: _code for short in _shorts})

# Level digit → rank (higher = more education): 研究生 > 本科 > 专科 > 中职 > 高中 > 初中 > 小学 > 其他.
_EDUCATION_RANK = {"1": 7, "2": 6, "3": 5, "4": 4, "6": 3, "7": 2, "8": 1, "9": 0}

# The app stores gender as "M"/"F"; GB/T 2261.1-2003 uses 1 男性 / 2 女性 (0 未知, 9 未说明).
GENDER_GB = {"0": "未知的性别", "1": "男性", "2": "女性", "9": "未说明的性别"}
GENDER_TO_GB = {"M": "1", "F": "2"}
GB_TO_GENDER = {gb: code for code, gb in GENDER_TO_GB.items()}
GENDER = CodeTable({"M": "男", "F": "女"}, aliases={
    "1": "M", "2": "F", "男性": "M", "女性": "F", "MALE": "M", "FEMALE": "F",
}, sort_key=lambda code: GENDER_TO_GB[code])


def _clean(value: str) -> str:
    """Fold full-width forms, drop all whitespace and upper-case, so spellings compare equal."""
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def lookup(table: dict[str, str], value: Any) -> str | None:
    """Return the code for a code or a (possibly abbreviated) Chinese name, or None when unknown."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():  # numeric spreadsheet cell such as 1.0
        value = int(value)
    text = str(value)
    if text in table:  # fast path for exact codes
        return text
    key = _clean(text)
    if not key:
        return None
    if isinstance(table, CodeTable):
        index = table.index()
    else:
        index = {_clean(name): code for code, name in table.items()} | {code: code for code in table}
    if key in index:
        return index[key]
    if key.isdigit() and table:  # "1" for "01": pad to the table's code width
        width = len(next(iter(table)))
        return index.get(key.zfill(width)) if len(key) < width else None
    return None


def education_rank(code: str) -> int:
    """Return the level rank of an education code or name (higher = more education)."""
    found = lookup(EDUCATION, code)
    if found is None:
        raise ValueError(f"unknown education code {code!r}")
    return _EDUCATION_RANK[found[0]]


def choices(table: dict[str, str]) -> list[tuple[str, str]]:
    """Return (code, name) pairs in code order for form selects (gender in GB order: 男, 女)."""
    key = table.sort_key if isinstance(table, CodeTable) and table.sort_key else None
    return sorted(table.items(), key=(lambda item: key(item[0])) if key else None)
