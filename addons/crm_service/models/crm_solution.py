from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, html2plaintext

from . import crm_solution_search as search


class CrmSolutionTag(models.Model):
    _name = "crm.solution.tag"
    _inherit = ["crm.protected.fields.mixin"]
    _description = "Solution Tag"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    color = fields.Integer()

    _sql_constraints = [
        ("name_uniq", "unique (name)", "A tag with this name already exists."),
    ]


class CrmSolution(models.Model):
    _name = "crm.solution"
    _description = "Solution (Knowledge Base)"
    _inherit = ["mail.thread", "crm.protected.fields.mixin"]
    _order = "use_count desc, name"
    _check_company_auto = True

    name = fields.Char(string="Title", required=True, translate=True, tracking=True)
    problem = fields.Html(translate=True, help="The problem as customers describe it.")
    solution = fields.Html(translate=True, help="How to solve it, step by step.")
    category_id = fields.Many2one(
        "crm.complaint.category", index=True, tracking=True, check_company=True,
    )
    tag_ids = fields.Many2many("crm.solution.tag", string="Tags")
    is_published = fields.Boolean(
        string="Published", default=True, tracking=True,
        help="Only published solutions are suggested on complaints.",
    )
    use_count = fields.Integer(
        string="Times Used", readonly=True, copy=False,
        help="Number of complaints this solution was applied to.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    complaint_ids = fields.Many2many(
        "crm.complaint", "crm_complaint_solution_rel", "solution_id", "complaint_id",
        string="Complaints", readonly=True,
    )

    search_document = fields.Text(
        readonly=True, copy=False, groups="base.group_system",
        help="The words of the title and problem in every language, Chinese cut into "
        "words: what the full-text search of the suggestions reads.",
    )

    @api.model
    def _crm_server_fields(self):
        # counted when applied to a complaint, never typed; the words, derived
        return (*super()._crm_server_fields(), "use_count", "complaint_ids",
                "search_document")

    def init(self):
        res = super().init()
        # PostgreSQL's English dictionary stems and drops stop words; the Chinese
        # words are already cut, one per space. A GIN index finds the solutions.
        self.env.cr.execute(
            """
            ALTER TABLE crm_solution ADD COLUMN IF NOT EXISTS search_vector tsvector
                GENERATED ALWAYS AS (to_tsvector('english', COALESCE(search_document, '')))
                STORED;
            CREATE INDEX IF NOT EXISTS crm_solution_search_vector_index
                ON crm_solution USING gin (search_vector);
            """
        )
        return res

    @api.model_create_multi
    def create(self, vals_list):
        solutions = super().create(vals_list)
        solutions._crm_update_search_document()
        return solutions

    def write(self, vals):
        res = super().write(vals)
        if {"name", "problem"} & set(vals):
            self._crm_update_search_document()
        return res

    def update_field_translations(self, field_name, translations, source_lang=None):
        # the translation dialog writes the other languages without ``write``
        res = super().update_field_translations(field_name, translations,
                                                source_lang=source_lang)
        if field_name in ("name", "problem"):
            self._crm_update_search_document()
        return res

    def _crm_update_search_document(self):
        """The words of the title and problem of these solutions, in every language
        they are written in, for the full-text search."""
        if not self:
            return
        self.flush_recordset(["name", "problem"])
        self.env.cr.execute(SQL(
            "SELECT id, name, problem FROM crm_solution WHERE id = ANY(%s)", self.ids))
        documents = {}
        for solution_id, names, problems in self.env.cr.fetchall():
            texts = [*(names or {}).values(),
                     *(html2plaintext(problem or "") for problem in (problems or {}).values())]
            documents[solution_id] = search.document_words("\n".join(dict.fromkeys(texts)))
        self.env.cr.execute(SQL(
            """
            UPDATE crm_solution SET search_document = doc.text
              FROM unnest(%s::int[], %s::text[]) AS doc(id, text)
             WHERE crm_solution.id = doc.id
            """,
            list(documents), list(documents.values()),
        ))
        self.invalidate_recordset(["search_document"])

    def action_apply(self):
        """Apply this solution to the complaint of the context."""
        self.ensure_one()
        complaint_id = self.env.context.get("crm_complaint_id")
        if not complaint_id:
            return False
        complaint = self.env["crm.complaint"].browse(complaint_id).exists()
        if not complaint:
            raise UserError(self.env._(
                "The complaint was deleted meanwhile: the solution %(solution)s was not "
                "applied.", solution=self.name,
            ))
        complaint.check_access("write")
        complaint._apply_solution(self)
        return {"type": "ir.actions.act_window_close"}
