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


def _row_dtype(width):
    """A row of ``width`` double precision values in COPY's binary format."""
    return np.dtype([("count", ">i2"), *(
        item for index in range(width)
        for item in ((f"length{index}", ">i4"), (f"value{index}", ">f8")))])


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
        row = _row_dtype(len(columns))
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


class _CopyRowsIn(io.RawIOBase):
    """The receiving end of a COPY in binary format of rows of double precision
    values (NaN for NULL): fills the rows of ``out`` (a 2-D float array of as many
    columns) chunk by chunk as the data comes, never holding the whole of it."""

    CHUNK_BYTES = 1 << 20

    def __init__(self, out):
        super().__init__()
        self.out = out
        self.count = 0
        self._row = _row_dtype(out.shape[1])
        self._pending = bytearray()
        self._started = False

    def writable(self):
        return True

    # (a file's write, which psycopg2 calls with each piece of the COPY: not the ORM's)
    def write(self, data):  # pylint: disable=method-required-super
        self._pending += data
        if len(self._pending) >= self.CHUNK_BYTES:
            self._take_rows()
        return len(data)

    def _take_rows(self):
        pending = self._pending
        if not self._started:
            # (see COPY_HEADER: the header's extension is empty, but skip it if not)
            if len(pending) < len(COPY_HEADER):
                return
            del pending[:len(COPY_HEADER) + int.from_bytes(pending[15:19], "big")]
            self._started = True
        count = len(pending) // self._row.itemsize
        if count:
            if self.count + count > len(self.out):
                raise ValueError("COPY sent more rows than counted")
            rows = np.frombuffer(pending, dtype=self._row, count=count)
            for index in range(self.out.shape[1]):
                self.out[self.count:self.count + count, index] = rows[f"value{index}"]
            del rows
            self.count += count
            del pending[:count * self._row.itemsize]

    def finish(self):
        """The rows filled, once the COPY is over."""
        self._take_rows()
        if bytes(self._pending) != COPY_TRAILER:
            raise ValueError("COPY ended without its trailer")
        return self.out[:self.count]


def read_numbers(cr, columns, table):
    """The ``columns`` (SQL expressions of numbers; NULL reads as NaN) of
    the rows of ``table``, as a 2-D float array: through COPY's binary format, which
    numpy reads as it comes, chunk by chunk into the array, without a Python object
    per value (a hundred thousand customers' twenty figures are two million of them)
    nor the whole of the data beside the array."""
    cr.execute(SQL("SELECT COUNT(*) FROM %s", table))
    receiver = _CopyRowsIn(np.empty((cr.fetchone()[0], len(columns))))
    values = SQL(", ").join(SQL("COALESCE((%s)::double precision, 'NaN')", column)
                            for column in columns)
    cr.copy_expert(cr.mogrify(SQL(
        "COPY (SELECT %s FROM %s) TO STDOUT WITH (FORMAT binary)", values, table,
    )).decode(), receiver)
    return receiver.finish()
