import hashlib
import secrets
from datetime import UTC, datetime

from odoo import api, fields, models
from odoo.tools import consteq

EVENTS = ("ringing", "answered", "ended", "missed")
DIRECTIONS = ("inbound", "outbound")
MAX_TEXT = 128


class CtiError(Exception):
    """A bad CTI request: answered with ``status`` and a JSON error, nothing written."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class CrmCtiEndpoint(models.Model):
    _name = "crm.cti.endpoint"
    _description = "CTI Endpoint"
    _inherit = ["crm.protected.fields.mixin"]
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
    )
    token_hash = fields.Char(readonly=True, copy=False, index=True, groups="base.group_system")
    token_hint = fields.Char(
        string="Token", readonly=True, copy=False,
        help="The first characters of the token, to tell tokens apart.",
    )
    default_queue_id = fields.Many2one(
        "crm.call.queue", check_company=True,
        help="Queue of inbound calls the PBX sends without a queue (and without IVR).",
    )
    ivr_menu_id = fields.Many2one(
        "crm.ivr.menu", string="IVR Menu", check_company=True,
        help="Inbound calls without a queue enter this menu first.",
    )
    date_last_event = fields.Datetime(string="Last Event", readonly=True, copy=False)

    @api.model
    def _crm_server_fields(self):
        return (*super()._crm_server_fields(), "token_hash", "token_hint", "date_last_event")

    def action_generate_token(self):
        """A new token, shown once; only its hash is kept."""
        self.ensure_one()
        token = secrets.token_urlsafe(32)
        self.sudo().write({"token_hash": hash_token(token), "token_hint": token[:6] + "…"})
        # shown in a notification, never stored
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("New token of %(endpoint)s: copy it now, it is not "
                                    "shown again", endpoint=self.name),
                "message": token,
                "sticky": True,
                "type": "warning",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _cti_authenticate(self, authorization):
        """The endpoint (``sudo``, in its company) of the ``Bearer`` token, or a 401."""
        scheme, _sep, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise CtiError(401, "unauthorized", "A Bearer token is required.")
        digest = hash_token(token)
        endpoint = self.sudo().search([("token_hash", "=", digest)], limit=1)
        if not endpoint or not consteq(endpoint.token_hash, digest):
            raise CtiError(401, "unauthorized", "Unknown token.")
        return endpoint.with_company(endpoint.company_id).with_context(
            allowed_company_ids=endpoint.company_id.ids,
        )

    # payload ---------------------------------------------------------------

    @api.model
    def _cti_text(self, payload, key, required=True):
        value = payload.get(key)
        if value is None or value == "":
            if required:
                raise CtiError(400, "missing_field", f"Field '{key}' is required.")
            return ""
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise CtiError(400, "invalid_field",
                           f"Field '{key}' must be a text of at most {MAX_TEXT} characters.")
        return value.strip()

    @api.model
    def _cti_timestamp(self, payload):
        text = self._cti_text(payload, "timestamp")
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise CtiError(400, "invalid_field", "Field 'timestamp' must be ISO 8601.")
        if moment.tzinfo:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment.replace(microsecond=0)

    def _cti_queue(self, code):
        queue = self.env["crm.call.queue"].sudo().search([
            ("code", "=", code), ("company_id", "=", self.company_id.id),
        ], limit=1)
        if not queue:
            raise CtiError(400, "unknown_queue", f"No queue '{code}' in this company.")
        return queue

    def _cti_agent(self, extension):
        agent = self.env["crm.call.agent"].sudo().search([
            ("extension", "=", extension), ("company_id", "=", self.company_id.id),
        ], limit=1)
        if not agent:
            raise CtiError(400, "unknown_agent", f"No agent with extension '{extension}'.")
        return agent

    def _cti_call(self, external_id):
        return self.env["crm.call"].sudo().search([
            ("external_id", "=", external_id), ("company_id", "=", self.company_id.id),
        ], limit=1)

    def _cti_handle(self, payload):
        """Apply one PBX event; the answer as a dict. All input is checked before
        anything is written; an event already applied changes nothing."""
        self.ensure_one()
        if not isinstance(payload, dict):
            raise CtiError(400, "invalid_json", "The body must be a JSON object.")
        event = self._cti_text(payload, "event")
        if event not in EVENTS:
            raise CtiError(400, "unknown_event",
                           f"Unknown event '{event}'; expected one of {', '.join(EVENTS)}.")
        external_id = self._cti_text(payload, "call_id")
        moment = self._cti_timestamp(payload)
        extension = self._cti_text(payload, "agent", required=False)
        agent = self._cti_agent(extension) if extension else None
        call = self._cti_call(external_id)
        if event == "ringing":
            answer = self._cti_ringing(call, payload, external_id, moment, agent)
        else:
            if not call:
                raise CtiError(404, "unknown_call", f"No call '{external_id}'.")
            getattr(self, f"_cti_{event}")(call, moment, agent)
            answer = self._cti_answer(call)
        self.sudo().date_last_event = fields.Datetime.now()
        return answer

    def _cti_answer(self, call):
        partner = call.partner_id
        return {
            "call": call.id,
            "state": call.state,
            "partner": {"id": partner.id, "name": partner.name} if partner else None,
            "route": call._acd_current_route(),
        }

    def _cti_ringing(self, call, payload, external_id, moment, agent):
        direction = self._cti_text(payload, "direction")
        if direction not in DIRECTIONS:
            raise CtiError(400, "invalid_field",
                           "Field 'direction' must be 'inbound' or 'outbound'.")
        caller = self._cti_text(payload, "from")
        called = self._cti_text(payload, "to")
        code = self._cti_text(payload, "queue", required=False)
        queue = self._cti_queue(code) if code else self.default_queue_id
        if direction == "outbound" and not agent:
            raise CtiError(400, "missing_field", "Field 'agent' is required for outbound calls.")
        if call:
            # the PBX asks again: the route as it is now, nothing changes
            return self._cti_answer(call)
        vals = {
            "external_id": external_id,
            "cti_endpoint_id": self.id,
            "company_id": self.company_id.id,
            "direction": direction,
            "phone": caller if direction == "inbound" else called,
            "date_start": moment,
            "state": "ringing",
        }
        Call = self.env["crm.call"].sudo().with_company(self.company_id)
        if direction == "outbound":
            call = Call.create({**vals, "agent_id": agent.id, "routing_rule": "outbound",
                                "queue_id": queue.id if code else False})
            agent._write_state("busy", moment)
            return self._cti_answer(call)
        if not queue and self.ivr_menu_id:
            call = Call.create({**vals, "ivr_menu_id": self.ivr_menu_id.id,
                                "routing_rule": "ivr"})
            return self._cti_answer(call)
        if not queue:
            raise CtiError(400, "missing_field",
                           "Field 'queue' is required: the endpoint has no default queue "
                           "nor IVR menu.")
        call = Call.create({**vals, "queue_id": queue.id})
        route = call._acd_route(moment)
        return {**self._cti_answer(call), "route": route}

    def _cti_answered(self, call, moment, agent):
        if call.state not in ("queued", "ringing"):
            return
        vals = {
            "state": "in_progress",
            "date_answered": moment,
            "wait_seconds": call._seconds(call.date_start, moment),
        }
        previous = call.agent_id
        if agent and agent != previous:
            vals["agent_id"] = agent.id
            previous._write_state("available", moment)
        call.write(vals)
        call.agent_id._write_state("busy", moment)

    def _cti_ended(self, call, moment, agent):
        if call.state == "in_progress":
            call.write({
                "state": "done",
                "date_end": moment,
                "duration_seconds": call._seconds(call.date_answered, moment),
            })
        elif call.state in ("queued", "ringing"):
            # the caller hung up before anyone answered
            call.write({
                "state": "abandoned",
                "date_end": moment,
                "wait_seconds": call._seconds(call.date_start, moment),
            })
        else:
            return
        self._cti_release(call, moment)

    def _cti_missed(self, call, moment, agent):
        if call.state not in ("queued", "ringing"):
            return
        call.write({
            "state": "missed",
            "date_end": moment,
            "wait_seconds": call._seconds(call.date_start, moment),
        })
        self._cti_release(call, moment)

    def _cti_release(self, call, moment):
        """The agent of a finished call is free again and takes the next waiting call."""
        agent = call.agent_id
        if agent and agent.state == "busy":
            agent._write_state("available", moment)
            self.env["crm.call.queue"].sudo()._acd_dispatch(agent)

    # IVR -------------------------------------------------------------------

    def _cti_ivr(self, payload):
        self.ensure_one()
        if not isinstance(payload, dict):
            raise CtiError(400, "invalid_json", "The body must be a JSON object.")
        external_id = self._cti_text(payload, "call_id")
        code = self._cti_text(payload, "menu")
        digits = payload.get("digits") or ""
        if not isinstance(digits, str) or len(digits) > 16 or any(
            d not in "0123456789*#" for d in digits
        ):
            raise CtiError(400, "invalid_field",
                           "Field 'digits' must be keys of the phone (0-9, * and #).")
        menu = self.env["crm.ivr.menu"].sudo().search([
            ("code", "=", code), ("company_id", "=", self.company_id.id),
        ], limit=1)
        if not menu:
            raise CtiError(400, "unknown_menu", f"No IVR menu '{code}' in this company.")
        call = self._cti_call(external_id)
        if not call:
            raise CtiError(404, "unknown_call", f"No call '{external_id}'.")
        if call.state not in ("ringing", "queued") or call.routing_rule != "ivr":
            # routed already: the same request again changes nothing
            return {"call": call.id, "step": {"type": "routed",
                                              "route": call._acd_current_route()}}
        step = menu._ivr_step(digits, call)
        self.sudo().date_last_event = fields.Datetime.now()
        return {"call": call.id, "step": step}

