"""Arrays of numbers between PostgreSQL and NumPy, without a Python object per value:
sent as one array literal the database parses at once, read through COPY's binary
format."""
import io

import numpy as np

from odoo.tools import SQL


def array_literal(values):
    """A PostgreSQL array literal of numbers, ``{1,2.5,NULL,...}`` (NaN is NULL): one
    string parameter that the database parses at once, where a list would become an
    ARRAY[...] expression of as many parameters."""
    # (no other number's repr contains "nan")
    return "{{{}}}".format(
        ",".join(map(repr, np.asarray(values).tolist())).replace("nan", "NULL"))


def label_array_literal(values):
    """A PostgreSQL array literal of labels (selection values: letters and
    underscores, nothing to quote; None is NULL), as ``array_literal``."""
    return "{{{}}}".format(",".join("NULL" if value is None else value for value in values))


def read_numbers(cr, columns, table):
    """The ``columns`` (SQL expressions of numbers; NULL reads as NaN) of
    the rows of ``table``, as a 2-D float array: through COPY's binary format, which
    numpy reads as it comes, without a Python object per value (a hundred thousand
    customers' thirty figures are three million of them)."""
    values = SQL(", ").join(SQL("COALESCE((%s)::double precision, 'NaN')", column)
                            for column in columns)
    buffer = io.BytesIO()
    cr.copy_expert(cr.mogrify(SQL(
        "COPY (SELECT %s FROM %s) TO STDOUT WITH (FORMAT binary)", values, table,
    )).decode(), buffer)
    raw = buffer.getbuffer()
    # a header (signature, flags, the length of an extension), then each row: its
    # number of fields (2 bytes), each field's length (4) and value (8, big-endian),
    # then a trailer (2)
    start = 19 + int.from_bytes(raw[15:19], "big")
    width = len(columns)
    size = 2 + 12 * width
    count = (len(raw) - start - 2) // size
    rows = np.frombuffer(raw, dtype=np.uint8, offset=start, count=count * size)
    # the bytes of the values, gathered at once
    at = (2 + 4 + 12 * np.arange(width))[:, None] + np.arange(8)
    values = np.ascontiguousarray(rows.reshape(count, size)[:, at.ravel()])
    return values.view(">f8").astype(np.float64)
