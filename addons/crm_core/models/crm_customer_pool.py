from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .res_partner import CUSTOMER_TIERS

RECALL_KINDS = [
    ("no_followup", "No follow-up"),
    ("no_opportunity", "No open opportunity"),
    ("no_purchase", "Not yet a buyer"),
]
# ten years: a longer period is a typing mistake
MAX_DAYS = 3650
MAX_CAP = 100000


class CrmCustomerPool(models.Model):
    """A customer pool (公海) of a company: the customers nobody follows up come back
    to it after the days of its rules, and its members claim them, within caps.

    A customer belongs to at most one pool (``res.partner.crm_pool_id``): owned by a
    salesperson, it returns there when recalled; unowned, it waits there to be
    claimed."""

    _name = "crm.customer.pool"
    _description = "Customer Pool"
    _inherit = ["mail.thread", "mail.activity.mixin", "crm.protected.fields.mixin"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
        tracking=True,
    )
    team_ids = fields.Many2many(
        "crm.team", string="Member Teams", check_company=True,
        help="The salespeople of these teams (members and leaders) are members of the pool.",
    )
    user_ids = fields.Many2many(
        "res.users", "crm_customer_pool_member_rel", "pool_id", "user_id",
        string="Member Salespeople", domain=[("share", "=", False)],
        help="Salespeople who are members of the pool beside those of its teams.",
    )
    manager_ids = fields.Many2many(
        "res.users", "crm_customer_pool_manager_rel", "pool_id", "user_id",
        string="Pool Managers", domain=[("share", "=", False)],
        help="They assign the pool's customers to anyone and change owners by hand; "
        "sales administrators always may.",
    )
    rule_ids = fields.One2many("crm.customer.pool.rule", "pool_id", string="Recall Rules",
                               copy=True)
    warn_days = fields.Integer(
        string="Warn Days Before", default=3,
        help="Days before a customer is recalled on which its owner gets a warning "
        "(0: no warning).",
    )
    warn_mode = fields.Selection(
        [("customer", "One activity per customer"), ("summary", "One summary activity")],
        string="Warning", default="customer", required=True,
    )
    max_owned = fields.Integer(
        string="Owned Customers Cap", default=0,
        help="Claims are refused to a member who owns this many customers of the pool "
        "(0: no cap). Lowering it takes nobody's customers: it refuses new claims.",
    )
    max_claims_per_day = fields.Integer(
        string="Claims per Day", default=0,
        help="Claims a member may make in one day of the company (0: no cap).",
    )
    cooldown_days = fields.Integer(
        default=0,
        help="A member cannot claim back a customer lost less than this many days ago.",
    )
    max_locked = fields.Integer(
        string="Locked Customers Cap", default=5,
        help="Customers a salesperson may lock (锁定) against recall (0: locking is off).",
    )
    exempt_won = fields.Boolean(
        string="Keep Customers with a Won Deal", default=True,
        help="Customers with a won opportunity are never recalled.",
    )
    release_opportunities = fields.Boolean(
        string="Clear the Opportunities' Salesperson",
        help="When a customer is recalled, its open opportunities lose their salesperson "
        "too (otherwise they keep it).",
    )
    partner_count = fields.Integer(
        string="Customers in the Pool", compute="_compute_partner_counts")
    owned_count = fields.Integer(
        string="Owned Customers", compute="_compute_partner_counts")

    @api.model
    def _crm_manager_group(self):
        return "sales_team.group_sale_manager"

    @api.constrains("warn_days", "cooldown_days", "max_owned", "max_claims_per_day",
                    "max_locked")
    def _check_numbers(self):
        for pool in self:
            for fname, limit in (("warn_days", MAX_DAYS), ("cooldown_days", MAX_DAYS),
                                 ("max_owned", MAX_CAP), ("max_claims_per_day", MAX_CAP),
                                 ("max_locked", MAX_CAP)):
                if not 0 <= pool[fname] <= limit:
                    raise ValidationError(self.env._(
                        "%(field)s of the pool %(pool)s must be between 0 and %(limit)s.",
                        field=self._fields[fname]._description_string(self.env),
                        pool=pool.display_name, limit=limit,
                    ))

    def _compute_partner_counts(self):
        Partner = self.env["res.partner"].sudo()
        pooled = dict(Partner._read_group(
            [("crm_pool_id", "in", self.ids), ("user_id", "=", False)],
            ["crm_pool_id"], ["__count"]))
        owned = dict(Partner._read_group(
            [("crm_pool_id", "in", self.ids), ("user_id", "!=", False)],
            ["crm_pool_id"], ["__count"]))
        for pool in self:
            pool.partner_count = pooled.get(pool, 0)
            pool.owned_count = owned.get(pool, 0)

    # membership ----------------------------------------------------------------

    def _crm_member_users(self):
        """The users who are members of these pools: named, or in their teams."""
        return (self.user_ids | self.team_ids.member_ids | self.team_ids.user_id).filtered(
            "active")

    def _crm_is_manager(self, user=None):
        user = user or self.env.user
        return user.has_group("sales_team.group_sale_manager") or user in self.manager_ids

    @api.model
    def _crm_pools_of(self, user, company):
        """The active pools of ``company`` that ``user`` is a member of, first first."""
        return self.sudo().search([
            ("company_id", "=", company.id),
            "|", "|", ("user_ids", "in", [user.id]), ("team_ids.member_ids", "in", [user.id]),
            ("team_ids.user_id", "=", user.id),
        ])

    # actions -------------------------------------------------------------------

    def action_view_customers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_core.res_partner_action_customer_pool")
        action["domain"] = [("crm_pool_id", "=", self.id)]
        action["context"] = {"search_default_filter_in_pool": 1}
        return action

    def write(self, vals):
        res = super().write(vals)
        if {"team_ids", "user_ids", "active", "exempt_won"} & set(vals):
            self.env["res.partner"]._crm_attach_owned_to_pools(self)
            self.env["res.partner"]._crm_refresh_recall(pool_ids=self.ids)
        return res

    @api.model_create_multi
    def create(self, vals_list):
        pools = super().create(vals_list)
        self.env["res.partner"]._crm_attach_owned_to_pools(pools)
        self.env["res.partner"]._crm_refresh_recall(pool_ids=pools.ids)
        return pools


class CrmCustomerPoolRule(models.Model):
    """When a pool takes back a customer its owner neglects: after a number of days
    without follow-up, without an open opportunity, or without a purchase; for the
    customers of one tier if set (a tier's rule replaces the general rule of its
    kind for that tier)."""

    _name = "crm.customer.pool.rule"
    _inherit = ["crm.protected.fields.mixin"]
    _description = "Customer Pool Recall Rule"
    _order = "pool_id, sequence, id"

    pool_id = fields.Many2one("crm.customer.pool", required=True, ondelete="cascade",
                              index=True)
    company_id = fields.Many2one(related="pool_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    kind = fields.Selection(
        RECALL_KINDS, required=True, default="no_followup",
        help="No follow-up: no activity done, note, message, call or confirmed order for "
        "the days. No open opportunity: none open during the days since it was owned. "
        "Not yet a buyer: no confirmed order in the days since it was assigned.",
    )
    days = fields.Integer(required=True, default=30)
    customer_tier = fields.Selection(
        CUSTOMER_TIERS, string="Only for Tier",
        help="Applies to the customers of this tier only, instead of the general rule "
        "of the same kind.",
    )

    _sql_constraints = [
        ("kind_tier_unique", "UNIQUE NULLS NOT DISTINCT (pool_id, kind, customer_tier)",
         "A pool has one rule per kind and tier."),
    ]

    @api.constrains("days")
    def _check_days(self):
        for rule in self:
            if not 0 < rule.days <= MAX_DAYS:
                raise ValidationError(self.env._(
                    "The days of a recall rule must be between 1 and %(limit)s, not "
                    "%(days)s.", limit=MAX_DAYS, days=rule.days))

    @api.depends("kind", "days", "customer_tier")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        tiers = dict(self._fields["customer_tier"]._description_selection(self.env))
        for rule in self:
            name = self.env._("%(kind)s for %(days)s days", kind=kinds.get(rule.kind),
                              days=rule.days)
            if rule.customer_tier:
                name = f"{name} ({tiers[rule.customer_tier]})"
            rule.display_name = name

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self.env["res.partner"]._crm_refresh_recall(pool_ids=rules.pool_id.ids)
        return rules

    def write(self, vals):
        pools = self.pool_id
        res = super().write(vals)
        self.env["res.partner"]._crm_refresh_recall(pool_ids=(pools | self.pool_id).ids)
        return res

    def unlink(self):
        pools = self.pool_id
        res = super().unlink()
        self.env["res.partner"]._crm_refresh_recall(pool_ids=pools.ids)
        return res
