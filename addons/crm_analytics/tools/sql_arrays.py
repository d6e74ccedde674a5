"""Arrays of numbers between PostgreSQL and NumPy, without a Python object per value:
both ways through COPY's binary format, which numpy makes and reads at once."""
import io

import numpy as np

from odoo.tools import SQL

# COPY's binary format: a header (signature, flags, the length of an extension), then
# each row: its number of fields (2 bytes), each field's length (4) and value (8,
# big-endian for a double precision), then a trailer (2)
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
COPY_HEADER = COPY_SIGNATURE + bytes(8)
COPY_TRAILER = b"\xff\xff"


class _CopyRows(io.RawIOBase):
    """The rows at the indices ``at`` of ``columns`` (arrays of numbers) in COPY's
    binary format, each value a double precision: a stream made chunk by chunk as
    the database reads it, never whole in memory."""

    CHUNK_ROWS = 20000

    def __init__(self, columns, at):
        super().__init__()
        self._chunks = self._make_chunks(columns, at)
        self._pending = memoryview(b"")

    @classmethod
    def _make_chunks(cls, columns, at):
        yield COPY_HEADER
        row = np.dtype([("count", ">i2"), *(
            item for index in range(len(columns))
            for item in ((f"length{index}", ">i4"), (f"value{index}", ">f8")))])
        for start in range(0, len(at), cls.CHUNK_ROWS):
            chunk = at[start:start + cls.CHUNK_ROWS]
            rows = np.empty(len(chunk), dtype=row)
            rows["count"] = len(columns)
            for index, values in enumerate(columns):
                rows[f"length{index}"] = 8
                rows[f"value{index}"] = values[chunk]
            yield rows.tobytes()
        yield COPY_TRAILER

    def readable(self):
        return True

    def readinto(self, buffer):
        while not len(self._pending):
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def write_numbers(cr, table, columns, rows=None):
    """Append to ``table`` (its columns in the order of ``columns``, each of type
    double precision) the values of ``columns`` (arrays of numbers of one length;
    NaN stays NaN: the statement reading them turns it into NULL where it means
    none), only the rows at the indices ``rows`` if given: through COPY's binary
    format, made by numpy as the database reads it, without a Python object per
    value nor the whole of the rows in memory at once.

    :param table: the table, as SQL
    """
    # (each chunk converts its values: no copy of the columns as double precision)
    columns = [np.asarray(values) for values in columns]
    at = np.arange(len(columns[0])) if rows is None else np.asarray(rows)
    cr.copy_expert(
        cr.mogrify(SQL("COPY %s FROM STDIN WITH (FORMAT binary)", table)).decode(),
        _CopyRows(columns, at), size=1 << 20)


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
    # (see COPY_HEADER)
    start = 19 + int.from_bytes(raw[15:19], "big")
    width = len(columns)
    size = 2 + 12 * width
    count = (len(raw) - start - 2) // size
    rows = np.frombuffer(raw, dtype=np.uint8, offset=start, count=count * size)
    # the bytes of the values, gathered at once
    at = (2 + 4 + 12 * np.arange(width))[:, None] + np.arange(8)
    values = np.ascontiguousarray(rows.reshape(count, size)[:, at.ravel()])
    return values.view(">f8").astype(np.float64)
