from odoo import api, fields, models
from odoo.tools import SQL

# in the order the grouped list shows them (the codes' alphabetical order); crm_service
# adds its own
TODO_CATEGORIES = [
    ("activity_overdue", "Overdue Activities"),
    ("activity_today", "Today's Activities"),
    ("customer_new", "New Customers Assigned to Me"),
    ("customer_recall", "Customers about to Be Recalled"),
    ("instalment_due", "Instalments Due"),
    ("instalment_overdue", "Overdue Instalments"),
    ("opportunity_close", "Opportunities to Close"),
]
# customers assigned within these days are new; customers recalled within these are soon
NEW_CUSTOMER_DAYS = 7
RECALL_SOON_DAYS = 7
# the id of a row: its category's place times this, plus the id of what it shows
ID_STEP = 10**12


class CrmTodo(models.Model):
    """A salesperson's day (待办): what to do today, from the host's records (their
    activities, opportunities, customers, instalments; complaints with crm_service),
    one row per item, grouped by what it is. A row opens its record."""

    _name = "crm.todo"
    _description = "My Day"
    _auto = False
    _order = "category_sequence, date, id"
    _rec_name = "name"
    _depends = {
        "mail.activity": ["active", "date_deadline", "res_model", "res_id", "res_name",
                          "summary", "user_id"],
        "res.users": ["company_id"],
        "crm.lead": ["active", "type", "stage_id", "user_id", "date_deadline", "name",
                     "partner_id", "expected_revenue", "company_id"],
        "res.partner": ["user_id", "crm_pool_id", "crm_recall_date", "name"],
        "crm.owner.change": ["partner_id", "new_user_id", "reason", "date", "company_id"],
        "crm.collection.plan": ["state", "user_id", "date_planned", "amount_outstanding",
                                "partner_id", "company_id", "order_id"],
        "sale.order": ["name"],
    }

    category = fields.Selection(TODO_CATEGORIES, readonly=True)
    category_sequence = fields.Integer(readonly=True)
    name = fields.Char(string="What", readonly=True)
    date = fields.Date(readonly=True)
    res_model = fields.Char(string="Document Model", readonly=True)
    res_id = fields.Many2oneReference(string="Document", model_field="res_model",
                                      readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    # amounts of several currencies: shown on each row, never summed
    amount = fields.Monetary(readonly=True, currency_field="currency_id", aggregator=None)
    currency_id = fields.Many2one("res.currency", readonly=True)
    is_late = fields.Boolean(string="Late", readonly=True)

    @api.model
    def _crm_todo_categories(self):
        return [code for code, _label in self._fields["category"].selection]

    def _crm_today_sql(self, company_column):
        return self.env["res.company"]._crm_local_date_sql_by_company(
            SQL("now() AT TIME ZONE 'UTC'"), company_column)

    def _crm_row(self, category, **columns):
        """SQL of the select list of one kind of rows, in the view's column order."""
        place = self._crm_todo_categories().index(category) + 1
        return SQL(
            "%(place)s::bigint * %(step)s + %(id)s AS id, %(category)s AS category, "
            "%(place)s AS category_sequence, %(name)s AS name, %(date)s AS date, "
            "%(model)s AS res_model, %(res_id)s AS res_id, %(partner)s AS partner_id, "
            "%(user)s AS user_id, %(company)s AS company_id, %(amount)s AS amount, "
            "%(currency)s AS currency_id, %(late)s AS is_late",
            place=place, step=ID_STEP, category=category, id=columns["id"],
            name=columns["name"], date=columns.get("date", SQL("NULL::date")),
            model=columns["model"], res_id=columns["res_id"],
            partner=columns.get("partner", SQL("NULL::int")), user=columns["user"],
            company=columns.get("company", SQL("NULL::int")),
            amount=columns.get("amount", SQL("NULL::numeric")),
            currency=columns.get("currency", SQL("NULL::int")),
            late=columns.get("late", SQL("FALSE")),
        )

    def _crm_todo_queries(self):
        """The SELECTs whose union is the view: one per kind of row."""
        today_user = self._crm_today_sql(SQL("users.company_id"))
        activity = {
            "id": SQL("act.id"), "name": SQL("COALESCE(NULLIF(act.summary, ''), act.res_name)"),
            "date": SQL("act.date_deadline"), "model": SQL("act.res_model"),
            "res_id": SQL("act.res_id"), "user": SQL("act.user_id"),
            "company": SQL("users.company_id"),
            "partner": SQL("CASE act.res_model WHEN 'res.partner' THEN act.res_id "
                           "WHEN 'crm.lead' THEN act_lead.partner_id "
                           "WHEN 'sale.order' THEN act_order.partner_id END"),
        }
        activities = SQL(
            "mail_activity act JOIN res_users users ON users.id = act.user_id "
            "LEFT JOIN crm_lead act_lead ON act.res_model = 'crm.lead' "
            "AND act_lead.id = act.res_id "
            "LEFT JOIN sale_order act_order ON act.res_model = 'sale.order' "
            "AND act_order.id = act.res_id")
        today_plan = self._crm_today_sql(SQL("plan.company_id"))
        instalment = {
            "id": SQL("plan.id"), "name": SQL("so.name"), "date": SQL("plan.date_planned"),
            "model": SQL("'crm.collection.plan'"), "res_id": SQL("plan.id"),
            "partner": SQL("plan.partner_id"), "user": SQL("plan.user_id"),
            "company": SQL("plan.company_id"), "amount": SQL("plan.amount_outstanding"),
            "currency": SQL("plan.currency_id"),
        }
        today_lead = self._crm_today_sql(SQL("lead.company_id"))
        today_partner = self._crm_today_sql(SQL("pool.company_id"))
        return [
            SQL(
                "SELECT %s FROM %s WHERE act.active AND act.date_deadline < %s",
                self._crm_row("activity_overdue", **activity, late=SQL("TRUE")), activities,
                today_user),
            SQL(
                "SELECT %s FROM %s WHERE act.active AND act.date_deadline = %s",
                self._crm_row("activity_today", **activity), activities, today_user),
            SQL(
                """
                SELECT %s FROM crm_lead lead
                  LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                  LEFT JOIN res_company company ON company.id = lead.company_id
                 WHERE lead.active AND lead.type = 'opportunity' AND lead.user_id IS NOT NULL
                   AND NOT COALESCE(stage.is_won, FALSE) AND lead.date_deadline <= %s
                """,
                self._crm_row(
                    "opportunity_close", id=SQL("lead.id"), name=SQL("lead.name"),
                    date=SQL("lead.date_deadline"), model=SQL("'crm.lead'"),
                    res_id=SQL("lead.id"), partner=SQL("lead.partner_id"),
                    user=SQL("lead.user_id"), company=SQL("lead.company_id"),
                    amount=SQL("lead.expected_revenue"), currency=SQL("company.currency_id"),
                    late=SQL("lead.date_deadline < %s", today_lead)),
                today_lead,
            ),
            SQL(
                """
                SELECT %s FROM res_partner partner
                  JOIN crm_customer_pool pool ON pool.id = partner.crm_pool_id
                 WHERE partner.user_id IS NOT NULL AND partner.crm_recall_date IS NOT NULL
                   AND partner.crm_recall_date <= %s + %s
                """,
                self._crm_row(
                    "customer_recall", id=SQL("partner.id"), name=SQL("partner.name"),
                    date=SQL("partner.crm_recall_date"), model=SQL("'res.partner'"),
                    res_id=SQL("partner.id"), partner=SQL("partner.id"),
                    user=SQL("partner.user_id"), company=SQL("pool.company_id"),
                    late=SQL("partner.crm_recall_date <= %s", today_partner)),
                today_partner, RECALL_SOON_DAYS,
            ),
            SQL(
                """
                SELECT %s FROM crm_owner_change change
                  JOIN res_partner partner ON partner.id = change.partner_id
                                          AND partner.user_id = change.new_user_id
                 WHERE change.reason != 'recall'
                   AND change.date >= (now() AT TIME ZONE 'UTC') - %s * INTERVAL '1 day'
                   AND change.id = (SELECT MAX(last.id) FROM crm_owner_change last
                                     WHERE last.partner_id = change.partner_id)
                """,
                self._crm_row(
                    "customer_new", id=SQL("change.id"), name=SQL("partner.name"),
                    date=self.env["res.company"]._crm_local_date_sql_by_company(
                        SQL("change.date"), SQL("change.company_id")),
                    model=SQL("'res.partner'"),
                    res_id=SQL("partner.id"), partner=SQL("partner.id"),
                    user=SQL("change.new_user_id"), company=SQL("change.company_id")),
                NEW_CUSTOMER_DAYS,
            ),
            SQL(
                """
                SELECT %s FROM crm_collection_plan plan JOIN sale_order so ON so.id = plan.order_id
                 WHERE plan.state = 'overdue' AND plan.user_id IS NOT NULL
                """,
                self._crm_row("instalment_overdue", **instalment, late=SQL("TRUE")),
            ),
            SQL(
                """
                SELECT %s FROM crm_collection_plan plan JOIN sale_order so ON so.id = plan.order_id
                  JOIN res_company company ON company.id = plan.company_id
                 WHERE plan.state IN ('planned', 'partial') AND plan.user_id IS NOT NULL
                   AND plan.amount_outstanding > 0
                   AND plan.date_planned <= %s + company.crm_collection_reminder_days
                """,
                self._crm_row("instalment_due", **instalment), today_plan,
            ),
        ]

    @property
    def _table_query(self):
        return SQL(" UNION ALL ").join(self._crm_todo_queries())

    def action_open(self):
        """Open the record the row shows."""
        self.ensure_one()
        record = self.env[self.res_model].browse(self.res_id)
        action = record.get_formview_action()
        action["target"] = "current"
        return action
