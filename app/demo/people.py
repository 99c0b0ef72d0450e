"""Pure generators of demo people: identity consistent with the ID number, hiring, leaving, page numbers.

No Flask and no database here: everything is a function of a `random.Random`.
"""
from __future__ import annotations

import datetime as dt
import itertools
import random
from functools import lru_cache

from ..domain.idnumber import make_id, region_name
from .data import (ADMIN_DEPARTMENTS, COMPOUND_SURNAMES, EDUCATION_ADMIN, EDUCATION_RESEARCH, ETHNICITIES, GIVEN_FEMALE,
                   GIVEN_MALE, MOVE_IN_REASONS, OCCUPATIONS_ADMIN, OCCUPATIONS_RESEARCH, PHONE_PREFIXES, REGIONAL_ETHNICITY,
                   REGIONS, RETIRED_SHARE, STREETS, SURNAMES, UNIVERSITIES)


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
