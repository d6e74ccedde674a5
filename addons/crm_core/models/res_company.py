from datetime import datetime, time

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL


class ResCompany(models.Model):
    _inherit = "res.company"

    crm_fallback_user_id = fields.Many2one(
        "res.users",
        string="Default CRM Responsible",
        domain="[('share', '=', False), ('company_ids', 'in', id)]",
        help="Gets the follow-up activities the suite creates (customer care, detractor "
        "call-backs, ...) when a customer has no salesperson and no team leader applies.",
    )
    crm_collection_reminder_days = fields.Integer(
        string="Remind of Instalments (Days Before)", default=3,
        help="The salesperson gets an activity this many days before an instalment of a "
        "payment plan is due (0: on the day), and another once it is overdue.",
    )

    @api.constrains("crm_collection_reminder_days")
    def _check_crm_collection_reminder_days(self):
        for company in self:
            if not 0 <= company.crm_collection_reminder_days <= 365:
                raise ValidationError(self.env._(
                    "Remind of instalments between 0 and 365 days before they are due, "
                    "not %(days)s.", days=company.crm_collection_reminder_days,
                ))

    def _crm_tz(self):
        """The company's time zone, in which the suite counts its days, weeks and
        months: the time zone of the company's address (its partner), else the one of
        its working hours, else UTC."""
        self.ensure_one()
        calendar = self["resource_calendar_id"] if "resource_calendar_id" in self._fields \
            else False
        name = self.partner_id.tz or (calendar and calendar.tz) or "UTC"
        return name if name in pytz.all_timezones_set else "UTC"

    def _crm_today(self):
        """Today's date in the company's time zone."""
        return self._crm_local_date(fields.Datetime.now())

    def _crm_local_date(self, moment):
        """The company's day of ``moment`` (a naive UTC datetime, as the ORM stores it)."""
        return pytz.utc.localize(moment).astimezone(pytz.timezone(self._crm_tz())).date()

    def _crm_day_start(self, day):
        """The naive UTC datetime at which the company's ``day`` begins: a date range
        ``[start(day), start(day + n))`` on a datetime column is the company's days."""
        local = pytz.timezone(self._crm_tz()).localize(datetime.combine(day, time.min))
        return local.astimezone(pytz.utc).replace(tzinfo=None)

    def _crm_local_date_sql(self, column):
        """SQL of the company's day of a datetime ``column`` (an ``SQL`` expression of
        a naive UTC timestamp): ``(column AT TIME ZONE 'UTC' AT TIME ZONE tz)::date``."""
        return SQL("((%s AT TIME ZONE 'UTC') AT TIME ZONE %s)::date", column, self._crm_tz())

    def _crm_local_date_sql_by_company(self, column, company_column):
        """SQL of the day of a datetime ``column`` in the time zone of the company whose
        id is in ``company_column``, row by row: for reports over several companies.
        Same rule as ``_crm_tz`` (address, then working hours, then UTC; a row without
        company is in UTC)."""
        return SQL(
            "((%s AT TIME ZONE 'UTC') AT TIME ZONE %s)::date",
            column, self._crm_tz_sql_by_company(company_column),
        )

    def _crm_day_start_sql_by_company(self, day, company_column):
        """SQL of the naive UTC timestamp at which the ``day`` (an SQL date) of the
        company whose id is in ``company_column`` begins, row by row: the SQL twin of
        ``_crm_day_start``, for a query that must not read the companies first."""
        return SQL(
            "((%s)::timestamp AT TIME ZONE %s) AT TIME ZONE 'UTC'",
            day, self._crm_tz_sql_by_company(company_column),
        )

    def _crm_tz_sql_by_company(self, company_column):
        """SQL of the time zone name of the company whose id is in ``company_column``
        (same rule as ``_crm_tz``; 'UTC' where there is no company).

        The time zones of all the companies are read once per query, as a JSON object
        ``{company id: time zone}`` (an uncorrelated subquery, which PostgreSQL
        evaluates once), not once per row: the expression stays cheap on a million
        orders, and right in a view, which reads the companies when it is queried."""
        # what the query reads of the companies is in the database
        self.env["res.partner"].flush_model(["tz"])
        self.flush_model(["partner_id"])
        if "resource_calendar_id" in self._fields:
            self.env["resource.calendar"].flush_model(["tz"])
            self.flush_model(["resource_calendar_id"])
            calendar_tz = SQL("calendar.tz")
            calendar = SQL(
                "LEFT JOIN resource_calendar calendar "
                "ON calendar.id = company.resource_calendar_id"
            )
        else:
            calendar_tz, calendar = SQL("NULL"), SQL()
        return SQL(
            """COALESCE(
                   (SELECT jsonb_object_agg(company.id,
                                            COALESCE(NULLIF(address.tz, ''), %(calendar_tz)s))
                      FROM res_company company
                      JOIN res_partner address ON address.id = company.partner_id
                      %(calendar)s
                   ) ->> (%(company)s)::text, 'UTC')""",
            company=company_column, calendar_tz=calendar_tz, calendar=calendar,
        )
