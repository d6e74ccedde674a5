"""Arrays of numbers between PostgreSQL and NumPy, without a Python object per value:
both ways through COPY's binary format, which numpy makes and reads at once, chunk
by chunk: the whole of the data is never in memory beside the arrays."""
import io
import tempfile

import numpy as np

from odoo.tools import SQL

# COPY's binary format: a header (signature, flags, the length of an extension), then
# each row: its number of fields (2 bytes), each field's length (4) and value (8,
# big-endian for a double precision), then a trailer (2)
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
COPY_HEADER = COPY_SIGNATURE + bytes(8)
COPY_TRAILER = b"\xff\xff"
# Rows of the database turned into numbers at once
CHUNK_ROWS = 50000
# What a spool of rows to write keeps in memory before it goes to a temporary file
SPOOL_MEMORY = 4 << 20


def _row_dtype(width):
    """A row of ``width`` double precision values in COPY's binary format."""
    return np.dtype([("count", ">i2"), *(
        item for index in range(width)
        for item in ((f"length{index}", ">i4"), (f"value{index}", ">f8")))])


class NumberRows:
    """Rows of numbers to write to a table, in COPY's binary format, each value a
    double precision (NaN stays NaN: the statement reading them turns it into NULL
    where it means none): made by numpy as they are added, kept in a temporary file
    beyond ``SPOOL_MEMORY``, sent by one COPY. A context manager: the file goes
    when it ends."""

    def __init__(self, width):
        self.width = width
        self._row = _row_dtype(width)
        # (closed by __exit__)
        self._file = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115
        self._file.write(COPY_HEADER)

    def __enter__(self):
        return self

    def __exit__(self, *_error):
        self._file.close()

    def add(self, columns, rows=None):
        """Add the rows of ``columns`` (arrays of numbers of one length, in the
        order of the table's columns), only those at the indices ``rows`` if given."""
        at = np.arange(len(columns[0])) if rows is None else np.asarray(rows)
        for start in range(0, len(at), CHUNK_ROWS):
            chunk = at[start:start + CHUNK_ROWS]
            data = np.empty(len(chunk), dtype=self._row)
            data["count"] = self.width
            for index, values in enumerate(columns):
                data[f"length{index}"] = 8
                data[f"value{index}"] = np.asarray(values)[chunk]
            self._file.write(data.tobytes())

    def copy_into(self, cr, table):
        """Append the rows to ``table`` (SQL: its columns of type double precision,
        as many, in the order of the rows' values)."""
        self._file.write(COPY_TRAILER)
        self._file.seek(0)
        cr.copy_expert(
            cr.mogrify(SQL("COPY %s FROM STDIN WITH (FORMAT binary)", table)).decode(),
            self._file, size=1 << 20)


class _CopyRowsIn(io.RawIOBase):
    """The receiving end of a COPY in binary format of rows of double precision
    values (NaN for NULL): hands them to ``take`` as 2-D float arrays of up to
    ``CHUNK_ROWS`` rows as the data comes. An error of ``take`` stops nothing (the
    connection must read the COPY to its end): the rest is dropped and ``finish``
    raises it."""

    def __init__(self, width, take):
        super().__init__()
        self._width = width
        self._take = take
        self._row = _row_dtype(width)
        self._pending = bytearray()
        self._started = False
        self._error = None

    def writable(self):
        return True

    # (a file's write, which psycopg2 calls with each piece of the COPY: not the ORM's)
    def write(self, data):  # pylint: disable=method-required-super
        if self._error is None:
            self._pending += data
            if len(self._pending) >= CHUNK_ROWS * self._row.itemsize:
                try:
                    self._take_rows()
                except Exception as error:  # (raised again by finish)
                    self._error = error
                    # (a new buffer: an array of the failed chunk may still view the old)
                    self._pending = bytearray()
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
            rows = np.frombuffer(pending, dtype=self._row, count=count)
            values = np.empty((count, self._width))
            for index in range(self._width):
                values[:, index] = rows[f"value{index}"]
            del rows
            del pending[:count * self._row.itemsize]
            self._take(values)

    def finish(self):
        """Once the COPY is over: the last rows handed over, or the error raised."""
        if self._error is None:
            self._take_rows()
            if bytes(self._pending) != COPY_TRAILER:
                raise ValueError("COPY ended without its trailer")
        if self._error is not None:
            raise self._error


def read_numbers(cr, columns, table, order=None):
    """The ``columns`` (SQL expressions of numbers; NULL reads as NaN) of the rows
    of ``table`` (SQL, in the order ``order`` if given), as a 2-D float array:
    through COPY's binary format, converted chunk by chunk into an array sized by a
    count beforehand, without a Python object per value (a hundred thousand
    customers' twenty figures are two million of them)."""
    cr.execute(SQL("SELECT COUNT(*) FROM %s", table))
    out = np.empty((cr.fetchone()[0], len(columns)))
    filled = 0

    def take(values):
        nonlocal filled
        if filled + len(values) > len(out):
            raise ValueError("COPY sent more rows than counted")
        out[filled:filled + len(values)] = values
        filled += len(values)

    read_numbers_in_chunks(cr, columns, table, order, take)
    return out[:filled]


def read_numbers_in_chunks(cr, columns, table, order, take):
    """Hand the ``columns`` of the rows of ``table`` in the order ``order`` (as
    ``read_numbers``) to ``take``, by chunks of up to ``CHUNK_ROWS`` rows (2-D float
    arrays) as they come: what is done with one chunk is done before the next is
    read, and only a chunk is in memory. ``take`` cannot query the database (the
    connection is reading the COPY): what it needs is read before."""
    values = SQL(", ").join(SQL("COALESCE((%s)::double precision, 'NaN')", column)
                            for column in columns)
    receiver = _CopyRowsIn(len(columns), take)
    cr.copy_expert(cr.mogrify(SQL(
        "COPY (SELECT %s FROM %s %s) TO STDOUT WITH (FORMAT binary)", values, table,
        SQL("ORDER BY %s", order) if order else SQL(),
    )).decode(), receiver)
    receiver.finish()
