"""Database constraints that hold even when application checks race."""
import datetime as dt

from app import clock

import pytest
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import PageLoan


def test_second_open_loan_for_one_resident_is_refused(app, world):
    today = clock.today()
    with app.app_context():
        first = PageLoan(resident_id=world["res_a2"], lent_on=today, due_on=today)
        db.session.add(first)
        db.session.commit()
        try:
            db.session.add(PageLoan(resident_id=world["res_a2"], lent_on=today, due_on=today))
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()
            first = db.session.get(PageLoan, first.id)
            first.returned_on = today  # once returned, a new loan is fine
            db.session.add(PageLoan(resident_id=world["res_a2"], lent_on=today, due_on=today, returned_on=today))
            db.session.commit()
        finally:
            db.session.rollback()
            for loan in db.session.query(PageLoan).filter_by(resident_id=world["res_a2"]).all():
                db.session.delete(loan)
            db.session.commit()
