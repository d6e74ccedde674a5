import json
import logging

from psycopg2 import IntegrityError

from odoo import http
from odoo.http import request

from ..models.crm_cti_endpoint import CtiError

_logger = logging.getLogger(__name__)
MAX_BODY = 64 * 1024


class CrmCtiController(http.Controller):
    """The PBX's side of the CTI link: JSON in, JSON out, a Bearer token per endpoint."""

    def _cti_dispatch(self, method):
        cr = request.env.cr
        try:
            endpoint = request.env["crm.cti.endpoint"]._cti_authenticate(
                request.httprequest.headers.get("Authorization"),
            )
            raw = request.httprequest.get_data(cache=False)
            if len(raw) > MAX_BODY:
                raise CtiError(413, "too_large", "The body is too large.")
            try:
                payload = json.loads(raw or b"null")
            except ValueError:
                raise CtiError(400, "invalid_json", "The body is not valid JSON.")
            with cr.savepoint():
                answer = getattr(endpoint, method)(payload)
            return request.make_json_response(answer)
        except CtiError as error:
            return request.make_json_response(
                {"error": {"code": error.code, "message": error.message}}, status=error.status,
            )
        except IntegrityError:
            # the same call reported twice at the same moment: the other request won
            return request.make_json_response(
                {"error": {"code": "conflict", "message": "Concurrent event; send it again."}},
                status=409,
            )
        except Exception:
            _logger.exception("CTI request failed")
            cr.rollback()
            return request.make_json_response(
                {"error": {"code": "internal", "message": "The request could not be applied."}},
                status=500,
            )

    @http.route("/crm_callcenter/cti/event", type="http", auth="public", methods=["POST"],
                csrf=False, save_session=False)
    def cti_event(self, **_kwargs):
        return self._cti_dispatch("_cti_handle")

    @http.route("/crm_callcenter/ivr", type="http", auth="public", methods=["POST"],
                csrf=False, save_session=False)
    def cti_ivr(self, **_kwargs):
        return self._cti_dispatch("_cti_ivr")
