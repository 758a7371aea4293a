"""Each question people ask of a large history uses the index made for it, on both engines."""

from __future__ import annotations

from itertools import cycle

from core.db import Database
from tests.support.history import generate
from tests.support.plans import QUESTIONS, explain, uses

# Enough reports that the planners prefer an index to reading the table where it helps.
REPORTS = 20_000


def test_every_question_uses_the_index_made_for_it(db: Database) -> None:
    history = generate(db, reports=REPORTS)
    missing = []
    for question in QUESTIONS:
        for index, explained in zip(cycle(question.indexes), explain(db, question, history)):
            if not uses(explained.plan, index):
                missing.append((question.title, index, explained.plan))
    assert missing == []
