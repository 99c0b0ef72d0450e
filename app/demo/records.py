"""Rows that hang off the demo applications: materials, archive records, page loans, deposits and fees."""
from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from sqlalchemy import func, select

from ..domain.files import storage_name
from ..extensions import db
from ..models import ArchiveRecord, ArchiveSequence, Fee, Material, PageLoan
from ..seed import CHECKLISTS
from .base import Ctx, bulk
from .data import COMMENTS
from .plans import Plan
from .scans import placeholder
from .workflow_paths import final_state


def insert_records(ctx: Ctx, plans: list[Plan], app_ids: list[int], people: list[dict],
                   resident_ids: list[int]) -> tuple[dict, list[tuple[str, str]]]:
    """Materials, archive records, page loans and fees of the plans; counts and (storage name, type) files."""
    materials, files = [], []
    for plan, app_id in zip(plans, app_ids):
        rows = _materials(ctx, plan, app_id, people[plan.person]["name"])
        materials += rows
        files += [(row["storage_name"], row.pop("_code")) for row in rows]
    bulk(Material, materials)
    archives = _archive_records(ctx, plans, app_ids)
    loans, fees = loan_rows(ctx, plans, app_ids, resident_ids)
    fees += _fees(ctx, plans, app_ids, people, resident_ids)
    bulk(PageLoan, loans)
    bulk(Fee, fees)
    return {"materials": len(materials), "archive_records": len(archives), "page_loans": len(loans),
            "overdue_loans": sum(1 for loan in loans if loan["returned_on"] is None and loan["due_on"] < ctx.today),
            "fees": len(fees), "unpaid_fees": sum(1 for fee in fees if fee["status"] == "unpaid")}, files


def _materials(ctx: Ctx, plan: Plan, app_id: int, name: str) -> list[dict]:
    """Scans on file: complete and verified once pre-review passed, partial or returned before."""
    rng = ctx.rng
    checklist = CHECKLISTS[plan.type]
    required = [code for code, needed in checklist if needed]
    status = final_state(plan.path)[0]
    reviewed = plan.did("pass_review")
    if reviewed:
        codes = required + [code for code, needed in checklist if not needed and rng.random() < 0.3]
    elif status in ("needs_materials", "submitted", "rejected", "withdrawn"):
        codes = required[:-1] if len(required) > 1 and rng.random() < 0.4 else required
    else:
        codes = required[:rng.randint(0, len(required))]
    returned = rng.randrange(len(codes)) if status == "needs_materials" and not reviewed and codes else -1
    uploader = (plan.creator or ctx.users["officer"])[0]
    rows = []
    for i, code in enumerate(codes):
        type_id, type_name = ctx.material_types[code]
        content = placeholder(code)
        stamped = bool(reviewed) and rng.random() < 0.7
        rows.append({
            "application_id": app_id, "material_type_id": type_id, "original_name": f"{type_name}-{name}.pdf",
            "storage_name": storage_name(), "size": len(content), "sha256": hashlib.sha256(content).hexdigest(),
            "kind": "pdf", "verified": bool(reviewed), "stamped": stamped,
            "verify_note": "与原件一致" if stamped else None,
            "returned_reason": plan_comment(plan, "request_materials") if i == returned else None,
            "verified_by_id": ctx.users["officer"][0] if reviewed else None,
            "verified_at": reviewed - dt.timedelta(minutes=rng.randint(5, 180)) if reviewed else None,
            "uploaded_by_id": uploader,
            "uploaded_at": min(plan.created + dt.timedelta(minutes=rng.randint(1, 240)), ctx.now), "_code": code,
        })
    return rows


def plan_comment(plan: Plan, action: str) -> str:
    """A reason text for a returned material (the officer's request)."""
    return COMMENTS[action][len(plan.path) % len(COMMENTS[action])]


def _archive_records(ctx: Ctx, plans: list[Plan], app_ids: list[int]) -> list[dict]:
    """Archive numbers YYYY-NNNNN in archiving order per year, continuing ArchiveSequence (never reused)."""
    session = db.session
    events = sorted((plan.did("archive"), app_id) for plan, app_id in zip(plans, app_ids) if plan.did("archive"))
    last: dict[int, int] = {}
    for year in {at.year for at, _a in events}:
        seq_row = session.get(ArchiveSequence, year)
        used = session.scalar(select(func.max(ArchiveRecord.seq)).where(ArchiveRecord.year == year)) or 0
        last[year] = max(seq_row.last if seq_row else 0, used)
    rows = []
    for at, app_id in events:
        last[at.year] += 1
        seq = last[at.year]
        location = f"{'ABCDEF'[seq % 6]}柜{seq % 5 + 1}层{(seq // 30) % 40 + 1:02d}盒"
        rows.append({"archive_no": f"{at.year}-{seq:05d}", "year": at.year, "seq": seq, "application_id": app_id,
                     "location": location, "created_by_id": ctx.users["officer"][0], "created_at": at})
    bulk(ArchiveRecord, rows)
    for year, value in last.items():
        seq_row = session.get(ArchiveSequence, year)
        if seq_row is None:
            session.add(ArchiveSequence(year=year, last=value))
        else:
            seq_row.last = value
    return rows


def loan_rows(ctx: Ctx, plans: list[Plan], app_ids: list[int],
              resident_ids: list[int]) -> tuple[list[dict], list[dict]]:
    """A page loan per completed page-borrowing (returned once archived; some overdue), plus deposits.

    A resident has at most one open loan (the page is in one place): later loans of a resident whose page is
    still out count as returned.
    """
    loans, fees = [], []
    out: set[int] = set()
    for plan, app_id in zip(plans, app_ids):
        done = plan.time_of("completed")
        if plan.type != "borrow_page" or done is None:
            continue
        lent = done.date()
        due = lent + dt.timedelta(days=ctx.loan_days)
        back = lent + dt.timedelta(days=ctx.rng.randint(1, max(ctx.loan_days, 1)))
        archived = plan.did("archive")
        if archived:
            returned = min(back, archived.date())
        elif plan.overdue or back > ctx.today or ctx.rng.random() < 0.4:
            returned = None
        else:
            returned = back
        if returned is None and plan.person in out:
            returned = min(back, ctx.today)
        elif returned is None:
            out.add(plan.person)
        rid = resident_ids[plan.person]
        loans.append({"resident_id": rid, "application_id": app_id, "purpose": plan.reason, "lent_on": lent,
                      "due_on": due, "returned_on": returned, "deposit": ctx.deposit or None, "note": None,
                      "pages": "personal", "delivery": "pickup",
                      "deposit_refunded_on": returned if ctx.deposit else None})
        if ctx.deposit:
            fees.append(_fee(rid, app_id, "deposit", ctx.deposit, "refunded" if returned else "paid", due, lent,
                             "借用户口页押金"))
    return loans, fees


def _fee(rid: int, app_id: int | None, kind: str, amount: Decimal, status: str, due: dt.date | None,
         paid: dt.date | None, note: str) -> dict:
    """One fee row."""
    settled = status in ("paid", "refunded")
    return {"resident_id": rid, "application_id": app_id, "kind": kind, "amount": amount, "status": status,
            "due_on": due, "paid_on": paid if settled else None, "note": note,
            "paid_amount": amount if settled else None, "pay_method": ("transfer" if rid % 3 else "cash") if settled
            else None, "receipt_no": f"SJ{paid:%Y%m%d}{rid % 100000:05d}" if settled and paid else None}


def _fees(ctx: Ctx, plans: list[Plan], app_ids: list[int], people: list[dict],
          resident_ids: list[int]) -> list[dict]:
    """Management fees: settled for finished move-outs, often unpaid for open ones, yearly for a fifth of members."""
    rng, today = ctx.rng, ctx.today
    fees = []
    for plan, app_id in zip(plans, app_ids):
        status = final_state(plan.path)[0]
        if plan.type != "move_out" or status in ("rejected", "withdrawn"):
            continue
        done = plan.time_of("completed")
        settled = done is not None or rng.random() < 0.5
        kind = "waived" if settled and rng.random() < 0.1 else "paid" if settled else "unpaid"
        paid = (done or ctx.now).date() - dt.timedelta(days=rng.randint(1, 10))
        fees.append(_fee(resident_ids[plan.person], app_id, "affiliation", Decimal("600.00"), kind,
                         plan.created.date() + dt.timedelta(days=30), paid, "迁出前结清集体户管理费"))
    year_start = dt.date(today.year, 1, 1)
    for person, rid in zip(people, resident_ids):
        if person["status"] == "moved_out" or rng.random() >= 0.2:
            continue
        r = rng.random()
        status = "paid" if r < 0.65 else "unpaid" if r < 0.95 else "waived"
        paid = year_start + dt.timedelta(days=rng.randrange(max((today - year_start).days, 1)))
        fees.append(_fee(rid, None, "affiliation", Decimal(rng.choice(("600.00", "1200.00"))), status,
                         dt.date(today.year, 3, 31), paid, f"{today.year}年度集体户管理费"))
    return fees

