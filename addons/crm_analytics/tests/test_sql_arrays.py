from unittest.mock import patch

import numpy as np

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.crm_analytics.tools import sql_arrays
from odoo.addons.crm_analytics.tools.sql_arrays import (
    NumberRows,
    read_numbers,
    read_numbers_in_chunks,
)


@tagged("post_install", "-at_install")
class TestSqlArrays(TransactionCase):
    """The engine's numbers go to the database and come back through COPY's binary
    format: every value as it was, NaN as NaN (NULL where the reading statement
    says so), in the order of the rows, over several chunks."""

    def setUp(self):
        super().setUp()
        self.env.cr.execute(
            "CREATE TEMPORARY TABLE test_numbers (a double precision, b double precision, "
            "c double precision) ON COMMIT DROP")
        self.table = SQL.identifier("test_numbers")

    def _write(self, columns, rows=None):
        with NumberRows(len(columns)) as spool:
            spool.add(columns, rows)
            spool.copy_into(self.env.cr, self.table)

    def _read(self):
        return read_numbers(self.env.cr, [SQL("a"), SQL("b"), SQL("c")], self.table,
                            order=SQL("a"))

    def test_round_trip_over_chunks(self):
        ids = np.arange(1, 12, dtype=np.int64) * 1_000_003
        amounts = np.array([0.1, -2.5, 1e12 + 0.01, 123.45, np.nan, 0.0, 7.0, 1 / 3,
                            -0.0, 99999.99, 5e-7])
        codes = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], dtype=np.int8)
        # chunks of 4 rows, written (to a file beyond 100 bytes) and read: the last
        # one is shorter; the database sends its rows one by one
        with patch.object(sql_arrays, "CHUNK_ROWS", 4), \
                patch.object(sql_arrays, "SPOOL_MEMORY", 100):
            self._write([ids, amounts, codes])
            data = self._read()
        self.assertEqual(data.shape, (11, 3))
        np.testing.assert_array_equal(data[:, 0], ids)
        np.testing.assert_array_equal(data[:, 1], amounts)
        np.testing.assert_array_equal(data[:, 2], codes)
        # the database has them as numbers (NaN read as NULL where asked)
        self.env.cr.execute(
            "SELECT a::integer, ROUND(NULLIF(b, 'NaN')::numeric, 2)::text FROM test_numbers "
            "WHERE c IN (3, 4) ORDER BY a")
        self.assertEqual(self.env.cr.fetchall(),
                         [(4_000_012, "123.45"), (5_000_015, None)])

    def test_rows_subset_and_nothing(self):
        values = np.array([10.0, 20.0, 30.0, 40.0])
        self._write([values, values * 2, values * 3],
                      rows=np.array([], dtype=np.int64))
        self.assertEqual(len(self._read()), 0)
        self._write([values, values * 2, values * 3],
                      rows=np.array([3, 1]))
        np.testing.assert_array_equal(self._read(), [[20.0, 40.0, 60.0],
                                                     [40.0, 80.0, 120.0]])

    def test_chunks_and_an_error_while_reading(self):
        values = np.arange(10, dtype=np.float64)
        self._write([values, -values, values * 0.5])
        chunks = []
        with patch.object(sql_arrays, "CHUNK_ROWS", 3):
            read_numbers_in_chunks(self.env.cr, [SQL("a"), SQL("c")], self.table,
                                   SQL("a DESC"), chunks.append)
        self.assertEqual([len(chunk) for chunk in chunks], [3, 3, 3, 1])
        np.testing.assert_array_equal(np.concatenate(chunks),
                                      np.column_stack([values, values * 0.5])[::-1])

        # what fails with a chunk is raised once the COPY is read to its end: the
        # connection serves the next statement
        def fail(chunk):
            if chunk[0, 0] < 5:
                raise ValueError("no such customer")

        with patch.object(sql_arrays, "CHUNK_ROWS", 3), \
                self.assertRaisesRegex(ValueError, "no such customer"):
            read_numbers_in_chunks(self.env.cr, [SQL("a")], self.table, SQL("a DESC"), fail)
        self.env.cr.execute("SELECT COUNT(*) FROM test_numbers")
        self.assertEqual(self.env.cr.fetchone()[0], 10)
