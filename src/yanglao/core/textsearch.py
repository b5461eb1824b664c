"""Substring search in short Chinese texts (names), fast on PostgreSQL.

A name like 张桂兰 is stored also as its characters and character pairs ("张 桂 兰 张桂 桂兰"). On
PostgreSQL a GIN full-text index over that column finds every name containing 桂兰 without
reading the table; the exact ``LIKE`` then confirms it. Trigram indexes do not help here: a
two-character query has no trigram. Other databases simply use ``LIKE``.
"""

import itertools
import re

from django.db import models
from django.db.models import Lookup

_WORD = re.compile(r"\w", re.UNICODE)


def grams(text: str) -> str:
    chars = [c for c in text if _WORD.match(c)]
    pairs = [a + b for a, b in itertools.pairwise(chars)]
    return " ".join(dict.fromkeys(chars + pairs))


def gram_query(text: str) -> str:
    """The tsquery that a text's grams must all match: its pairs, or its one character."""
    chars = [c for c in text if _WORD.match(c)]
    terms = [a + b for a, b in itertools.pairwise(chars)] or chars
    return " & ".join(dict.fromkeys(terms))


class GramsField(models.TextField):
    """The grams of another column; query it with ``<field>__grams=<text>`` (PostgreSQL only)."""


@GramsField.register_lookup
class GramsMatch(Lookup):
    lookup_name = "grams"

    def get_db_prep_lookup(self, value, connection):
        return "%s", [gram_query(value)]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"to_tsvector('simple', {lhs}) @@ to_tsquery('simple', {rhs})", [*lhs_params, *rhs_params]

    def as_sql(self, compiler, connection):  # pragma: no cover - the selector uses LIKE elsewhere
        raise NotImplementedError("gram search needs PostgreSQL; use LIKE on the source column")
