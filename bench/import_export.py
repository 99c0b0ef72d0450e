"""Import (and export) speed: rows/s, ratio to the floor and peak RSS, on a scratch database.

Usage: python bench/import_export.py [--rows 100000] [--hr 10000] [--database-url URL] [--bad 0.03]
The default database is a temporary SQLite file; a PostgreSQL URL gets a fresh database next to it (dropped after).
Each phase runs in its own process so its peak RSS is its own (the app's start-up is not timed).

Import phases (issue 7): the floor (python-calamine read + Core executemany into the empty resident table and
its commit), our dry run of the file with a few % bad rows, our commit of the clean file into the empty register (audit
rows included), our re-import of the same clean file (all unchanged), an HR file of --hr events.
Targets: commit <= 2.0x floor, dry run <= 1.5x, re-import <= 1.5x, peak RSS <= 400 MB at 100k rows.
Each ratio is printed twice: wall clock (the target) and "cpu ratio", the phase process's own CPU seconds, which
the load of other processes on a shared machine does not move (on SQLite that is all the work but disk waits; on
PostgreSQL only the client's side).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HEADERS = ["姓名", "公民身份号码", "性别", "出生日期", "民族", "籍贯", "文化程度", "婚姻状况", "服务处所", "职业",
           "迁入日期", "迁入原因", "户口页编号", "联系电话", "入职日期"]
HR_HEADERS = ["姓名", "公民身份号码", "变动类型", "生效日期", "部门", "备注"]
ETHNIC = ["汉族"] * 17 + ["回族", "满族", "壮族"]
EDU = ["大学本科毕业", "硕士研究生毕业", "大学专科毕业", "博士研究生毕业"]
MARITAL = ["未婚", "已婚"]
PLACES = ["北京市朝阳区", "上海市黄浦区", "广东省广州市", "浙江省杭州市", "四川省成都市", "湖北省武汉市"]
DEPT_NAME = "测试部门{:02d}"  # bench.fill's 12 departments
TARGETS = {"dry run": 1.5, "commit": 2.0, "re-import": 1.5}


def person(i: int) -> list:
    """Row i of the roster: realistic, valid, unique (ID number, page number); deterministic in i."""
    from app.domain.idnumber import make_id
    from bench.fill import GIVEN, REGIONS, SURNAMES, _BIRTH0, _BIRTH_DAYS

    h = (i * 2654435761 + 12345) & 0xFFFFFFFF  # a cheap per-row hash instead of a seeded Random per row
    birth = _BIRTH0 + dt.timedelta(days=i % _BIRTH_DAYS)
    seq = i // _BIRTH_DAYS
    number = make_id(REGIONS[i % len(REGIONS)], birth, seq)
    name = SURNAMES[h % len(SURNAMES)] + GIVEN[(h >> 8) % len(GIVEN)] + ("" if h & 1 else GIVEN[(h >> 16) % len(GIVEN)])
    move_in = dt.date(2010, 1, 1) + dt.timedelta(days=(h >> 4) % 5000)
    return [name, number, "男" if seq % 2 else "女", birth, ETHNIC[(h >> 3) % len(ETHNIC)],
            PLACES[(h >> 5) % len(PLACES)], EDU[(h >> 7) % len(EDU)], MARITAL[(h >> 9) & 1],
            DEPT_NAME.format(i % 12 + 1), "工程师", move_in, "工作调动", f"P{i:07d}", f"138{i:08d}",
            move_in - dt.timedelta(days=(h >> 11) % 60)]


def spoil(row: list, i: int) -> list:
    """A bad row: a wrong check character, a date that does not exist, or an unknown code."""
    row = list(row)
    kind = i % 3
    if kind == 0:
        row[1] = row[1][:17] + ("0" if row[1][17] != "0" else "1")
    elif kind == 1:
        row[10] = "2024-02-30"
    else:
        row[4] = "火星族"
    return row


def write_book(path: Path, headers: list[str], rows) -> None:
    """An xlsx written like an HR system does: a title row, the header, typed cells (text as text)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    ws = book.add_worksheet("花名册")
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_string(0, 0, "集体户人员花名册")
    for c, h in enumerate(headers):
        ws.write_string(1, c, h)
    for r, row in enumerate(rows, start=2):
        for c, v in enumerate(row):
            if isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date_fmt)
            else:
                ws.write_string(r, c, v)
    book.close()


def hr_events(n: int, rows: int) -> list[list]:
    """n HR events on members of the roster: leavers, transfers, retirements, hires (a few not in the register)."""
    out = []
    for k in range(n):
        i = (k * 7919) % rows
        p = person(i)
        change = ("离职", "调动", "退休", "入职")[k % 4]
        dept = DEPT_NAME.format((i + 5) % 12 + 1) if change in ("调动", "入职") else ""
        if change == "入职" and k % 40 == 3:
            p = person(rows + k)  # not in the collective household
        out.append([p[0], p[1], change, "2026-11-01", dept, ""])
    return out


# ---- phases (each in its own process) ---------------------------------------------------------------------

def _app(url: str):
    """The bench app on the scratch database (migrated and bootstrapped once by the setup phase)."""
    from bench.fill import make_app

    return make_app(url)


def phase_setup(url: str, folder: Path) -> dict:
    """Migrate, bootstrap, create the 12 departments."""
    from app.extensions import db
    from bench.fill import insert_departments

    app = _app(url)
    with app.app_context():
        with db.engine.begin() as conn:
            insert_departments(conn)
    return {}


def phase_floor(url: str, folder: Path) -> dict:
    """python-calamine read + Core executemany of the rows into the empty resident table, committed (then
    deleted again, untimed)."""
    import python_calamine as pc
    from app.extensions import db
    from app.models import Resident

    app = _app(url)
    with app.app_context():
        t0, c0 = time.perf_counter(), time.process_time()
        rows = pc.load_workbook(str(folder / "roster.xlsx")).get_sheet_by_index(0).to_python()[2:]
        now = dt.datetime.now()
        table = Resident.__table__
        with db.engine.connect() as conn:
            trans = conn.begin()
            for start in range(0, len(rows), 2000):
                conn.execute(table.insert(), [
                    {"name": r[0], "id_number": r[1], "gender": "M" if r[2] == "男" else "F", "birth_date": r[3],
                     "birthplace": r[5], "native_place": r[5], "occupation": r[9], "move_in_date": r[10],
                     "move_in_reason": r[11], "page_number": r[12], "phone": r[13], "hire_date": r[14],
                     "ethnicity": "01", "education": "21", "marital_status": "10", "department_id": None,
                     "status": "active", "version": 1, "created_on": now, "changed_on": now}
                    for r in rows[start:start + 2000]])
            trans.commit()  # a real import ends with a commit: the floor pays it too
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            conn.execute(table.delete())  # the register is empty again for the commit phase (not timed)
            conn.commit()
        return {"seconds": seconds, "cpu": cpu, "rows": len(rows)}


def _import(url: str, folder: Path, kind: str, file: str, dry_run: bool) -> dict:
    """One import through the service, as the CLI runs it."""
    from app.imports.service import import_dir, run_import
    from app.security.actor import cli_actor

    app = _app(url)
    app.config["HUKOU_IMPORT_DIR"] = str(folder / "imports")
    with app.app_context():
        stored = f"{uuid.uuid4().hex}-{file}"
        shutil.copyfile(folder / file, Path(import_dir()) / stored)
        t0, c0 = time.perf_counter(), time.process_time()
        out = run_import(cli_actor("系统（人事同步）"), kind, stored, file, dry_run=dry_run)
        return {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0, "rows": out.plan.rows_total,
                "status": out.status,
                **out.plan.counts}


PHASES = {
    "setup": phase_setup,
    "floor": phase_floor,
    "dry run": lambda url, folder: _import(url, folder, "roster", "roster_bad.xlsx", True),
    "commit": lambda url, folder: _import(url, folder, "roster", "roster.xlsx", False),
    "re-import": lambda url, folder: _import(url, folder, "roster", "roster.xlsx", False),
    "hr": lambda url, folder: _import(url, folder, "hr", "hr.xlsx", False),
}


def run_phase(name: str, url: str, folder: Path) -> dict:
    """Run one phase in a child process; its result plus the child's peak RSS in MB."""
    cmd = [sys.executable, __file__, "--phase", name, "--database-url", url, "--dir", str(folder)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise SystemExit(f"phase {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- Export (the "exports" helper adds its phases here: our export of the rows vs a bare xlsxwriter write) ----

def _export(which: str, url: str, folder: Path) -> dict:
    """Export every resident imported above: ours (bench/export_section.py child_ours) or the bare floor."""
    from bench.export_section import child_bare, child_ours

    return (child_ours if which == "ours" else child_bare)(url, str(folder / f"export_{which}.xlsx"))


EXPORT_PHASES: dict = {"export floor": lambda url, folder: _export("bare", url, folder),
                       "export": lambda url, folder: _export("ours", url, folder)}
PHASES.update(EXPORT_PHASES)  # run after the imports, on the residents they committed


def export_report(results: dict, out=sys.stdout) -> None:
    """Our export beside the bare xlsxwriter write of the same rows (target <= 1.3x)."""
    from bench.export_section import TARGET_RATIO

    if "export" not in results:
        print("export: not measured", file=out)
        return
    ratio = results["export"]["seconds"] / results["export floor"]["seconds"]
    cpu = results["export"]["cpu"] / results["export floor"]["cpu"]
    print(f"export     ratio {ratio:.2f}x the bare xlsxwriter write (target <= {TARGET_RATIO}x) "
          f"{'ok' if ratio <= TARGET_RATIO else 'MISSED'}  cpu ratio {cpu:.2f}x", file=out)


# ---- main -------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def scratch(url: str | None, folder: Path):
    """A scratch SQLite file in `folder`, or a fresh PostgreSQL database next to `url`."""
    if not url or not url.startswith("postgresql"):
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    from bench.fill import scratch_postgres

    with scratch_postgres(url) as fresh:
        yield fresh


def generate(folder: Path, rows: int, bad: float, hr: int) -> None:
    """The three files: the clean roster, the same with `bad` of its rows spoilt, the HR events."""
    every = max(1, round(1 / bad)) if bad else 0
    data = [person(i) for i in range(rows)]
    write_book(folder / "roster.xlsx", HEADERS, data)
    write_book(folder / "roster_bad.xlsx", HEADERS,
               (spoil(row, i) if every and i % every == every // 2 else row for i, row in enumerate(data)))
    del data
    write_book(folder / "hr.xlsx", HR_HEADERS, hr_events(hr, rows))


def report(results: dict, rows: int, out=sys.stdout) -> bool:
    """Print rows/s, ratio to the floor and peak RSS per phase; True when every target is met."""
    floor = results["floor"]["seconds"]
    ok = True
    for name, r in results.items():
        if name == "setup":
            continue
        rate = r["rows"] / r["seconds"] if r["seconds"] else 0
        line = f"{name:10} {r['rows']:>7} rows {r['seconds']:7.2f} s {rate:9.0f} rows/s  peak RSS {r['rss_mb']:5.0f} MB"
        if name in TARGETS:
            ratio = r["seconds"] / floor
            met = ratio <= TARGETS[name]
            ok &= met
            line += f"  ratio {ratio:.2f}x floor (target <= {TARGETS[name]}x) {'ok' if met else 'MISSED'}"
            if "cpu" in r:  # the phase's own CPU seconds, which other processes on a shared machine do not move
                line += f"  cpu ratio {r['cpu'] / results['floor']['cpu']:.2f}x"  # (SQLite: all the work; PG: client)
        extra = {k: r[k] for k in ("created", "updated", "unchanged", "skipped", "errors") if k in r}
        print(line + (f"  {extra}" if extra else ""), file=out)
        ok &= r["rss_mb"] <= 400 or rows > 100_000
    export_report(results, out)
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--hr", type=int, default=10_000)
    parser.add_argument("--bad", type=float, default=0.03)
    parser.add_argument("--database-url")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        import logging
        logging.disable(logging.WARNING)
        result = PHASES[args.phase](args.database_url, Path(args.dir))
        result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    folder = Path(tempfile.mkdtemp(prefix="hukou-import-bench-"))
    (folder / "imports").mkdir()
    try:
        t0 = time.perf_counter()
        generate(folder, args.rows, args.bad, min(args.hr, args.rows))
        print(f"files written in {time.perf_counter() - t0:.1f} s ({args.rows} rows, {args.bad:.0%} bad in the "
              f"dry-run file, {min(args.hr, args.rows)} HR events)")
        with scratch(args.database_url, folder) as url:
            print(f"database: {url.split('://')[0]}")
            results = {name: run_phase(name, url, folder) for name in PHASES}
        ok = report(results, args.rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
