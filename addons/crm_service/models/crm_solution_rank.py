from odoo import api, models
from odoo.tools import SQL


class CrmSolution(models.Model):
    """Solutions listed in the order they were ranked for a complaint.

    ``crm.complaint.action_apply_solution`` opens the suggested solutions with
    their ids, best first, in the context key ``crm_solution_rank``: a list in the
    default order shows them in that order, as the complaint's banner does. A
    column the user sorts by still wins."""

    _inherit = "crm.solution"

    @api.model
    def _order_to_sql(self, order, query, alias=None, reverse=False):
        sql = super()._order_to_sql(order, query, alias=alias, reverse=reverse)
        rank = self.env.context.get("crm_solution_rank")
        if not rank or not isinstance(rank, list | tuple) or (order and order != self._order):
            return sql
        ids = [solution_id for solution_id in rank if isinstance(solution_id, int)]
        if not ids:
            return sql
        position = SQL(
            "array_position(%s::int[], %s) %s",
            ids, SQL.identifier(alias or self._table, "id"), SQL("DESC" if reverse else "ASC"),
        )
        return SQL("%s, %s", position, sql) if sql else position
