"""Schemathesis against the published OpenAPI document, over real HTTP on 127.0.0.1.

Every operation is called with generated parameters and its responses are checked against the
schema (status codes documented, bodies valid, content types declared), and schemathesis's
``ignored_auth`` check (added explicitly) probes that the declared bearer auth is enforced.
Kept bounded: a few examples per operation, no deadline (the first call computes results).

The operations are driven through schemathesis's Python API (one hypothesis run per
operation) rather than ``schemathesis.pytest.from_fixture``, which does not work with pytest 9.
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import ignored_auth

from tests.support.capacity_api import ADMIN_TOKEN, READ_TOKEN, case_config, running_api

EXAMPLES = 8


def test_api_conforms_to_its_openapi(tmp_path: Path) -> None:
    # ignored_auth sends a wrong token with every example: more than the throttle lets through
    # from one address (429 after 20 a minute, tested in test_auth_throttle.py), so raise it.
    cfg = case_config("unmetered_rack", tmp_path, auth_failures=100_000)
    with running_api("unmetered_rack", tmp_path, config=cfg) as api:
        # The document itself is behind a read token, like every route but health.
        schema = schemathesis.openapi.from_url(f"{api.url}/api/v1/openapi.json",
                                               headers={"Authorization": f"Bearer {READ_TOKEN}"})
        ops = [r.ok() for r in schema.get_all_operations()]
        assert len(ops) >= 9, [op.label for op in ops]
        tested = []
        for op in ops:
            @given(case=op.as_strategy())
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def run(case: schemathesis.Case) -> None:
                case.call_and_validate(headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                                       additional_checks=[ignored_auth])

            run()
            tested.append(op.label)
        assert "GET /api/v1/racks" in tested and "GET /api/v1/health" in tested
