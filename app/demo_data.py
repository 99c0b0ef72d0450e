"""Tables and pure generators for the demo data: departments, regions, names, places, reasons.

No Flask and no database here: everything is plain data or a function of a `random.Random`.
"""
from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass, field
from functools import lru_cache

from .domain.idnumber import make_id, region_name
from .domain.workflow_table import CLOSED_STATUSES, TABLE, Transition, applies_to

# 12 departments of a research institute (code, name, relative head count).
DEPARTMENTS: tuple[tuple[str, str, int], ...] = (
    ("D01", "院办公室", 4), ("D02", "人力资源处", 3), ("D03", "财务处", 3), ("D04", "科研计划处", 4),
    ("D05", "材料科学研究所", 14), ("D06", "信息技术研究所", 14), ("D07", "生物医药研究中心", 12),
    ("D08", "智能制造研究中心", 12), ("D09", "能源与环境研究所", 11), ("D10", "分析测试中心", 8),
    ("D11", "成果转化中心", 6), ("D12", "后勤保障中心", 9),
)
ADMIN_DEPARTMENTS = frozenset({"D01", "D02", "D03", "D04", "D12"})

# GB/T 2260 county codes (code, first birth year, last birth year the code fits; None = open).
# A number keeps the code of the county where it was first issued, so the retired codes (with a last year,
# see python-stdnum's cn/loc data) are given only to people born while the code was in use.
REGIONS: tuple[tuple[str, int | None, int | None], ...] = (
    ("110105", None, None), ("110108", None, None), ("110102", None, None), ("110106", None, None),
    ("120101", None, None), ("120104", None, None), ("130102", 1983, None), ("130104", 1983, None),
    ("130203", 1983, None), ("150102", 1983, None), ("150204", 1983, None), ("210102", 1983, None),
    ("210202", 1983, None), ("220102", 1983, None), ("220104", 1983, None), ("230103", 1983, None),
    ("230104", 1983, None), ("310104", None, None), ("310110", None, None), ("310115", 1992, None),
    ("320102", 1983, None), ("320106", 1983, None), ("330106", 1983, None), ("330203", 1983, None),
    ("350102", 1983, None), ("350203", 1983, None), ("360102", 1983, None), ("360121", None, None),
    ("370102", 1983, None), ("370202", 1983, None), ("370523", 1983, None), ("410105", 1983, None),
    ("410302", 1983, None), ("420106", 1983, None), ("420111", 1983, None), ("430121", None, None),
    ("440106", 1985, None), ("440304", 1983, None), ("450102", 1983, None), ("500103", 1997, None),
    ("510107", 1990, None), ("510108", 1990, None), ("520102", 1983, None), ("530102", 1983, None),
    ("540102", 1983, None), ("610113", 1983, None), ("620102", 1983, None), ("630102", 1983, None),
    ("640121", None, None), ("650102", 1983, None), ("140105", 1997, None), ("460105", 2002, None),
    # retired codes
    ("110223", 1982, 1997), ("110103", None, 2010), ("110104", None, 2010), ("310102", None, 2000),
    ("310103", None, 2011), ("310108", None, 2015), ("440102", 1983, 2005), ("440107", 1985, 2005),
    ("320103", 1983, 2013), ("320107", 1983, 2013), ("510202", 1983, 1997), ("420122", None, 1995),
    ("640102", 1983, 2002), ("140112", 1983, 1997), ("460102", 1990, 2002),
)
RETIRED_REGIONS = frozenset(code for code, _first, last in REGIONS if last is not None)
RETIRED_SHARE = 0.08

# Common surnames, most frequent first (weights follow the order).
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "皇甫")
# Popular given names (two characters mostly, some single), by gender.
GIVEN_MALE = tuple("""浩然 子轩 宇航 俊杰 志强 建国 建华 国强 海涛 晓东 文博 明辉 鹏飞 家豪 天宇 思远 志刚 永强 振华 建军
    俊峰 晓明 立伟 宏伟 春雷 卫东 小龙 嘉豪 宇轩 梓豪 博文 皓轩 一鸣 子豪 晨阳 浩宇 泽宇 俊熙 明轩 昊天 宏宇 凯文 云飞 志远
    伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 鑫 波 宁 峰""".split())
GIVEN_FEMALE = tuple("""欣怡 雨涵 思琪 晓燕 丽娟 静怡 婷婷 佳怡 梦瑶 诗涵 雅婷 慧敏 秀英 玉兰 丹丹 晓丽 海燕 红梅 春燕 丽华
    雪梅 文静 美玲 晓霞 雨欣 可馨 子涵 梓涵 一诺 紫萱 若曦 欣妍 心怡 佳琪 思彤 语桐 晨曦 梦琪 丽萍 淑华 颖 雪 倩 琳 敏 静 丽
    艳 娟 霞 婷 芳 娜 洁 玲 燕 丹 蕾 璐 楠""".split())

# (code, weight): mostly 汉族, some minorities.
ETHNICITIES = (("01", 900), ("03", 15), ("11", 15), ("08", 12), ("02", 8), ("15", 8), ("06", 7), ("10", 6),
               ("05", 5), ("04", 4), ("07", 4), ("14", 3), ("22", 2), ("12", 2))
# Regions where a minority is common: province prefix → (code, share).
REGIONAL_ETHNICITY = {"65": ("05", 0.35), "54": ("04", 0.6), "45": ("08", 0.3), "15": ("02", 0.25),
                      "64": ("03", 0.3), "22": ("10", 0.1)}
# GB/T 4658 codes with weights for a research institute.
EDUCATION_RESEARCH = (("11", 30), ("14", 38), ("21", 24), ("31", 5), ("17", 3))
EDUCATION_ADMIN = (("14", 20), ("21", 55), ("31", 17), ("41", 4), ("61", 4))
OCCUPATIONS_RESEARCH = ("研究员", "副研究员", "助理研究员", "博士后", "高级工程师", "工程师", "助理工程师", "实验员")
OCCUPATIONS_ADMIN = ("行政管理人员", "会计", "人事专员", "科研秘书", "档案管理员", "后勤管理人员", "司机")
UNIVERSITIES = ("清华大学", "北京大学", "浙江大学", "复旦大学", "上海交通大学", "南京大学", "武汉大学", "华中科技大学",
                "中山大学", "四川大学", "西安交通大学", "哈尔滨工业大学", "中国科学技术大学", "同济大学",
                "北京航空航天大学", "天津大学", "山东大学", "吉林大学", "中南大学", "厦门大学", "东南大学",
                "大连理工大学", "兰州大学", "重庆大学")
STREETS = ("人民路", "解放路", "中山路", "建设路", "和平街", "文化路", "新华街", "长江路", "朝阳路", "胜利街", "光明路")
MOVE_IN_REASONS = ("应届毕业生就业", "人才引进", "工作调动", "博士后出站留院")
MOVE_OUT_KINDS = ("离职迁回原籍", "购房迁出", "投靠配偶", "迁入新单位集体户")
PHONE_PREFIXES = ("130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "157",
                  "158", "159", "176", "177", "178", "180", "181", "182", "185", "186", "187", "188", "189", "199")

REASONS = {
    "move_in": ("应届毕业生落户", "人才引进落户", "工作调动随人事关系落户", "博士后出站落户"),
    "move_out": ("离职后迁回原籍", "购房迁出", "投靠配偶迁出", "调入新单位，迁入其集体户"),
    "borrow_page": ("办理结婚登记", "办理护照", "换领身份证", "购房网签", "子女入学", "办理出国签证", "办理公证"),
    "certificate": ("开具户籍证明用于办理贷款", "首页复印件加盖公章用于子女入学", "户籍证明用于出国签证",
                    "户籍证明用于职称评审"),
    "info_change": ("婚姻状况变更", "学历变更", "姓名更正"),
    "id_card": ("身份证到期换领", "身份证遗失补领", "身份证损坏换领"),
    "page_reissue": ("户口卡遗失补办", "户口卡破损补办"),
}
COMMENTS = {
    "request_materials": ("社保缴纳记录不完整，请补充近12个月记录", "劳动合同缺少签章页，请补充",
                          "学历证书复印件不清晰，请重新上传"),
    "reject": ("不符合本单位集体户落户条件", "申请材料与事实不符", "重复申请"),
    "dept_reject": ("部门不同意，请先与部门负责人沟通", "人事关系尚未转入本部门"),
    "leader_reject": ("暂缓办理，待政策明确后再申请", "不符合院内集体户管理规定"),
    "police_reject": ("派出所退回：准迁证信息与身份证不一致，请补正", "派出所退回：照片不符合要求，请重新提交"),
    "withdraw": ("申请人主动撤回", "办理时间调整，先行撤回"),
    "dept_approve": ("同意", None), "leader_approve": ("同意", None),
}
PATHWAYS = ("应届毕业生", "人才引进", "工作调动")


def weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    """Pick a value from (value, weight) pairs."""
    values, cumulative = _cumulative(pairs)
    return rng.choices(values, cum_weights=cumulative)[0]


@lru_cache(maxsize=None)
def _cumulative(pairs: tuple[tuple[str, int], ...]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Values and cumulative weights of a pairs table, computed once."""
    return tuple(v for v, _w in pairs), tuple(itertools.accumulate(w for _v, w in pairs))


def regions_by_year(first: int, last: int) -> dict[int, tuple[list[str], list[str]]]:
    """For each birth year, the (current, retired) region codes a person born then may carry."""
    def fits(lo: int | None, hi: int | None, year: int) -> bool:
        """True when the code was in use in that year."""
        return (lo or 0) <= year <= (hi or 9999)

    return {year: ([code for code, lo, hi in REGIONS if hi is None and fits(lo, hi, year)],
                   [code for code, lo, hi in REGIONS if hi is not None and fits(lo, hi, year)])
            for year in range(first, last + 1)}


def pick_region(rng: random.Random, choices: tuple[list[str], list[str]]) -> str:
    """A current code mostly; a retired one for about one person in twelve (when the birth year allows)."""
    current, retired = choices
    return rng.choice(retired if retired and (rng.random() < RETIRED_SHARE or not current) else current)


def province_name(code: str) -> str:
    """The province part of a region code's name (籍贯)."""
    return region_name(code[:2] + "0000") or ""


def person_name(rng: random.Random, gender: str) -> str:
    """A realistic Chinese name: a common surname and a popular given name."""
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.01 else \
        SURNAMES[min(int(rng.expovariate(1 / 18)), len(SURNAMES) - 1)]
    return surname + rng.choice(GIVEN_MALE if gender == "M" else GIVEN_FEMALE)


def phone(rng: random.Random) -> str:
    """A mobile number with a real carrier prefix."""
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"


def birth_date(rng: random.Random, today: dt.date) -> dt.date:
    """A working-age birth date (23–60), most people in their late twenties to forties."""
    age_days = int(rng.triangular(23 * 365.25, 60 * 365.25, 31 * 365.25))
    return today - dt.timedelta(days=age_days)


def unique_id(rng: random.Random, region: str, birth: dt.date, gender: str, used: set[str]) -> str:
    """A valid ID number not in `used` (order code odd for men, even for women); added to `used`."""
    for _ in range(2000):
        seq = rng.randrange(500) * 2 + (1 if gender == "M" else 0)
        number = make_id(region, birth, seq)
        if number not in used:
            used.add(number)
            return number
    raise RuntimeError(f"no free order code for {region} {birth}")


def marital(rng: random.Random, age: int) -> str:
    """GB/T 2261.2 marital status typical for the age."""
    married = min(0.95, max(0.05, (age - 24) / 10))
    r = rng.random()
    if r < married * 0.92:
        return rng.choice(("20", "20", "21", "22")) if age > 40 else "20"
    if r < married:
        return rng.choice(("40", "30")) if age > 35 else "40"
    return "10" if rng.random() < 0.97 else "90"


def ethnicity(rng: random.Random, region: str) -> str:
    """GB 3304 code: regional minorities where common, else mostly 汉族."""
    local = REGIONAL_ETHNICITY.get(region[:2])
    if local and rng.random() < local[1]:
        return local[0]
    return weighted(rng, ETHNICITIES)


def years_ago(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier (later when negative; 28 Feb stands in for 29 Feb)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def resident(rng: random.Random, today: dt.date, department: tuple[int, str], used: set[str],
             regions: dict[int, tuple[list[str], list[str]]]) -> dict:
    """One active member of the household: identity consistent with the ID number, hired and moved in."""
    gender = "M" if rng.random() < 0.56 else "F"
    born = birth_date(rng, today)
    region = pick_region(rng, regions[born.year])
    dept_id, dept_code = department
    admin = dept_code in ADMIN_DEPARTMENTS
    education = weighted(rng, EDUCATION_ADMIN if admin else EDUCATION_RESEARCH)
    age = (today - born).days // 365
    place = region_name(region) or ""
    graduate = education in ("11", "14", "17", "21") and rng.random() < 0.7
    person = {
        "name": person_name(rng, gender), "former_name": None, "gender": gender,
        "ethnicity": ethnicity(rng, region), "birth_date": born, "birthplace": place,
        "native_place": province_name(region), "id_number": unique_id(rng, region, born, gender, used),
        "education": education, "marital_status": marital(rng, age), "department_id": dept_id,
        "occupation": rng.choice(OCCUPATIONS_ADMIN if admin else OCCUPATIONS_RESEARCH),
        "moved_from": f"{rng.choice(UNIVERSITIES)}学生集体户" if graduate else place,
        "former_address": f"{place}{rng.choice(STREETS)}{rng.randint(1, 300)}号",
        "move_in_reason": MOVE_IN_REASONS[0] if graduate else rng.choice(MOVE_IN_REASONS[1:]),
        "status": "active", "move_out_date": None, "move_out_to": None, "phone": phone(rng), "leave_date": None,
        "residence_permit_years": round(rng.uniform(0, 10), 1) if rng.random() < 0.4 else None,
    }
    set_hired(rng, person, today, earliest=years_ago(born, -27 if education == "11" else -23))
    return person


def set_hired(rng: random.Random, person: dict, latest: dt.date, earliest: dt.date | None = None) -> None:
    """Give a person a hire date before `latest` (and after 22nd birthday), move-in soon after, social security."""
    born = person["birth_date"]
    low = max(years_ago(born, -22), latest - dt.timedelta(days=25 * 365), earliest or dt.date.min)
    high = latest - dt.timedelta(days=7)
    low = min(low, high - dt.timedelta(days=30))
    hired = low + dt.timedelta(days=rng.randrange(max((high - low).days, 1)))
    person["hire_date"] = hired
    person["move_in_date"] = min(hired + dt.timedelta(days=rng.randint(3, 120)), high)
    months = (latest - hired).days // 30
    person["social_security_months"] = min(months + rng.choice((0, 0, 0, 6, 12, 24, 36)), 480)


def destination(rng: random.Random) -> str:
    """Where a leaver moves the hukou to."""
    code = rng.choice([c for c, _lo, hi in REGIONS if hi is None])
    kind = rng.choice(("原籍", "购房地址", "配偶户籍地", "新单位集体户"))
    return f"{region_name(code)}（{kind}）"


# ---- workflow paths: sequences of table rows from draft to a status ----

State = tuple[str, bool]  # (status, returned by the police)


def moves(app_type: str, state: State) -> list[tuple[Transition, State]]:
    """The table rows that apply from a state, with the state each leads to (police flag tracked)."""
    status, returned = state
    out = []
    for row in TABLE:
        if status not in row.sources or not applies_to(row, app_type):
            continue
        if ("not_police_returned" in row.guards and returned) or ("police_returned" in row.guards and not returned):
            continue
        flag = True if row.action == "police_reject" else False if row.action == "submit_police" else returned
        out.append((row, (row.target, flag)))
    return out


def shortest_paths(app_type: str) -> dict[State, list[Transition]]:
    """Every reachable state of a type with the shortest path of rows that reaches it from draft."""
    paths: dict[State, list[Transition]] = {("draft", False): []}
    queue = [("draft", False)]
    while queue:
        state = queue.pop(0)
        for row, nxt in moves(app_type, state):
            if nxt not in paths:
                paths[nxt] = paths[state] + [row]
                queue.append(nxt)
    return paths


# Forward steps are likely, rejections and withdrawals rare.
ACTION_WEIGHTS = {"submit": 10, "request_materials": 2, "pass_review": 8, "reject": 0.25, "dept_approve": 10,
                  "dept_reject": 0.2, "leader_approve": 10, "leader_reject": 0.15, "enter": 10, "police_reject": 0.8,
                  "submit_police": 10, "complete": 10, "archive": 9, "withdraw": 0.2}


def random_path(rng: random.Random, app_type: str) -> list[Transition]:
    """A plausible history: a weighted random walk that may stop in any status on the way."""
    state: State = ("draft", False)
    path: list[Transition] = []
    while len(path) < 16:
        options = moves(app_type, state)
        stop = 0.12 if state[0] == "draft" else 0.45 if state[0] == "completed" else 0.1
        if not options or rng.random() < stop:
            break
        row, state = rng.choices(options, weights=[ACTION_WEIGHTS[r.action] for r, _s in options])[0]
        path.append(row)
    return path


def final_state(path: list[Transition]) -> State:
    """The (status, police-returned) state a path ends in."""
    returned = False
    for row in path:
        returned = True if row.action == "police_reject" else False if row.action == "submit_police" else returned
    return (path[-1].target if path else "draft"), returned


# ---- plans: one demo application, its timeline, and what it implies for its resident ----

@dataclass
class Plan:
    """One demo application before it is written: its path, its resident (index into people) and creator."""

    type: str
    path: list[Transition]
    creator: tuple[int, str] | None = None  # None: a paper application entered and submitted by the officer
    person: int = -1
    overdue: bool = False
    times: list[dt.datetime] = field(default_factory=list)
    created: dt.datetime = dt.datetime.min
    reason: str = ""
    destination: str | None = None
    change: dict | None = None

    def time_of(self, target: str) -> dt.datetime | None:
        """When the application entered `target` (last time), or None."""
        hits = [at for row, at in zip(self.path, self.times) if row.target == target]
        return hits[-1] if hits else None

    def did(self, action: str) -> dt.datetime | None:
        """When the action was last applied, or None."""
        hits = [at for row, at in zip(self.path, self.times) if row.action == action]
        return hits[-1] if hits else None


# Days between one step and the next, by the action taken.
DELAYS = {"submit": (0.1, 3), "request_materials": (1, 4), "pass_review": (1, 4), "reject": (1, 5),
          "dept_approve": (0.5, 5), "dept_reject": (1, 5), "leader_approve": (1, 6), "leader_reject": (1, 6),
          "enter": (1, 3), "police_reject": (3, 15), "submit_police": (2, 8), "complete": (5, 20), "archive": (2, 40),
          "withdraw": (1, 10)}


def timeline(rng: random.Random, now: dt.datetime, plan: Plan, loan_days: int) -> None:
    """Date every step: open applications are recent, closed ones up to ~2.5 years old."""
    status = final_state(plan.path)[0]
    if plan.overdue:
        offset = loan_days + rng.uniform(5, 45)
    elif status not in CLOSED_STATUSES:
        offset = rng.uniform(0.05, 20)
    else:
        offset = rng.uniform(1, 120) if status == "completed" else rng.uniform(5, 900)
    gaps = [rng.uniform(*DELAYS[row.action]) for row in plan.path]
    at = now - dt.timedelta(days=offset + sum(gaps))
    plan.created = at
    plan.times = []
    for gap in gaps:
        at += dt.timedelta(days=gap)
        plan.times.append(at)
    plan.reason = rng.choice(REASONS[plan.type])


def shape_resident(rng: random.Random, plan: Plan, person: dict) -> None:
    """Make the resident agree with the application: hired before it, moving in/out, changed fields."""
    start = plan.created.date()
    done = plan.time_of("completed")
    status = final_state(plan.path)[0]
    if plan.type == "move_in":
        person["hire_date"] = start - dt.timedelta(days=rng.randint(5, 60))
        person["move_in_date"] = done.date() if done else None
        person["social_security_months"] = rng.randint(0, 36) + (dt.date.today() - person["hire_date"]).days // 30
    elif person["hire_date"] > start - dt.timedelta(days=30):
        set_hired(rng, person, start - dt.timedelta(days=30))
    if plan.type == "move_out":
        plan.destination = destination(rng)
        person["leave_date"] = max(start - dt.timedelta(days=rng.randint(0, 40)), person["move_in_date"])
        if done:
            person.update(status="moved_out", move_out_date=done.date(), move_out_to=plan.destination)
        elif status not in CLOSED_STATUSES:
            person["status"] = "leaving"
    elif plan.type == "info_change":
        _info_change(rng, plan, person, done is not None)


def _info_change(rng: random.Random, plan: Plan, person: dict, done: bool) -> None:
    """The field an information change is about, set to the old or (when completed) the new value."""
    if plan.reason == "婚姻状况变更":
        plan.change = {"marital_status": "20"}
        person["marital_status"] = "20" if done else "10"
    elif plan.reason == "学历变更":
        plan.change = {"education": "11"}
        person["education"] = "11" if done else "14"
    else:
        new = person_name(rng, person["gender"])
        plan.change = {"name": new}
        if done:
            person.update(former_name=person["name"], name=new)


def fates(rng: random.Random, today: dt.date, people: list[dict], claimed: set[int]) -> None:
    """Leavers among the people no application is about: moved out, not yet moved out, frozen, leaving soon."""
    for i, person in enumerate(people):
        if i in claimed:
            continue
        r = rng.random()
        first = person["hire_date"] + dt.timedelta(days=90)
        if r >= 0.15 or first > today - dt.timedelta(days=60):
            continue
        if r < 0.07:
            leave = first + dt.timedelta(days=rng.randrange((today - first).days - 45))
            out = min(leave + dt.timedelta(days=rng.randint(5, 60)), today - dt.timedelta(days=1))
            person.update(status="moved_out", leave_date=leave, move_out_date=out, move_out_to=destination(rng))
        elif r < 0.11:  # left the unit but never moved the hukou out: the "chase leavers" list
            person["leave_date"] = max(today - dt.timedelta(days=rng.randint(35, 700)), first)
        elif r < 0.13:
            person.update(status="leaving", leave_date=max(today - dt.timedelta(days=rng.randint(1, 45)), first))
        elif r < 0.14:
            person.update(status="frozen", leave_date=max(today - dt.timedelta(days=rng.randint(400, 2000)), first))
        else:
            person["leave_date"] = today + dt.timedelta(days=rng.randint(1, 30))


def page_numbers(people: list[dict], existing: set[str]) -> None:
    """Number the personal pages of everyone who moved in, in move-in order, skipping numbers in use."""
    counter = 0
    for person in sorted((p for p in people if p["move_in_date"]), key=lambda p: p["move_in_date"]):
        counter += 1
        while f"{counter:06d}" in existing:
            counter += 1
        person["page_number"] = f"{counter:06d}"
    for person in people:
        person.setdefault("page_number", None)
