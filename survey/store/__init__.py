"""The store: the only package that opens DuckDB or holds SQL.

core.py      connections, transactions, migrations, collection (points, codes, drafts, submissions)
analytics.py the leaders' figures: aggregates with small-group suppression, computed in SQL
"""

from survey.store.core import (ANSWER_COLUMNS, AlreadySubmitted, CodeError, Draft, InvalidAnswers, PeriodClosed,
                               Point, PublishRefused, Receipt, Respondent, Store, StoreError,
                               StoreLockedError, answer_row)

__all__ = ["ANSWER_COLUMNS", "AlreadySubmitted", "CodeError", "Draft", "InvalidAnswers", "PeriodClosed", "Point",
           "PublishRefused", "Receipt", "Respondent", "Store", "StoreError", "StoreLockedError",
           "answer_row"]
