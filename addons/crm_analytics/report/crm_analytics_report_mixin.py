from odoo import api, models
from odoo.tools import SQL


class CrmAnalyticsReportMixin(models.AbstractModel):
    """Rates of SQL-view reports, aggregated as the ratio of the sums of their
    numerator and denominator (never as the mean of the rows' rates), and empty
    where there is no denominator: a rate then always compares the same population,
    whatever the grouping.

    A report lists its rates in ``_report_rates()``; ``_select_rates(alias)`` gives
    the row-level columns for a query wrapped around the grouped facts.
    """

    _name = "crm.analytics.report.mixin"
    _description = "Report Rates"

    @api.model
    def _report_rates(self):
        """``{rate field: (numerator field, denominator field, factor)}``"""
        return {}

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
