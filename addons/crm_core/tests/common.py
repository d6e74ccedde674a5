import json
from contextlib import contextmanager
from unittest.mock import patch

from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase


class CrmSuiteCase(TransactionCase):
    """Helpers for the tests of every addon of the suite."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.company = cls.env.company

    @contextmanager
    def assertRaisesText(self, exception, text):
        """Like ``assertRaises`` (changes rolled back to a savepoint), and the
        error message contains ``text``."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertIn(text, str(caught.exception))

    @classmethod
    def _flush_tracking(cls):
        """Post what was tracked so far, so that a test sees only its own changes."""
        cls.env.flush_all()
        cls.env.cr.precommit.run()


class RpcMixin:
    """Calls over JSON-RPC, as the web client and external clients make them: the
    server's own checks, not the form's, decide. For ``HttpCase`` tests; users
    made by ``new_test_user`` log in with their login as password."""

    def rpc(self, login, model, method, *args, **kwargs):
        """The JSON-RPC answer of ``model.method(*args, **kwargs)`` called by ``login``:
        ``{"result": ...}`` or ``{"error": {...}}``."""
        self.authenticate(login, login)
        # as the web client does: the user's language in the context of every call
        user = self.env["res.users"].search([("login", "=", login)])
        kwargs = {**kwargs, "context": {"lang": user.lang, **kwargs.get("context", {})}}
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps({
                "jsonrpc": "2.0", "method": "call", "id": 1,
                "params": {"model": model, "method": method, "args": list(args),
                           "kwargs": kwargs},
            }),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200, "JSON-RPC answers errors in its body")
        return response.json()

    def rpc_result(self, login, model, method, *args, **kwargs):
        answer = self.rpc(login, model, method, *args, **kwargs)
        self.assertNotIn("error", answer, answer.get("error", {}).get("data", {}).get("message"))
        return answer.get("result")

    def rpc_error(self, login, model, method, *args, **kwargs):
        """The error data of a call that must fail: ``name`` is the exception's class
        path, ``message`` what the user reads."""
        answer = self.rpc(login, model, method, *args, **kwargs)
        self.assertIn("error", answer, f"{login} was allowed {model}.{method}{args}")
        return answer["error"]["data"]

    def assertRpcRefused(self, exception, login, model, method, *args, **kwargs):
        """The call fails with ``exception`` (a class), never with another error."""
        error = self.rpc_error(login, model, method, *args, **kwargs)
        expected = f"{exception.__module__}.{exception.__name__}"
        self.assertEqual(error["name"], expected, error.get("message"))
        return error


class ReadonlyCursorMixin:
    """Read-only work on the host's read-only cursor, checked over JSON-RPC. In tests
    that cursor is a real read-only transaction: a write in it fails and the host
    runs the call again on a read/write cursor. A method that ran once, on a
    read-only cursor, ran there and wrote nothing. For ``HttpCase`` tests."""

    @contextmanager
    def cursors_of(self, model, method):
        """The ``readonly`` flag of the cursor of every run of ``model.method``."""
        cursors = []
        model_class = type(self.env[model])
        original = getattr(model_class, method)

        def spy(records, *args, **kwargs):
            cursors.append(records.env.cr.readonly)
            return original(records, *args, **kwargs)

        with patch.object(model_class, method, spy):
            yield cursors

    def json_call(self, route, model, method, *args, **kwargs):
        """``route``/model/method over JSON-RPC (``/web/dataset/call_kw`` or
        ``/web/dataset/call_button``); the result, failing on an error."""
        response = self.url_open(
            f"{route}/{model}/{method}",
            data=json.dumps({
                "jsonrpc": "2.0", "method": "call", "id": 1,
                "params": {"model": model, "method": method, "args": list(args),
                           "kwargs": kwargs},
            }),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        answer = response.json()
        self.assertNotIn("error", answer, answer.get("error", {}).get("data", {}).get("message"))
        return answer.get("result")

    def assertButtonRunsReadOnly(self, record, method):
        """The smart button ``method`` of ``record``, posted as the web client posts
        it by the authenticated user, is marked, runs once on the read-only cursor and
        opens an action."""
        model_class = type(self.env[record._name])
        self.assertTrue(getattr(getattr(model_class, method), "_readonly", False),
                        f"{record._name}.{method} is not marked @api.readonly")
        with self.cursors_of(record._name, method) as cursors:
            action = self.json_call("/web/dataset/call_button", record._name, method,
                                    [record.id])
        self.assertIn(action["type"], ("ir.actions.act_window", "ir.actions.client"))
        self.assertEqual(cursors, [True], f"{record._name}.{method}: one run, read-only")


class CrmCoreCommon(CrmSuiteCase):
    """Users of each sales group, a team and a customer, in one company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, login="crm_core_manager", name="Manager Mei",
            groups="sales_team.group_sale_manager,base.group_partner_manager",
        )
        cls.leader = new_test_user(
            cls.env, login="crm_core_leader", name="Leader Liu",
            groups="sales_team.group_sale_salesman_all_leads",
        )
        cls.salesman = new_test_user(
            cls.env, login="crm_core_salesman", name="Salesman Sun",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
        )
        cls.colleague = new_test_user(
            cls.env, login="crm_core_colleague", name="Colleague Chen",
            groups="sales_team.group_sale_salesman",
        )
        cls.team = cls.env["crm.team"].create({
            "name": "Team East",
            "user_id": cls.leader.id,
            "member_ids": [(6, 0, [cls.salesman.id, cls.colleague.id])],
        })
        cls.customer = cls.env["res.partner"].create({
            "name": "Huachen Trading", "is_company": True,
        })
        cls.contact = cls.env["res.partner"].create({
            "name": "Li Na", "parent_id": cls.customer.id,
        })
        cls.product = cls.env["product.product"].create({
            "name": "CRM Licence", "list_price": 100.0, "type": "service",
        })
        cls._flush_tracking()

    @classmethod
    def _order(cls, partner, amount, user=None, date=None, confirm=True, currency=None,
               team=None):
        vals = {
            "partner_id": partner.id,
            "user_id": (user or cls.salesman).id,
            "team_id": (team or cls.team).id,
            "order_line": [(0, 0, {
                "product_id": cls.product.id, "product_uom_qty": 1, "price_unit": amount,
                "tax_id": [(5, 0, 0)],
            })],
        }
        if currency:
            pricelist = cls.env["product.pricelist"].create({
                "name": f"Pricelist {currency.name}", "currency_id": currency.id,
            })
            vals["pricelist_id"] = pricelist.id
        order = cls.env["sale.order"].create(vals)
        if confirm:
            order.action_confirm()
        if date:
            order.date_order = date
        return order
