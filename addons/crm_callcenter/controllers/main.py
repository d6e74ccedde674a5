import json
import logging
import random
import time

from psycopg2 import IntegrityError

from odoo import http
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..models.crm_cti_endpoint import CtiError

_logger = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
# an event that conflicts with a simultaneous one is run again up to this many
# times, after a random wait of up to CONFLICT_WAIT seconds times the attempt; then
# the PBX gets a 409 and sends it again (the host's own retry, with its waits of up
# to seconds, is not added on top)
CONFLICT_TRIES = 5
CONFLICT_WAIT = 0.02


class CrmCtiController(http.Controller):
    """The PBX's side of the CTI link: JSON in, JSON out, a Bearer token per endpoint."""

    def _cti_dispatch(self, method):
        cr = request.env.cr
        try:
            # cached: a request the host runs again after a conflict reads it again
            raw = request.httprequest.get_data()
            for attempt in range(1, CONFLICT_TRIES + 1):
                try:
                    return request.make_json_response(self._cti_apply(method, raw))
                except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                    # two events changed the same agent or call at once (two calls
                    # ringing for the same free agent): run this one again at once,
                    # on a fresh snapshot, rather than after the host's longer wait
                    cr.rollback()
                    if attempt == CONFLICT_TRIES:
                        _logger.warning("CTI %s still conflicting after %s tries",
                                        method, CONFLICT_TRIES)
                        return self._conflict()
                    _logger.info("CTI %s conflicted with a simultaneous event (try %s of %s)",
                                 method, attempt, CONFLICT_TRIES)
                    request.env.invalidate_all()
                    time.sleep(random.uniform(0, CONFLICT_WAIT * attempt))
        except CtiError as error:
            return request.make_json_response(error.body(), status=error.status)
        except IntegrityError:
            # the same call reported twice at the same moment: the other request won
            cr.rollback()
            return self._conflict()
        except Exception:
            _logger.exception("CTI request failed")
            cr.rollback()
            return request.make_json_response(
                {"error": {"code": "internal", "message": "The request could not be applied."}},
                status=500,
            )

    def _conflict(self):
        return request.make_json_response(
            {"error": {"code": "conflict", "message": "Concurrent event; send it again."}},
            status=409,
        )

    def _cti_apply(self, method, raw):
        endpoint = request.env["crm.cti.endpoint"]._cti_authenticate(
            request.httprequest.headers.get("Authorization"),
        )
        # what the PBX reports is kept in the call's own fields (times, states, routing
        # reason), not again as chatter messages on the call and the agent: a message
        # per event would double its cost
        endpoint = endpoint.with_context(tracking_disable=True)
        if len(raw) > MAX_BODY:
            raise CtiError(413, "too_large", "The body is too large.")
        try:
            payload = json.loads(raw or b"null")
        except (ValueError, RecursionError):
            # RecursionError: nested deeper than the parser goes
            raise CtiError(400, "invalid_json", "The body is not valid JSON.") from None
        with request.env.cr.savepoint():
            return getattr(endpoint, method)(payload)

    @http.route("/crm_callcenter/cti/event", type="http", auth="public", methods=["POST"],
                csrf=False, save_session=False)
    def cti_event(self, **_kwargs):
        return self._cti_dispatch("_cti_handle")

    @http.route("/crm_callcenter/cti/ping", type="http", auth="public", methods=["POST"],
                csrf=False, save_session=False)
    def cti_ping(self, **_kwargs):
        """A PBX checks that the CRM answers; nothing is read nor written. Served as the
        event route is (a POST, JSON out), it is the floor a CTI request costs on the
        server: the CTI benchmark measures it next to the events."""
        return request.make_json_response({"ok": True})

    @http.route("/crm_callcenter/ivr", type="http", auth="public", methods=["POST"],
                csrf=False, save_session=False)
    def cti_ivr(self, **_kwargs):
        return self._cti_dispatch("_cti_ivr")
