from markupsafe import Markup

from odoo import Command, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

from . import crm_solution_search as search

MAX_SUGGESTIONS = 5
# A solution is suggested when it shares at least MIN_SHARED_WORDS words with the
# complaint, and they weigh at least MIN_SCORE and at least MIN_SHARE_OF_BEST of the
# best suggestion's. A word weighs by how rare it is among the published solutions:
# its inverse document frequency ln(1 + (N - n + 0.5) / (n + 0.5)), n of the N
# solutions holding it, over that of a word only one solution holds (so that a word
# weighs 1 at most, whatever the size of the knowledge base). One shared word,
# however rare ("delivered", "账户"), is no reason to suggest a solution, nor is a
# weak echo of the right one. Measured on the labelled complaints of
# tests/data/solution_suggestions.json (see the readme).
MIN_SHARED_WORDS = 2
MIN_SCORE = 1.0
MIN_SHARE_OF_BEST = 0.3
# a solution of the complaint's category weighs as one more, fairly rare, word in the
# order of the suggestions; it never makes a suggestion alone
CATEGORY_WEIGHT = 1.0


class CrmComplaintSolution(models.Model):
    """The knowledge base on a complaint: solutions suggested from the complaint's
    category and text, best first, and the solutions applied to it."""

    # one concern per file: a reader finds the knowledge base under its name
    _inherit = "crm.complaint"  # pylint: disable=consider-merging-classes-inherited

    solution_ids = fields.Many2many(
        "crm.solution", "crm_complaint_solution_rel", "complaint_id", "solution_id",
        string="Applied Solutions", readonly=True, copy=False, groups="base.group_user",
    )
    suggested_solution_ids = fields.Many2many(
        "crm.solution", compute="_compute_suggested_solution_ids",
        string="Suggested Solutions", groups="base.group_user",
        help="Published solutions of the knowledge base that match the category and the "
        "words of the complaint, best first.",
    )

    @api.model
    def _crm_server_fields(self):
        return (*super()._crm_server_fields(), "solution_ids")

    # ------------------------------------------------------------------ computes

    @api.depends("category_id", "name", "description", "solution_ids")
    def _compute_suggested_solution_ids(self):
        """Published solutions that share telling words with the complaint, found by
        PostgreSQL's full-text search (its English stemming and stop words; Chinese
        cut into words by jieba), weighed by how rare each shared word is among the
        solutions (inverse document frequency, from ``ts_stat``); below MIN_SCORE,
        nothing is suggested. The complaint's category adds CATEGORY_WEIGHT to the
        order. Ties go to the most used solution."""
        Solution = self.env["crm.solution"]
        for complaint in self:
            text = search.query_words(
                f"{complaint.name or ''}\n{tools.html2plaintext(complaint.description or '')}")
            scored = self._suggestion_scores(text, complaint.category_id.id)
            applied = set(complaint.solution_ids.ids)
            relevant = [
                row for row in scored
                if row[0] not in applied and row[2] >= MIN_SHARED_WORDS
                and row[1] >= MIN_SCORE
            ]
            best = max((row[1] for row in relevant), default=0)
            ranked = sorted(
                (-(score + (CATEGORY_WEIGHT if same_category else 0)), -use_count,
                 solution_id)
                for solution_id, score, _shared, same_category, use_count in relevant
                if score >= MIN_SHARE_OF_BEST * best
            )
            complaint.suggested_solution_ids = Solution.browse(
                [solution_id for *__, solution_id in ranked[:MAX_SUGGESTIONS]])

    @api.model
    def _suggestion_scores(self, text, category_id):
        """``(solution id, score of the shared words, their number, same category,
        times used)`` of the published
        solutions the current user may read that share a word with ``text``, in one
        query: the GIN index finds them, the words' rarity scores them."""
        if not text.strip():
            return []
        Solution = self.env["crm.solution"]
        Solution.flush_model()
        query = Solution._search([("is_published", "=", True)])
        table = Solution._table
        solutions = query.select(
            SQL.identifier(table, "id"),
            SQL("%s AS category_id", Solution._field_to_sql(table, "category_id", query)),
            SQL("%s AS use_count", Solution._field_to_sql(table, "use_count", query)),
            SQL("%s AS search_vector", SQL.identifier(table, "search_vector")),
        )
        return self.env.execute_query(SQL(
            """
            WITH words AS (
                SELECT lexeme FROM unnest(to_tsvector('english', %(text)s))
            ), any_word AS (
                -- the complaint's words, any of them: "a | b | c"
                SELECT to_tsquery('english', string_agg(quote_literal(lexeme), ' | '))
                           AS query
                  FROM words
            ), solution AS (%(solutions)s),
            published AS (
                SELECT count(*) AS total FROM crm_solution
                 WHERE is_published AND active
            ), rarity AS (
                SELECT word, ndoc FROM ts_stat(
                    'SELECT search_vector FROM crm_solution WHERE is_published AND active')
            )
            SELECT solution.id,
                   SUM(ln(1 + (published.total - rarity.ndoc + 0.5) / (rarity.ndoc + 0.5))
                       / ln(1 + (published.total - 0.5) / 1.5)),
                   COUNT(*),
                   COALESCE(solution.category_id = %(category)s, FALSE),
                   COALESCE(solution.use_count, 0)
              FROM solution
              JOIN any_word ON solution.search_vector @@ any_word.query
              CROSS JOIN LATERAL unnest(tsvector_to_array(solution.search_vector))
                   AS shared(word)
              JOIN words ON words.lexeme = shared.word
              JOIN rarity ON rarity.word = shared.word
              CROSS JOIN published
             GROUP BY solution.id, solution.category_id, solution.use_count
            """,
            text=text, solutions=solutions, category=category_id or None,
        ))

    # ------------------------------------------------------------------ actions

    @api.readonly
    def action_apply_solution(self):
        """Open the suggested solutions to apply one, in the order of the banner."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Suggested Solutions"),
            "res_model": "crm.solution",
            "view_mode": "list",
            "views": [(False, "list")],
            "target": "new",
            "domain": [("id", "in", self.suggested_solution_ids.ids)],
            "context": {
                "crm_complaint_id": self.id,
                "crm_solution_rank": self.suggested_solution_ids.ids,
            },
        }

    # ------------------------------------------------------------------ business

    def _apply_solution(self, solution):
        """Record that ``solution`` solved this complaint and count its use."""
        self.ensure_one()
        if solution in self.solution_ids:
            raise UserError(self.env._(
                "The solution %(solution)s is already applied to this complaint.",
                solution=solution.name,
            ))
        if not self.resolution:
            self.resolution = solution.solution
        # which solutions were applied is recorded here only, never set by hand
        self.sudo().solution_ids = [Command.link(solution.id)]
        # counted for everyone, whoever may or may not edit the knowledge base
        solution.sudo().use_count += 1
        self.message_post(
            body=Markup("%s <a href='#' data-oe-model='crm.solution' data-oe-id='%s'>%s</a>")
            % (self.env._("Solution applied:"), solution.id, solution.name),
        )
