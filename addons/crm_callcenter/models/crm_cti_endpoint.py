import hashlib
import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import requests

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, consteq

from .crm_call import OPEN_STATES

_logger = logging.getLogger(__name__)

EVENTS = ("ringing", "answered", "ended", "missed")
DIRECTIONS = ("inbound", "outbound")
MAX_TEXT = 128
# what each event may follow: the call states it applies to, and those where it is a
# repeat (already applied or overtaken: nothing changes); any other state is a 409
TRANSITIONS = {
    "answered": (("queued", "ringing"), ("in_progress",)),
    "ended": (("queued", "ringing", "in_progress"), ("done", "abandoned", "missed")),
    "missed": (("queued", "ringing"), ("missed",)),
}
# seconds to connect to the PBX and to get its answer to a dial request
ORIGINATE_TIMEOUT = (3, 5)


class CtiError(Exception):
    """A bad CTI request: answered with ``status`` and a JSON error, nothing written."""

    def __init__(self, status, code, message, **extra):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self):
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


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
    clock_window_hours = fields.Integer(
        string="Timestamp Window (h)", default=24, required=True,
        help="Events dated more than this many hours before or after the server's clock "
        "are refused (HTTP 400): a PBX with a wrong clock would otherwise date calls "
        "decades away.",
    )
    originate_url = fields.Char(
        string="Dial Request URL",
        help="Click-to-dial: the PBX's web address that places a call. Empty: the agent "
        "dials by hand and the call is only logged.",
    )
    originate_secret = fields.Char(
        string="Dial Request Secret", copy=False,
        groups="crm_callcenter.group_crm_callcenter_manager",
        help="Sent as 'Authorization: Bearer <secret>' with every dial request, for the PBX "
        "to check that the request comes from the CRM. Unlike the token above, the CRM "
        "must send it, so it is kept as given: use a secret made for this purpose only.",
    )

    @api.model
    def _crm_server_fields(self):
        return (*super()._crm_server_fields(), "token_hash", "token_hint", "date_last_event")

    @api.constrains("clock_window_hours")
    def _check_clock_window_hours(self):
        for endpoint in self:
            if not 1 <= endpoint.clock_window_hours <= 24 * 31:
                raise ValidationError(self.env._(
                    "The timestamp window of %(endpoint)s must be between 1 and 744 hours "
                    "(31 days), not %(hours)s.",
                    endpoint=endpoint.name, hours=endpoint.clock_window_hours,
                ))

    @api.constrains("originate_url")
    def _check_originate_url(self):
        for endpoint in self.filtered("originate_url"):
            try:
                parts = urlsplit(endpoint.originate_url.strip())
            except ValueError:
                parts = None
            if not parts or parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValidationError(self.env._(
                    "The dial request URL of %(endpoint)s must be a web address starting with "
                    "https:// (or http://), e.g. https://pbx.example.com/originate.",
                    endpoint=endpoint.name,
                ))

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

    # click-to-dial -----------------------------------------------------------

    @api.model
    def _crm_dial(self, company, phone, partner=None, values=None, agent=None,
                  keep_open=False):
        """Click-to-dial: the outbound call of the current user's agent (or of
        ``agent``) to ``phone``.

        When the company has an endpoint with a dial request URL, the PBX is asked to
        place the call: it is ringing, the agent busy, and the PBX's events (with the
        call's ``external_id``) complete it and free the agent. Without one, the agent
        dials by hand: the call is only logged (done at once, or ringing until its
        dial result is recorded when ``keep_open``), and the agent's state is left
        as it is, for nothing would free them.

        Refused to users who are not call center agents, and for a number or a
        customer on the do-not-call list. The dial request is posted once the call is
        saved (after the commit): a transaction run again after a conflict never
        makes the PBX dial twice, and no row stays locked while the PBX answers.
        When the PBX does not take it, the call is closed as not placed, the agent is
        back in their state and told (see :meth:`_crm_originate_failed`).

        :param values: more values of the call (``campaign_id``, ``lead_id``,
            ``routing_steps``)
        :return: the call (``sudo``)
        """
        if not self.env.su and not self.env.user.has_group(
            "crm_callcenter.group_crm_callcenter_agent"
        ):
            raise AccessError(self.env._("Only call center agents can dial customers."))
        partner = (partner or self.env["res.partner"]).sudo()
        agent = agent or self.env["crm.call.agent"]._crm_current_agent(company)
        phone = (phone or "").strip()
        if not phone:
            raise UserError(self.env._(
                "%(customer)s has no phone number to call.",
                customer=partner.display_name or self.env._("The customer"),
            ))
        Entry = self.env["crm.call.list.entry"]
        number = Entry._normalize(phone, partner, company)
        reason = Entry._do_not_call_reason_list([(partner, number)])[0]
        if reason:
            raise UserError(self.env._("Not dialled: %(reason)s", reason=reason))
        endpoint = self.sudo().search([
            ("company_id", "=", company.id), ("originate_url", "!=", False),
        ], limit=1)
        now = fields.Datetime.now()
        call = self.env["crm.call"].sudo().with_company(company).create({
            "direction": "outbound",
            "phone": phone,
            "partner_id": partner.id,
            "agent_id": agent.id,
            "state": "ringing" if endpoint or keep_open else "done",
            "date_start": now,
            "company_id": company.id,
            "routing_rule": "outbound",
            # the PBX reports the call's events under this id
            "external_id": f"crm-{uuid.uuid4().hex}",
            "cti_endpoint_id": endpoint.id,
            **(values or {}),
        })
        if endpoint:
            agent = agent.sudo()
            previous_state = agent.state
            agent._write_state("busy", now)
            endpoint._crm_originate_after_commit(call, number or phone, previous_state)
        return call

    def _crm_originate_after_commit(self, call, number, agent_state):
        """Post the dial request of ``call`` once the transaction is committed, once
        (the call's ``external_id`` is the request's idempotency key); when the PBX
        does not take it, :meth:`_crm_originate_failed` in a new transaction."""
        self.ensure_one()
        request = self._crm_originate_request(call, number)
        # all the request needs is read now: after the commit, no database access
        # until the PBX has answered
        endpoint_id, endpoint_name, url = self.id, self.name, self.originate_url
        call_id, external_id = call.id, call.external_id
        user_id, registry = self.env.uid, self.env.registry

        def originate():
            failure = self._crm_post_originate(url, endpoint_name, external_id, request)
            if not failure:
                return
            try:
                with registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    env["crm.cti.endpoint"].browse(endpoint_id)._crm_originate_failed(
                        call_id, *failure, agent_state=agent_state, user_id=user_id)
            except Exception:
                _logger.exception("Could not record the failed dial request of call %s",
                                  call_id)

        self.env.cr.postcommit.add(originate)

    def _crm_originate_request(self, call, number):
        """The dial request of ``call``: (JSON body, headers)."""
        self.ensure_one()
        body = {
            "call_id": call.external_id,
            "extension": call.agent_id.extension,
            "number": number,
            "phone": call.phone,
            "crm_call": call.id,
            "partner": {"id": call.partner_id.id, "name": call.partner_id.name}
            if call.partner_id else None,
            "campaign": call.campaign_id.name or None,
            "timestamp": call.date_start.replace(tzinfo=UTC).isoformat(),
        }
        headers = {
            "Content-Type": "application/json", "Accept": "application/json",
            # the PBX places one call per key, whatever reaches it twice
            "Idempotency-Key": call.external_id,
        }
        if self.originate_secret:
            headers["Authorization"] = f"Bearer {self.originate_secret}"
        return body, headers

    @api.model
    def _crm_post_originate(self, url, endpoint_name, external_id, request):
        """Post a dial request; None when the PBX takes it, else why not:
        ``(code, detail)`` with a code of :data:`DIAL_ERRORS`. No database access."""
        body, headers = request
        try:
            response = requests.post(url, json=body, headers=headers,
                                     timeout=ORIGINATE_TIMEOUT, allow_redirects=False)
        except requests.Timeout:
            _logger.warning("Dial request %s to %s timed out", external_id, endpoint_name)
            return "timeout", ""
        except requests.RequestException as error:
            _logger.warning("Dial request %s to %s failed: %s", external_id, endpoint_name,
                            error)
            return "unreachable", type(error).__name__
        if not 200 <= response.status_code < 300:
            _logger.warning("Dial request %s refused by %s: HTTP %s %s", external_id,
                            endpoint_name, response.status_code, response.text[:200])
            return "refused", f"HTTP {response.status_code} {response.text[:200]}".strip()
        return None

    def _crm_originate_failed(self, call_id, code, detail, agent_state, user_id):
        """The PBX did not place call ``call_id``: the call, unless the PBX reported
        it meanwhile, is closed as not placed (missed, with the reason); its agent,
        without another open call, is back in ``agent_state``; the user who dialled
        is told, in their language."""
        self.ensure_one()
        call = self.env["crm.call"].sudo().browse(call_id).exists()
        if not call or call.state != "ringing" or call.date_answered:
            return
        now = fields.Datetime.now()
        call.write({"state": "missed", "date_end": now, "dial_error": code,
                    "dial_error_detail": (detail or "")[:250]})
        agent = call.agent_id
        if agent.state == "busy" and not self.env["crm.call"].sudo().search_count(
            [("agent_id", "=", agent.id), ("state", "in", OPEN_STATES)], limit=1,
        ):
            agent._write_state(agent_state or "available", now)
        user = self.env["res.users"].browse(user_id).exists()
        if user:
            env = self.with_context(lang=user.lang).env
            reason = dict(call._fields["dial_error"]._description_selection(env))[code]
            user.partner_id._bus_send("simple_notification", {
                "type": "danger",
                "sticky": True,
                "title": env._("Call to %(number)s not placed", number=call.phone),
                "message": env._(
                    "%(reason)s (%(endpoint)s): dial again, or dial the number by hand.",
                    reason=reason, endpoint=self.name,
                ),
            })

    # payload ---------------------------------------------------------------

    @api.model
    def _cti_text(self, payload, key, required=True):
        """The text of ``key``, stripped; blank counts as missing. Control characters
        (NUL bytes included) are refused: they are no part of an id, a number or a
        code, and the database refuses NUL."""
        value = payload.get(key)
        if (value is not None and not isinstance(value, str)) or len(value or "") > MAX_TEXT:
            raise CtiError(400, "invalid_field",
                           f"Field '{key}' must be a text of at most {MAX_TEXT} characters.")
        value = (value or "").strip()
        if not value:
            if required:
                raise CtiError(400, "missing_field", f"Field '{key}' is required.")
            return ""
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            raise CtiError(400, "invalid_field",
                           f"Field '{key}' must not contain control characters.")
        return value

    def _cti_clock(self):
        """The server's clock the timestamps are checked against."""
        return fields.Datetime.now()

    def _cti_timestamp(self, payload):
        """The event's time, in UTC: ISO 8601, within the endpoint's window around
        the server's clock."""
        text = self._cti_text(payload, "timestamp")
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo:
                moment = moment.astimezone(UTC).replace(tzinfo=None)
        except (ValueError, OverflowError):
            raise CtiError(400, "invalid_field", "Field 'timestamp' must be ISO 8601.") from None
        moment = moment.replace(microsecond=0)
        window = timedelta(hours=self.clock_window_hours or 24)
        now = self._cti_clock()
        if not now - window <= moment <= now + window:
            raise CtiError(
                400, "invalid_field",
                f"Field 'timestamp' ({moment.isoformat()}Z) is more than "
                f"{self.clock_window_hours} hours away from the server's clock "
                f"({now.replace(microsecond=0).isoformat()}Z): check the PBX's clock.",
            )
        return moment

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
            if self._cti_transition(call, event, moment):
                getattr(self, f"_cti_{event}")(call, moment, agent)
            answer = self._cti_answer(call)
        self._cti_stamp_last_event()
        return answer

    def _cti_stamp_last_event(self):
        """Note when the PBX last spoke, at most once a minute and never waiting for
        the row: every event of the endpoint would otherwise update the same row, and
        simultaneous events would conflict on it (serialization failures, retries)
        for a figure that only tells an admin the link is alive."""
        self.env.cr.execute(SQL(
            """
            UPDATE crm_cti_endpoint SET date_last_event = now() AT TIME ZONE 'UTC'
             WHERE id = (SELECT id FROM crm_cti_endpoint
                          WHERE id = %(id)s
                            AND (date_last_event IS NULL OR date_last_event
                                 < now() AT TIME ZONE 'UTC' - interval '1 minute')
                          FOR UPDATE SKIP LOCKED)
            """,
            id=self.id,
        ))
        if self.env.cr.rowcount:
            self.invalidate_recordset(["date_last_event"])

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
            # placed on the phone system, outside the CRM: recorded even to a
            # do-not-call number (flagged, the supervisor warned)
            call = Call.with_context(crm_call_reported=True).create({
                **vals, "agent_id": agent.id, "routing_rule": "outbound",
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

    def _cti_transition(self, call, event, moment):
        """Whether ``event`` at ``moment`` applies to ``call`` (False: a repeat, which
        changes nothing); a 409 with the call's state when the call cannot take it
        (answered once over, missed once answered) or when it is dated before what the
        call already went through."""
        applies, repeats = TRANSITIONS[event]
        if call.state in repeats:
            return False
        if call.state not in applies:
            raise CtiError(409, "invalid_transition",
                           f"Call '{call.external_id}' is {call.state}: it cannot be {event}.",
                           state=call.state)
        previous = call.date_answered if call.state == "in_progress" else call.date_start
        if previous and moment < previous:
            raise CtiError(
                409, "invalid_transition",
                f"Event '{event}' of call '{call.external_id}' is dated "
                f"{moment.isoformat()}Z, before its last event ({previous.isoformat()}Z).",
                state=call.state,
            )
        return True

    def _cti_answered(self, call, moment, agent):
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
        agent = call.agent_id
        if agent.state == "busy":
            # busy since the call rang: the state is the same, the call is not (the
            # switcher shows "In a call" rather than "Ringing")
            agent._crm_notify_state(call)
        agent._write_state("busy", moment)

    def _cti_ended(self, call, moment, agent):
        if call.state == "in_progress":
            call.write({
                "state": "done",
                "date_end": moment,
                "duration_seconds": call._seconds(call.date_answered, moment),
            })
        else:
            # the caller hung up before anyone answered
            call.write({
                "state": "abandoned",
                "date_end": moment,
                "wait_seconds": call._seconds(call.date_start, moment),
            })
        self._cti_release(call, moment)

    def _cti_missed(self, call, moment, agent):
        call.write({
            "state": "missed",
            "date_end": moment,
            "wait_seconds": call._seconds(call.date_start, moment),
        })
        self._cti_release(call, moment)

    def _cti_release(self, call, moment):
        """The agent of a finished call is free again and takes the next waiting call,
        unless another of their calls is still open (the agent's state and their open
        calls agree); after an answered call of a queue with a wrap-up time, they are
        in wrap-up first."""
        agent = call.agent_id
        if not agent or agent.state != "busy":
            return
        Call = self.env["crm.call"].sudo()
        Call.flush_model(["agent_id", "state"])
        if Call.search_count([("agent_id", "=", agent.id), ("state", "in", OPEN_STATES),
                              ("id", "!=", call.id)], limit=1):
            return
        wrap_up = call.queue_id.wrap_up_seconds if call.date_answered else 0
        if wrap_up:
            agent._start_wrap_up(wrap_up, moment)
            return
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
        self._cti_stamp_last_event()
        return {"call": call.id, "step": step}

