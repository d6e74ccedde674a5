import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .crm_owner_change import OWNER_CHANGE_REASONS

_logger = logging.getLogger(__name__)

# customers recalled or warned per transaction of the daily job
RECALL_BATCH = 500


class ResPartner(models.Model):
    """Ownership of a customer: its salesperson (the host's ``user_id``) or a
    customer pool (公海), the last follow-up measured where it happens, the day it
    will be recalled, and the history of its owners."""

    _inherit = "res.partner"

    crm_pool_id = fields.Many2one(
        "crm.customer.pool", string="Customer Pool", index="btree_not_null", copy=False,
        tracking=True, groups="base.group_user",
        help="The pool the customer returns to when its salesperson neglects it, or "
        "waits in while nobody owns it.",
    )
    crm_last_followup_date = fields.Datetime(
        string="Last Follow-up", copy=False, readonly=True, groups="base.group_user",
        help="The latest activity done, note or message logged by an employee, call or "
        "confirmed order on the customer or its opportunities.",
    )
    crm_owner_date = fields.Datetime(
        string="Owned Since", copy=False, readonly=True, groups="base.group_user",
        help="When the current salesperson got the customer.",
    )
    crm_recall_date = fields.Date(
        string="To Be Recalled On", copy=False, readonly=True, groups="base.group_user",
        help="The day the customer goes back to its pool if nothing happens before, in "
        "the company's days.",
    )
    crm_recall_rule_id = fields.Many2one(
        "crm.customer.pool.rule", string="Recall Rule", copy=False, readonly=True,
        groups="base.group_user", ondelete="set null",
        help="The rule that will recall the customer.",
    )
    crm_recall_warned_date = fields.Date(
        string="Warned of Recall On", copy=False, readonly=True, groups="base.group_user",
        help="The day of recall its owner was warned of.")
    crm_locked = fields.Boolean(
        string="Locked", copy=False, readonly=True, groups="base.group_user",
        help="Locked by its salesperson (锁定): never recalled while locked.",
    )
    crm_former_user_id = fields.Many2one(
        "res.users", string="Former Salesperson", copy=False, readonly=True,
        groups="base.group_user", ondelete="set null",
    )
    crm_pool_date = fields.Datetime(
        string="In the Pool Since", copy=False, readonly=True, groups="base.group_user")
    crm_pool_reason = fields.Selection(
        OWNER_CHANGE_REASONS, string="Why in the Pool", copy=False, readonly=True,
        groups="base.group_user",
    )
    crm_pool_rule_id = fields.Many2one(
        "crm.customer.pool.rule", string="Recalled by", copy=False, readonly=True,
        groups="base.group_user", ondelete="set null",
    )
    crm_owner_change_ids = fields.One2many(
        "crm.owner.change", "partner_id", string="Owner Changes", readonly=True,
        groups="base.group_user",
    )
    crm_in_pool = fields.Boolean(
        string="In a Pool", compute="_compute_crm_in_pool", search="_search_crm_in_pool",
        groups="base.group_user")

    def init(self):
        res = super().init()
        # the recall job reads what is due, not every customer
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS res_partner_crm_recall_due_index
                ON res_partner (crm_pool_id, crm_recall_date, id)
             WHERE user_id IS NOT NULL AND crm_recall_date IS NOT NULL
            """
        )
        return res

    @api.depends("crm_pool_id", "user_id")
    def _compute_crm_in_pool(self):
        for partner in self:
            partner.crm_in_pool = bool(partner.crm_pool_id and not partner.user_id)

    def _search_crm_in_pool(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Operation not supported"))
        in_pool = [("crm_pool_id", "!=", False), ("user_id", "=", False)]
        if (operator == "=") == value:
            return in_pool
        return ["|", ("crm_pool_id", "=", False), ("user_id", "!=", False)]

    @api.model
    def _crm_server_fields(self):
        return (*super()._crm_server_fields(), "crm_last_followup_date", "crm_owner_date",
                "crm_recall_date", "crm_recall_rule_id", "crm_recall_warned_date",
                "crm_locked", "crm_former_user_id", "crm_pool_date", "crm_pool_reason",
                "crm_pool_rule_id")

    @api.model
    def _crm_manager_fields(self):
        return (*super()._crm_manager_fields(), "crm_pool_id")

    # owner changes -----------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        owned = partners.sudo().filtered(
            lambda p: p.user_id and not p.parent_id and not p.user_ids)
        if owned:
            now = fields.Datetime.now()
            rows = []
            for partner in owned:
                values = {"crm_owner_date": now}
                pool = partner.crm_pool_id
                if not pool:
                    pool = partner._crm_home_pool(partner.user_id)
                    values["crm_pool_id"] = pool.id
                partner.with_context(crm_owner_written=True).write(values)
                rows.append({
                    "partner_id": partner.id, "new_user_id": partner.user_id.id,
                    "pool_id": pool.id,
                    "reason": self.env.context.get("crm_owner_reason") or "manual",
                    "company_id": (pool.company_id or partner.company_id
                                   or self.env.company).id,
                })
            self.env["crm.owner.change"]._crm_record(rows)
            self._crm_refresh_recall(partner_ids=owned.ids)
        return partners

    def write(self, vals):
        if "user_id" not in vals or self.env.context.get("crm_owner_written"):
            res = super().write(vals)
            if "customer_tier" in vals:
                # the pools' rules per tier
                self._crm_refresh_recall(partner_ids=self.ids)
            return res
        new_user = self.env["res.users"].browse(vals["user_id"] or [])
        changing = self.sudo().filtered(
            lambda p: p.user_id != new_user and not p.parent_id)
        reason = self.env.context.get("crm_owner_reason") or "manual"
        if not self.env.su:
            changing._crm_check_owner_change(new_user, reason)
        old_owners = {partner.id: partner.user_id for partner in changing}
        res = super().write(vals)
        if changing:
            changing._crm_after_owner_change(old_owners, new_user, reason)
        return res

    def _crm_check_owner_change(self, new_user, reason):
        """Under a pool, only its managers change owners by hand; a salesperson claims
        from the pool and releases their own customers."""
        for partner in self.filtered("crm_pool_id"):
            pool = partner.crm_pool_id
            if pool._crm_is_manager():
                continue
            if reason == "claim" or (not new_user and partner.user_id == self.env.user):
                continue
            if not partner.user_id:
                raise UserError(self.env._(
                    "%(customer)s is in the pool %(pool)s: claim it from the pool "
                    "instead of setting its salesperson.",
                    customer=partner.display_name, pool=pool.display_name))
            raise UserError(self.env._(
                "Only the managers of the pool %(pool)s change the salesperson of "
                "%(customer)s; you can release your own customers to the pool.",
                customer=partner.display_name, pool=pool.display_name))

    def _crm_after_owner_change(self, old_owners, new_user, reason):
        """Stamp the new owner, keep the former, record the change, and compute when
        the customer will be recalled."""
        now = fields.Datetime.now()
        rows = []
        for partner in self.sudo():
            values = {"crm_owner_date": now if new_user else False,
                      "crm_recall_warned_date": False}
            old_user = old_owners.get(partner.id)
            pool = partner.crm_pool_id
            if new_user:
                values["crm_locked"] = False
                if not pool and not partner.user_ids:
                    pool = partner._crm_home_pool(new_user)
                    values["crm_pool_id"] = pool.id
            else:
                values.update(crm_former_user_id=old_user.id, crm_pool_date=now,
                              crm_pool_reason=reason if reason != "manual" else "release",
                              crm_pool_rule_id=False, crm_locked=False)
            partner.with_context(crm_owner_written=True).write(values)
            rows.append({
                "partner_id": partner.id, "old_user_id": old_user.id,
                "new_user_id": new_user.id, "pool_id": pool.id, "reason": reason,
                "company_id": (pool.company_id or partner.company_id
                               or self.env.company).id,
            })
        self.env["crm.owner.change"]._crm_record(rows)
        self._crm_refresh_recall(partner_ids=self.ids)

    def _crm_home_pool(self, user):
        """The pool an owned customer returns to: the first pool of the customer's
        company (else the current one) that ``user`` is a member of."""
        self.ensure_one()
        company = self.company_id or self.env.company
        return self.env["crm.customer.pool"]._crm_pools_of(user, company)[:1]

    @api.model
    def _crm_attach_owned_to_pools(self, pools):
        """Owned customers of the members of ``pools`` without a pool of their own
        come under the first of them (the users' own contacts are no customers)."""
        for pool in pools.sudo().filtered("active"):
            members = pool._crm_member_users()
            if not members:
                continue
            self.env.cr.execute(SQL(
                """
                UPDATE res_partner SET crm_pool_id = %(pool)s
                 WHERE crm_pool_id IS NULL AND parent_id IS NULL
                   AND user_id IN %(users)s
                   AND NOT EXISTS (SELECT 1 FROM res_users colleague
                                    WHERE colleague.partner_id = res_partner.id)
                   AND (company_id IS NULL OR company_id = %(company)s)
                """,
                pool=pool.id, users=tuple(members.ids), company=pool.company_id.id,
            ))
        self.invalidate_model(["crm_pool_id"])

    # actions of the salesperson and the pool manager -------------------------

    def action_claim(self):
        """Take customers of a pool one is a member of, within its caps."""
        user = self.env.user
        for partner in self:
            partner._crm_check_claim(user)
            partner._crm_take(user, "claim")
        return True

    def _crm_check_claim(self, user):
        partner = self.sudo()
        pool = partner.crm_pool_id
        if not pool:
            raise UserError(self.env._("%(customer)s is not in a customer pool.",
                                       customer=partner.display_name))
        if partner.user_id:
            raise UserError(self.env._(
                "%(user)s owns %(customer)s already.",
                user=partner.user_id.name, customer=partner.display_name))
        if pool.company_id not in user.company_ids:
            raise AccessError(self.env._(
                "The pool %(pool)s belongs to %(company)s, which you do not work for.",
                pool=pool.display_name, company=pool.company_id.name))
        if user not in pool._crm_member_users() and not pool._crm_is_manager(user):
            raise AccessError(self.env._(
                "You are not a member of the pool %(pool)s.", pool=pool.display_name))
        now = fields.Datetime.now()
        Change = self.env["crm.owner.change"].sudo()
        if pool.cooldown_days:
            lost = Change.search([
                ("partner_id", "=", partner.id), ("old_user_id", "=", user.id),
                ("new_user_id", "!=", user.id),
                ("date", ">", now - timedelta(days=pool.cooldown_days)),
            ], limit=1)
            if lost:
                raise UserError(self.env._(
                    "You lost %(customer)s on %(date)s: you can claim it again from "
                    "%(again)s.", customer=partner.display_name,
                    date=fields.Date.to_string(pool.company_id._crm_local_date(lost.date)),
                    again=fields.Date.to_string(pool.company_id._crm_local_date(
                        lost.date + timedelta(days=pool.cooldown_days)))))
        if pool.max_owned:
            owned = self.sudo().search_count([("crm_pool_id", "=", pool.id),
                                              ("user_id", "=", user.id)])
            if owned >= pool.max_owned:
                raise UserError(self.env._(
                    "You own %(owned)s customers of the pool %(pool)s, its cap is "
                    "%(cap)s: release one before claiming another.",
                    owned=owned, pool=pool.display_name, cap=pool.max_owned))
        if pool.max_claims_per_day:
            day_start = pool.company_id._crm_day_start(pool.company_id._crm_today())
            claims = Change.search_count([
                ("pool_id", "=", pool.id), ("new_user_id", "=", user.id),
                ("reason", "=", "claim"), ("date", ">=", day_start),
            ])
            if claims >= pool.max_claims_per_day:
                raise UserError(self.env._(
                    "You made %(claims)s claims today in the pool %(pool)s, its cap "
                    "per day: claim again tomorrow.",
                    claims=claims, pool=pool.display_name))

    def _crm_take(self, user, reason):
        """Give the customer to ``user`` if nobody took it in the meantime: the row is
        changed only while it has no owner, so of two claims at once one wins and the
        other is told who."""
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "UPDATE res_partner SET user_id = %s WHERE id = %s AND user_id IS NULL "
            "RETURNING id", user.id, self.id))
        if not self.env.cr.fetchone():
            self.invalidate_recordset(["user_id"])
            raise UserError(self.env._(
                "%(user)s claimed %(customer)s first.",
                user=self.sudo().user_id.name, customer=self.sudo().display_name))
        self.invalidate_recordset(["user_id"])
        self.sudo()._crm_after_owner_change({self.id: self.env["res.users"]}, user, reason)

    def action_release(self):
        """Give one's own customers back to their pool."""
        for partner in self:
            if not partner.crm_pool_id:
                raise UserError(self.env._(
                    "%(customer)s has no customer pool to go back to.",
                    customer=partner.display_name))
        self.with_context(crm_owner_reason="release").write({"user_id": False})
        return True

    def action_lock(self):
        """Lock one's customers against recall, within the pool's cap per salesperson."""
        for partner in self.sudo():
            pool = partner.crm_pool_id
            if partner.user_id != self.env.user and not pool._crm_is_manager():
                raise AccessError(self.env._(
                    "Only the salesperson of %(customer)s locks it.",
                    customer=partner.display_name))
            if not pool:
                raise UserError(self.env._(
                    "%(customer)s is in no customer pool: nothing recalls it.",
                    customer=partner.display_name))
            locked = self.sudo().search_count([
                ("crm_pool_id", "=", pool.id), ("user_id", "=", partner.user_id.id),
                ("crm_locked", "=", True)])
            if locked >= pool.max_locked:
                raise UserError(self.env._(
                    "%(user)s has locked %(locked)s customers of the pool %(pool)s, its "
                    "cap is %(cap)s: unlock one first.", user=partner.user_id.name,
                    locked=locked, pool=pool.display_name, cap=pool.max_locked))
            partner.write({"crm_locked": True})
        self._crm_refresh_recall(partner_ids=self.ids)
        return True

    def action_unlock(self):
        for partner in self.sudo():
            if partner.user_id != self.env.user and not partner.crm_pool_id._crm_is_manager():
                raise AccessError(self.env._(
                    "Only the salesperson of %(customer)s unlocks it.",
                    customer=partner.display_name))
        self.sudo().write({"crm_locked": False})
        self._crm_refresh_recall(partner_ids=self.ids)
        return True

    # follow-up -------------------------------------------------------------

    @api.model
    def _crm_touch_followup(self, partner_ids, moment=None):
        """A follow-up of these partners happened at ``moment``: their customers'
        last follow-up moves forward, and so does the day they will be recalled."""
        partner_ids = [pid for pid in set(partner_ids) if pid]
        if not partner_ids:
            return
        moment = moment or fields.Datetime.now()
        self.flush_model(["commercial_partner_id", "crm_last_followup_date"])
        self.env.cr.execute(SQL(
            """
            UPDATE res_partner customer
               SET crm_last_followup_date = %(moment)s
              FROM res_partner contact
             WHERE contact.id = ANY(%(ids)s)
               AND customer.id = contact.commercial_partner_id
               AND (customer.crm_last_followup_date IS NULL
                    OR customer.crm_last_followup_date < %(moment)s)
            RETURNING customer.id, customer.crm_recall_date IS NOT NULL
            """,
            moment=moment, ids=partner_ids,
        ))
        rows = self.env.cr.fetchall()
        self.browse([row[0] for row in rows]).invalidate_recordset(["crm_last_followup_date"])
        self._crm_refresh_recall(partner_ids=[pid for pid, due in rows if due])

    # the day of recall -------------------------------------------------------

    @api.model
    def _crm_pool_tier_sql(self):
        """SQL of the tier of the customer ``t`` in the pool's company ``t.company_id``
        (crm_analytics reads it per company)."""
        return SQL("(SELECT tp.customer_tier FROM res_partner tp WHERE tp.id = t.id)")

    @api.model
    def _crm_recall_dates_sql(self, where):
        """SQL of ``(id, recall_date, rule_id)`` of the partners that ``where`` (on
        ``p``) selects: the earliest day one of their pool's rules recalls them, NULL
        for customers nothing recalls (not owned, no pool, locked, a won deal)."""
        Company = self.env["res.company"]

        def day(column):
            return Company._crm_local_date_sql_by_company(column, SQL("t.company_id"))

        return SQL(
            """
            WITH t AS (
                SELECT p.id, p.crm_pool_id, pool.company_id,
                       pool.exempt_won, p.crm_last_followup_date,
                       COALESCE(p.crm_owner_date, p.create_date) AS owned_since
                  FROM res_partner p
                  JOIN crm_customer_pool pool ON pool.id = p.crm_pool_id AND pool.active
                 WHERE %(where)s AND p.user_id IS NOT NULL AND NOT COALESCE(p.crm_locked, FALSE)
            ), tiered AS (
                SELECT t.*, %(tier)s AS tier FROM t
            ), applicable AS (
                SELECT DISTINCT ON (t.id, rule.kind) t.id, rule.id AS rule_id, rule.kind,
                       rule.days
                  FROM tiered t
                  JOIN crm_customer_pool_rule rule ON rule.pool_id = t.crm_pool_id
                   AND (rule.customer_tier IS NULL OR rule.customer_tier = t.tier)
                 ORDER BY t.id, rule.kind, rule.customer_tier NULLS LAST
            ), facts AS (
                SELECT t.id,
                       (t.exempt_won AND won.id IS NOT NULL) AS exempt,
                       opp.open_count > 0 AS has_open, opp.last_seen,
                       bought.id IS NOT NULL AS bought
                  FROM t
                  LEFT JOIN LATERAL (
                       SELECT COUNT(*) FILTER (WHERE lead.active
                                                AND NOT COALESCE(stage.is_won, FALSE))
                                  AS open_count,
                              MAX(COALESCE(lead.date_closed, lead.create_date)) AS last_seen
                         FROM res_partner contact
                         JOIN crm_lead lead ON lead.partner_id = contact.id
                                           AND lead.type = 'opportunity'
                         LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                        WHERE contact.commercial_partner_id = t.id) opp ON TRUE
                  LEFT JOIN LATERAL (
                       SELECT lead.id
                         FROM res_partner contact
                         JOIN crm_lead lead ON lead.partner_id = contact.id
                         JOIN crm_stage stage ON stage.id = lead.stage_id AND stage.is_won
                        WHERE contact.commercial_partner_id = t.id
                        LIMIT 1) won ON TRUE
                  LEFT JOIN LATERAL (
                       SELECT so.id
                         FROM res_partner contact
                         JOIN sale_order so ON so.partner_id = contact.id
                                           AND so.state = 'sale'
                                           AND so.company_id = t.company_id
                                           AND so.date_order >= t.owned_since
                        WHERE contact.commercial_partner_id = t.id
                        LIMIT 1) bought ON TRUE
            ), candidates AS (
                SELECT a.id, a.rule_id,
                       CASE a.kind
                       WHEN 'no_followup' THEN %(followup_day)s
                       WHEN 'no_opportunity' THEN
                            CASE WHEN f.has_open THEN NULL ELSE %(opportunity_day)s END
                       WHEN 'no_purchase' THEN
                            CASE WHEN f.bought THEN NULL ELSE %(owned_day)s END
                       END + a.days AS recall_date
                  FROM applicable a
                  JOIN t ON t.id = a.id
                  JOIN facts f ON f.id = a.id
                 WHERE NOT f.exempt
            )
            SELECT DISTINCT ON (id) id, recall_date, rule_id
              FROM candidates
             WHERE recall_date IS NOT NULL
             ORDER BY id, recall_date, rule_id
            """,
            where=where,
            tier=self._crm_pool_tier_sql(),
            followup_day=day(SQL("GREATEST(t.owned_since, t.crm_last_followup_date)")),
            opportunity_day=day(SQL("GREATEST(t.owned_since, f.last_seen)")),
            owned_day=day(SQL("t.owned_since")),
        )

    @api.model
    def _crm_refresh_recall(self, partner_ids=None, pool_ids=None):
        """Bring the day of recall of these partners (or of the customers of these
        pools) up to date, in one statement."""
        if partner_ids is not None:
            partner_ids = [pid for pid in partner_ids if isinstance(pid, int)]
            if not partner_ids:
                return
            where = SQL("p.id = ANY(%s)", partner_ids)
        elif pool_ids:
            where = SQL("p.crm_pool_id = ANY(%s)", list(pool_ids))
        else:
            return
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """
            WITH dates AS (%(dates)s)
            UPDATE res_partner p
               SET crm_recall_date = dates.recall_date,
                   crm_recall_rule_id = dates.rule_id
              FROM res_partner target
              LEFT JOIN dates ON dates.id = target.id
             WHERE target.id = p.id AND %(where)s
               AND (p.crm_recall_date IS DISTINCT FROM dates.recall_date
                    OR p.crm_recall_rule_id IS DISTINCT FROM dates.rule_id)
            RETURNING p.id
            """,
            dates=self._crm_recall_dates_sql(where), where=where,
        ))
        changed = [row[0] for row in self.env.cr.fetchall()]
        self.browse(changed).invalidate_recordset(["crm_recall_date", "crm_recall_rule_id"])
        return changed

    # the daily job -------------------------------------------------------------

    @api.model
    def _cron_recall_customers(self):
        """Every day: warn the owners of the customers soon due, then return the
        customers due to their pools. Each batch picks its rows with SKIP LOCKED,
        checks them again and commits: two runs at once never recall or warn twice,
        and nobody's edit waits on the whole job."""
        Pool = self.env["crm.customer.pool"].sudo()
        done = 0
        for pool in Pool.search([("rule_ids", "!=", False)]):
            today = pool.company_id._crm_today()
            picked = len(self._crm_claim_warnings(pool, today)) if pool.warn_days else 0
            picked += self._crm_recall_due(pool, today)
            done += picked
            if picked >= RECALL_BATCH:
                # the host's cron commits the batch and calls again for the rest
                self.env["ir.cron"]._notify_progress(done=done, remaining=RECALL_BATCH)
                return
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)

    @api.model
    def _crm_pick(self, pool, condition, limit=None):
        """Lock and return up to ``limit`` (a batch) owned customers of ``pool`` that
        ``condition`` selects, skipping the rows someone else holds."""
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """
            SELECT id FROM res_partner
             WHERE crm_pool_id = %(pool)s AND user_id IS NOT NULL
               AND crm_recall_date IS NOT NULL AND %(condition)s
             ORDER BY crm_recall_date, id
             LIMIT %(limit)s
               FOR UPDATE SKIP LOCKED
            """,
            pool=pool.id, condition=condition, limit=limit or RECALL_BATCH,
        ))
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _crm_recall_due(self, pool, today):
        """Recall one batch of the customers of ``pool`` due ``today``; the number
        picked (a full batch means there may be more)."""
        ids = self._crm_pick(pool, SQL("crm_recall_date <= %s", today))
        if not ids:
            return 0
        # the day stored is checked again: a follow-up may have moved it
        self._crm_refresh_recall(partner_ids=ids)
        now = fields.Datetime.now()
        self.env.cr.execute(SQL(
            """
            WITH due AS (
                SELECT id, user_id, crm_recall_rule_id FROM res_partner
                 WHERE id = ANY(%(ids)s) AND user_id IS NOT NULL
                   AND crm_recall_date <= %(today)s)
            UPDATE res_partner p
               SET user_id = NULL, crm_former_user_id = due.user_id,
                   crm_pool_date = %(now)s, crm_pool_reason = 'recall',
                   crm_pool_rule_id = due.crm_recall_rule_id, crm_recall_date = NULL,
                   crm_recall_rule_id = NULL, crm_recall_warned_date = NULL,
                   crm_owner_date = NULL, crm_locked = FALSE
              FROM due
             WHERE p.id = due.id
            RETURNING p.id, due.user_id, due.crm_recall_rule_id
            """,
            ids=ids, today=today, now=now,
        ))
        rows = self.env.cr.fetchall()
        if rows:
            self.env.cr.execute(SQL(
                """
                INSERT INTO crm_owner_change (partner_id, company_id, date, changed_by_id,
                                              old_user_id, pool_id, reason, rule_id,
                                              create_uid, create_date, write_uid, write_date)
                SELECT due.partner_id, %(company)s, %(now)s, %(uid)s, due.user_id,
                       %(pool)s, 'recall', due.rule_id, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(partners)s::int[], %(users)s::int[], %(rules)s::int[])
                       AS due(partner_id, user_id, rule_id)
                """,
                company=pool.company_id.id, now=now, uid=self.env.uid, pool=pool.id,
                partners=[row[0] for row in rows], users=[row[1] for row in rows],
                rules=[row[2] for row in rows],
            ))
            self.browse([row[0] for row in rows]).invalidate_recordset()
            self.env["crm.owner.change"].invalidate_model()
            if pool.release_opportunities:
                self._crm_release_opportunities(rows)
            _logger.info("Customer pool %s: %s customers recalled", pool.id, len(rows))
        return len(ids)

    @api.model
    def _crm_release_opportunities(self, rows):
        leads = self.env["crm.lead"].sudo().search([
            ("partner_id", "child_of", [row[0] for row in rows]),
            ("user_id", "in", list({row[1] for row in rows})),
            ("type", "=", "opportunity"), ("probability", "<", 100),
        ])
        leads.write({"user_id": False})

    @api.model
    def _crm_claim_warnings(self, pool, today):
        """Stamp and warn one batch of the owners of ``pool``'s customers recalled
        within its warning days; the customers warned."""
        ids = self._crm_pick(pool, SQL(
            "crm_recall_date BETWEEN %s AND %s "
            "AND crm_recall_warned_date IS DISTINCT FROM crm_recall_date",
            today, today + timedelta(days=pool.warn_days)))
        if not ids:
            return self.browse()
        self.env.cr.execute(SQL(
            "UPDATE res_partner SET crm_recall_warned_date = crm_recall_date "
            "WHERE id = ANY(%s)", ids))
        partners = self.browse(ids).sudo()
        partners.invalidate_recordset(["crm_recall_warned_date"])
        xmlid = "crm_core.mail_activity_type_recall_warning"
        if pool.warn_mode == "customer":
            batches = defaultdict(lambda: self.browse())
            for partner in partners:
                batches[partner.user_id, partner.crm_recall_date] |= partner
            for (user, day), customers in batches.items():
                customers.activity_schedule(xmlid, user_id=user.id, date_deadline=day)
        else:
            by_user = defaultdict(lambda: self.browse())
            for partner in partners:
                by_user[partner.user_id] |= partner
            for user, customers in by_user.items():
                items = Markup("").join(
                    Markup("<li>%s: %s</li>") % (
                        escape(customer.display_name),
                        fields.Date.to_string(customer.crm_recall_date))
                    for customer in customers.sorted("crm_recall_date"))
                pool.activity_schedule(
                    xmlid, user_id=user.id,
                    date_deadline=min(customers.mapped("crm_recall_date")),
                    note=Markup("<ul>%s</ul>") % items)
        return partners

    # demo data ---------------------------------------------------------------

    @api.model
    def _crm_demo_age_ownership(self, partner_ids, days):
        """Demo data: the customers were owned and last followed up ``days`` ago."""
        moment = fields.Datetime.now() - timedelta(days=days)
        self.browse(partner_ids).sudo().with_context(crm_owner_written=True).write(
            {"crm_owner_date": moment, "crm_last_followup_date": moment})
        self._crm_refresh_recall(partner_ids=partner_ids)
