"""Schemathesis against the service's own OpenAPI schema: every endpoint, without and with tokens of each role.

The app runs over a real Engine reading bus.jpg, a real alert service and a real webhook receiver, so every
route answers from live state. Checks: no 5xx, status codes, content types, headers and bodies as documented.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode, checks

from monitor.api.app import create_app
from monitor.api.deps import AppParts
from monitor.config import AppConfig, LoadedConfig, SiteConfig
from monitor.detect.base import Detector
from monitor.metrics import Metrics
from tests.api.live import Live, bus_camera, live_monitor, private_file, site, write_config, zidane_camera
from tests.support.webhook_receiver import WebhookReceiver

VIEWER, ADMIN = "viewer-token-5a4b3c2d1e0f", "admin-token-0f1e2d3c4b5a"
EXAMPLES = 12
AUTH = {"none": {}, "viewer": {"Authorization": f"Bearer {VIEWER}"},
        "admin": {"Authorization": f"Bearer {ADMIN}"}}


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as rx:
        yield rx


def _config(tmp: Path, receiver: WebhookReceiver, with_tokens: bool) -> Path:
    service: dict[str, Any] = {"state_dir": str(tmp / "state")}
    if with_tokens:
        private_file(tmp / "tokens", f"wall:viewer:{VIEWER}\nops:admin:{ADMIN}\n")
        service["tokens_file"] = "tokens"
        service["metrics_auth"] = {"user": "prometheus", "password_env": "SCHEMA_METRICS_PW"}
    rules = [{"kind": "long_queue", "zone": "bus-queue", "min_people": 1, "for": 0},
             {"kind": "camera_down", "camera": "zidane", "for": "1m"}]
    hooks = [{"id": "supervisors", "url": receiver.url()}]
    return write_config(tmp / "config.yaml", {"service": service,
                                              "sites": [site([bus_camera(), zidane_camera()], rules, hooks)]})


@pytest.fixture(scope="module", params=[True, False], ids=["tokens", "open"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
        detectors: dict[str, Detector], receiver: WebhookReceiver) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("schema")
    os.environ["SCHEMA_METRICS_PW"] = "scrape-pw-for-schema-tests"
    with live_monitor(_config(tmp, receiver, request.param), detectors) as svc:
        yield svc


def _operations() -> list[tuple[str, bool]]:
    """Return ('METHOD /path', has inputs) of every operation, from an app built without a model (cheap)."""
    site_cfg = SiteConfig.model_validate({"id": "s", "name": "n"})
    app = create_app(AppParts(config=LoadedConfig(AppConfig(sites=[site_cfg]), None), metrics=Metrics(),
                              engine=None))
    ops = [r.ok() for r in schemathesis.openapi.from_asgi("/openapi.json", app).get_all_operations()]
    return [(op.label, bool(len(op.path_parameters) + len(op.query) + len(op.body))) for op in ops]


OPERATIONS = [label for label, _ in _operations()]
# Invalid requests need a parameter or a body to make invalid (the token header is set by the test itself).
CASES = [(label, mode) for label, inputs in _operations()
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if inputs or mode is GenerationMode.POSITIVE]


@pytest.fixture(scope="module")
def api_schema(api: Live) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", api.app)


def test_every_route_is_in_the_schema() -> None:
    assert {"GET /metrics", "GET /api/v1/status", "GET /api/v1/cameras/{camera_id}/snapshot.jpg",
            "POST /api/v1/reload", "POST /api/v1/alerts/test"} <= set(OPERATIONS)


@pytest.mark.parametrize("label, mode", CASES, ids=[f"{'valid' if m is GenerationMode.POSITIVE else 'invalid'}-{lb}"
                                                    for lb, m in CASES])
def test_operation_conforms_to_its_schema(api: Live, api_schema: Any, label: str, mode: GenerationMode) -> None:
    operation = next(r.ok() for r in api_schema.get_all_operations() if r.ok().label == label)
    # The open config has no auth by design (loopback only): routes declaring a bearer scheme answer without
    # one, which these two checks would call a fault. The tokens app runs every check, these two included.
    excluded = [] if api.parts.config.config.service.auth_enabled() else [
        checks.ignored_auth, checks.negative_data_rejection]

    def run_as(headers: dict[str, str]) -> None:
        # The token is a fixed header: invalid requests are invalid in their parameters or body, not in it.
        @given(case=operation.as_strategy(generation_mode=mode, headers=headers or None))
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def run(case: Any) -> None:
            case.call_and_validate(excluded_checks=excluded)

        run()

    for headers in AUTH.values():  # without a token, with a viewer's, with an admin's
        run_as(headers)
