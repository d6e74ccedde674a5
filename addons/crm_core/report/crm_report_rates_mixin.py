from odoo import api, models
from odoo.tools import SQL


class CrmReportRatesMixin(models.AbstractModel):
    """Rates of SQL-view reports, aggregated as the ratio of the sums of their
    numerator and denominator (never as the mean of the rows' rates), and empty
    where there is no denominator: a rate then always compares the same population,
    whatever the grouping.

    A report lists its rates in ``_report_rates()``; ``_select_rates(alias)`` gives
    the row-level columns for a query wrapped around the grouped facts.
    """

    _name = "crm.report.rates.mixin"
    _description = "Report Rates"

    @api.model
    def _report_rates(self):
        """``{rate field: (numerator field, denominator field, factor)}``"""
        return {}

    @property
    def _table_query(self):
        """The facts grouped by the report's pieces, with their rates around them. A
        report that extends another addon's keeps that report's own query."""
        return SQL(
            "SELECT facts.*, %s FROM (SELECT %s FROM %s WHERE %s GROUP BY %s) AS facts",
            self._select_rates(), self._select(), self._from(), self._where(),
            self._group_by(),
        )

    @api.model
    def _select_rates(self, alias="facts"):
        """The rates of one row, from its own sums, as SQL columns."""
        return SQL(", ").join(
            SQL(
                "CASE WHEN %(alias)s.%(den)s > 0 "
                "THEN %(factor)s * %(alias)s.%(num)s::float / %(alias)s.%(den)s END AS %(name)s",
                alias=SQL.identifier(alias), num=SQL.identifier(num),
                den=SQL.identifier(den), factor=factor, name=SQL.identifier(name),
            )
            for name, (num, den, factor) in self._report_rates().items()
        )

    def _read_group_select(self, aggregate_spec, query):
        fname, __, __ = aggregate_spec.partition(":")
        rates = self._report_rates()
        if fname not in rates:
            return super()._read_group_select(aggregate_spec, query)
        num, den, factor = rates[fname]
        return SQL(
            "%(factor)s * SUM(%(num)s)::float / NULLIF(SUM(%(den)s), 0)",
            factor=factor,
            num=self._field_to_sql(self._table, num, query),
            den=self._field_to_sql(self._table, den, query),
        )
