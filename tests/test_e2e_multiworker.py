"""The multi-worker server behind the project's nginx, as ``CRM_WORKERS=2 bin/run``
serves it: pages, JSON-RPC and the web client's websocket on one public port."""

import json
import re
import time
import uuid
from urllib.parse import urlparse

import pytest
import websocket

NOTIFICATION_TIMEOUT = 30  # seconds for a bus notification to reach the websocket


def _open_websocket(server, client):
    """The web client's websocket, opened on the public port with the session cookie."""
    public = urlparse(server.base_url)
    return websocket.create_connection(
        f"ws://{public.netloc}/websocket",
        cookie=f"session_id={client.http.cookies['session_id']}",
        # the origin of the page: the server keeps the session only for its own pages
        origin=server.base_url,
        timeout=NOTIFICATION_TIMEOUT,
    )


def _receive_until(ws, token):
    """The bus notifications received until one carries ``token``."""
    received = []
    deadline = time.monotonic() + NOTIFICATION_TIMEOUT
    while time.monotonic() < deadline:
        ws.settimeout(max(deadline - time.monotonic(), 0.1))
        try:
            frame = ws.recv()
        except websocket.WebSocketTimeoutException:
            break
        notifications = json.loads(frame)
        received.extend(notifications)
        if token in frame:
            return received
    pytest.fail(f"no notification with {token!r} within {NOTIFICATION_TIMEOUT} s; "
                f"received: {[n['message']['type'] for n in received]}")


def test_pages_and_rpc_through_the_proxy(odoo_multiworker_server, new_multiworker_client):
    client = new_multiworker_client()
    page = client.http.get(client.url("/web/login"), timeout=60)
    assert page.status_code == 200
    assert "csrf_token" in page.text
    client.authenticate("admin", "admin")
    info = client.json_rpc("/web/session/get_session_info", {})
    assert info["uid"] == client.uid
    backend = client.http.get(client.url("/odoo"), allow_redirects=False, timeout=120)
    assert backend.status_code == 200, backend.status_code
    assert "o_web_client" in backend.text
    # proxy mode: the server builds its links on the public address, not its own port
    logout = client.http.get(client.url("/web/session/logout"), allow_redirects=False,
                             timeout=60)
    assert logout.status_code in (302, 303)
    location = urlparse(logout.headers["Location"])
    assert not location.netloc or location.netloc == urlparse(client.base_url).netloc, (
        logout.headers["Location"]
    )


def test_websocket_receives_bus_notifications(odoo_multiworker_server, new_multiworker_client):
    server = odoo_multiworker_server
    client = new_multiworker_client()
    client.authenticate("admin", "admin")
    name = f"Multi-worker check {uuid.uuid4().hex[:8]}"
    client.call("discuss.channel", "channel_create", name, None)
    [channel_id] = client.call("discuss.channel", "search", [("name", "=", name)])
    ws = _open_websocket(server, client)
    try:
        # what the web client sends first: its channels are found by the server
        ws.send(json.dumps({"event_name": "subscribe", "data": {"channels": [], "last": 0}}))
        for attempt in ("first", "second"):  # the second is pushed live, surely subscribed
            token = f"{attempt}-{uuid.uuid4().hex}"
            client.call(
                "discuss.channel", "message_post", [channel_id],
                body=f"Bus check {token}", message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
            received = _receive_until(ws, token)
            assert any(
                n["message"]["type"] == "discuss.channel/new_message" for n in received
            ), [n["message"]["type"] for n in received]
    finally:
        ws.close()
        client.call("discuss.channel", "unlink", [channel_id])


def test_websocket_worker_started_once(odoo_multiworker_server, new_multiworker_client):
    """The gevent worker starts with the server and stays up: no respawn loop."""
    client = new_multiworker_client()
    client.authenticate("admin", "admin")
    _open_websocket(odoo_multiworker_server, client).close()
    time.sleep(2)  # a worker that dies at start is respawned within a second
    log = odoo_multiworker_server.log()
    starts = re.findall(r"Evented Service \(longpolling\) running on", log)
    assert len(starts) == 1, f"the websocket worker started {len(starts)} times\n{log[-3000:]}"
    for failure in ("ImportError", "DistributionNotFound", "Traceback"):
        assert failure not in log, f"{failure} in the server's log\n{log[-3000:]}"


def test_readonly_calls_take_the_replica_and_write_nothing(
        odoo_multiworker_server, new_multiworker_client):
    """Read-only work marked for the replica runs there without writing: a write on
    the read-only connection would be logged and retried on the primary."""
    client = new_multiworker_client()
    client.authenticate("admin", "admin")
    partner_id = client.xmlid_to_id("crm_core.res_partner_demo_huachen")
    before = odoo_multiworker_server.log().count("retrying with a read/write cursor")
    action = client.json_rpc(
        "/web/dataset/call_button/res.partner/action_view_crm_sale_orders",
        {"model": "res.partner", "method": "action_view_crm_sale_orders",
         "args": [[partner_id]], "kwargs": {}},
    )
    assert action["res_model"] == "sale.order"
    [partner] = client.call(
        "res.partner", "web_read", [partner_id],
        specification={"crm_sale_amount": {}, "opportunity_count": {}},
    )
    assert partner["crm_sale_amount"] >= 0
    time.sleep(0.5)  # the log is written by another process
    after = odoo_multiworker_server.log().count("retrying with a read/write cursor")
    assert after == before, "a read-only call wrote (see the server's log)"
