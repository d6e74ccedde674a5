import math
import re
from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL

MAX_SUGGESTIONS = 5
# terms of a complaint looked up: the subject's first, then the description's
MAX_TERMS = 60
# words shorter than this are not used to suggest solutions
MIN_WORD_LENGTH = 3
# Okapi BM25: how fast repeating a term stops adding to its weight (K1), how much
# a long solution is penalised for matching by length alone (B)
BM25_K1 = 1.2
BM25_B = 0.75
# a solution of the complaint's category scores as one more, fairly rare, term
CATEGORY_WEIGHT = 1.0

CJK_CHARS = "\u3400-\u9fff\uf900-\ufaff"
# a run of Chinese characters, or a word of other letters and digits
TOKEN = re.compile(rf"[{CJK_CHARS}]+|[^\W{CJK_CHARS}]+")
CJK = re.compile(rf"[{CJK_CHARS}]")

# Words that say nothing about the problem, left out of the suggestions: they
# would match unrelated solutions. English words shorter than MIN_WORD_LENGTH
# are left out anyway; the list still names them, for the reader.
STOP_WORDS_EN = frozenset("""
    a an the and or but nor not no yes so if then than too very also just only still
    is am are was were be been being do does did done has have had having
    i me my mine we us our ours you your yours he him his she her hers it its
    they them their theirs this that these those there here who whom whose which
    what when where why how all any some each every both either neither other
    of in on at to from by with without for about into onto over under after
    before again since until while during through can could will would shall
    should may might must one get got please thank thanks hello dear
    customer customers client complaint
""".split())
# Chinese text is looked up by overlapping pairs of characters (空调噪音 → 空调,
# 调噪, 噪音): a pair that is a stop word, or holds a character that is one on
# its own (冰箱的门 → 冰箱; 箱的 and 的门 are left out), is not a term.
STOP_WORDS_ZH = frozenset("""
    客户 顾客 我们 你们 他们 她们 它们 一个 这个 那个 这些 那些 什么 怎么 为什么
    没有 已经 因为 所以 但是 如果 可以 还是 就是 不是 非常 一直 现在 时候 自己
    问题 反映 表示 要求 谢谢 您好 请问 希望 一下 明显 比较 特别 然后 之后 今天 昨天
""".split())
STOP_CHARS_ZH = frozenset("的了是在有和与也就都很吗呢吧啊我你他她它这那")


def _stem(word):
    """A word and its inflections match the same solutions: ``dented`` is looked
    up as ``dent``, which matches ``dent``, ``dents`` and ``dented`` (a solution's
    words are matched from their beginning)."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[:-len(suffix)]
    return word


def _keywords(text):
    """Terms to look solutions up with, in order of appearance and without stop
    words: stems of words in lower case, and overlapping pairs of Chinese
    characters, which match the same words in another phrasing."""
    terms = {}
    for token in TOKEN.findall((text or "").lower()):
        if CJK.match(token):
            for index in range(len(token) - 1):
                pair = token[index:index + 2]
                if pair not in STOP_WORDS_ZH and not STOP_CHARS_ZH.intersection(pair):
                    terms.setdefault(pair)
        elif len(token) >= MIN_WORD_LENGTH and token not in STOP_WORDS_EN:
            terms.setdefault(_stem(token))
    return list(terms)


def _pattern(term):
    """The PostgreSQL regular expression finding ``term`` in a solution: a pair of
    Chinese characters anywhere, a word at the beginning of a word."""
    return term if CJK.match(term) else rf"\m{term}"


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
        """Rank the published solutions by Okapi BM25 over their title and problem:
        a term weighs by how rare it is among the published solutions (a term most
        of them share says little), repeated terms count less and less, and long
        texts do not win by length alone; the complaint's category adds
        CATEGORY_WEIGHT. Ties go to the most used solution."""
        Solution = self.env["crm.solution"]
        terms = {
            complaint: _keywords(
                f"{complaint.name or ''} {tools.html2plaintext(complaint.description or '')}"
            )[:MAX_TERMS]
            for complaint in self
        }
        all_terms = list(dict.fromkeys(term for words in terms.values() for term in words))
        matches, total, average_length = self._suggestion_matches(
            all_terms, self.category_id.ids,
        )
        idf = defaultdict(int)
        for match in matches:
            for term in match["hits"]:
                idf[term] += 1
        idf = {
            term: math.log(1 + (total - count + 0.5) / (count + 0.5))
            for term, count in idf.items()
        }
        for complaint in self:
            words = set(terms[complaint])
            applied = set(complaint.solution_ids.ids)
            ranked = []
            for match in matches:
                if match["id"] in applied:
                    continue
                norm = BM25_K1 * (1 - BM25_B + BM25_B * match["length"] / (average_length or 1))
                score = sum(
                    idf[term] * count * (BM25_K1 + 1) / (count + norm)
                    for term, count in match["hits"].items() if term in words
                )
                if complaint.category_id and match["category_id"] == complaint.category_id.id:
                    score += CATEGORY_WEIGHT
                if score > 0:
                    ranked.append((-score, -match["use_count"], match["id"]))
            complaint.suggested_solution_ids = Solution.browse(
                [solution_id for *__, solution_id in sorted(ranked)[:MAX_SUGGESTIONS]]
            )

    @api.model
    def _suggestion_matches(self, terms, category_ids):
        """The published solutions the current user may read that contain one of
        ``terms`` or belong to one of ``category_ids``, in one query.

        :return: (matches, number of published solutions, their average length),
            each match a dict with the solution's ``id``, ``category_id``,
            ``use_count``, text ``length`` and ``hits`` (term: occurrences)
        """
        if not terms and not category_ids:
            return [], 0, 0.0
        Solution = self.env["crm.solution"]
        query = Solution._search([("is_published", "=", True)])
        table = Solution._table
        text = SQL(
            "lower(regexp_replace(COALESCE(%s, '') || ' ' || COALESCE(%s, ''), "
            "'<[^>]*>', ' ', 'g'))",
            Solution._field_to_sql(table, "name", query),
            Solution._field_to_sql(table, "problem", query),
        )
        solutions = query.select(
            SQL.identifier(table, "id"),
            SQL("%s AS category_id", Solution._field_to_sql(table, "category_id", query)),
            SQL("%s AS use_count", Solution._field_to_sql(table, "use_count", query)),
            SQL("%s AS body", text),
        )
        rows = self.env.execute_query(SQL(
            """
            WITH solution AS (%(solutions)s),
                 term AS (
                    SELECT * FROM unnest(%(terms)s::text[], %(patterns)s::text[])
                        AS term(term, pattern)
                 ),
                 hit AS (
                    SELECT solution.id, array_agg(term.term) AS terms,
                           array_agg(regexp_count(solution.body, term.pattern)) AS counts
                      FROM solution
                      JOIN term ON solution.body ~ term.pattern
                     GROUP BY solution.id
                 ),
                 stat AS (
                    SELECT count(*) AS total, avg(length(body)) AS average_length
                      FROM solution
                 )
            SELECT solution.id, solution.category_id, COALESCE(solution.use_count, 0),
                   length(solution.body), COALESCE(hit.terms, '{}'),
                   COALESCE(hit.counts, '{}'), stat.total, stat.average_length
              FROM solution
              CROSS JOIN stat
              LEFT JOIN hit ON hit.id = solution.id
             WHERE hit.id IS NOT NULL OR solution.category_id = ANY(%(categories)s::int[])
            """,
            solutions=solutions,
            terms=terms,
            patterns=[_pattern(term) for term in terms],
            categories=category_ids,
        ))
        if not rows:
            return [], 0, 0.0
        matches = [
            {
                "id": solution_id, "category_id": category_id, "use_count": use_count,
                "length": length, "hits": dict(zip(hit_terms, counts, strict=True)),
            }
            for solution_id, category_id, use_count, length, hit_terms, counts, *__ in rows
        ]
        return matches, rows[0][6], float(rows[0][7] or 0.0)

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
