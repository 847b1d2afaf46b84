"""The writes the fake GCP API answers: Network Management Connectivity Tests and their operations.

The rest of the fake is read-only. A Connectivity Test is created (``POST …/connectivityTests?
testId=ID``), rerun (``POST …/connectivityTests/ID:rerun``) or repointed (``PATCH …/ID``); each
returns a long-running ``Operation`` stored under ``…/locations/global/operations/``, done at
once or after ``pending_polls`` reads. The fake does not analyse networks: the test's
``reachabilityDetails`` are what :meth:`FakeOps.analyse` was told for that test id (validated
against the discovery document's ``ReachabilityDetails``), REACHABLE by default.
"""

from __future__ import annotations

import copy
import datetime as _dt
import itertools
import json
import re
from collections.abc import Mapping
from typing import Any

from infra_verify.testing.discovery import validate

__all__ = ["REACHABLE", "FakeOps", "WriteAnswer"]

WriteAnswer = tuple[int, dict[str, Any] | str]
"""(HTTP status, JSON body) or (error status, the server's message)."""

_TESTS = re.compile(r"(v1/projects/(?P<p>[^/]+)/locations/global/connectivityTests)")
_OP_TYPE = "type.googleapis.com/google.cloud.networkmanagement.v1.ConnectivityTest"

REACHABLE: dict[str, Any] = {
    "result": "REACHABLE",
    "traces": [
        {
            "steps": [
                {"state": "START_FROM_CLOUD_RUN_REVISION", "description": "Initial state"},
                {"state": "ARRIVE_AT_VPC_CONNECTOR", "description": "Arriving at connector"},
                {"state": "APPLY_EGRESS_FIREWALL_RULE", "description": "Default egress allowed"},
                {"state": "APPLY_ROUTE", "description": "Peering route"},
                {"state": "DELIVER", "description": "Delivered to the Cloud SQL instance"},
            ]
        }
    ],
}


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FakeOps:
    """The fake's write state: analyses per test id, pending operations."""

    def __init__(self) -> None:
        self.analyses: dict[str, dict[str, Any]] = {}
        self.pending_polls = 0
        """How many reads of a new operation answer ``done: false`` before it is done."""
        self._pending: dict[str, int] = {}
        self._ids = itertools.count(1)

    def analyse(self, test_id: str, details: Mapping[str, Any]) -> None:
        """What the analyser finds for ``test_id`` on its next run (a ReachabilityDetails)."""
        errors = validate("networkmanagement.v1", "ReachabilityDetails", dict(details))
        if errors:
            raise ValueError(f"not a ReachabilityDetails: {errors}")
        self.analyses[test_id] = copy.deepcopy(dict(details))

    def on_get(self, resources: dict[str, dict[str, Any]], path: str) -> None:
        """Count a read of a pending operation; the last one finds it done."""
        left = self._pending.get(path)
        if left is None:
            return
        if left <= 1:
            del self._pending[path]
            resources[path]["done"] = True
        else:
            self._pending[path] = left - 1

    def answer(
        self,
        resources: dict[str, dict[str, Any]],
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        body: bytes,
    ) -> WriteAnswer | None:
        """Answer one write, or None when no write lives at ``path``."""
        found = _TESTS.match(path)
        if found is None:
            return None
        collection, project = found[1], found["p"]
        rest = path[len(collection) :].lstrip("/")
        try:
            sent = json.loads(body or b"{}")
        except ValueError:
            return 400, "Invalid JSON payload received."
        if not isinstance(sent, dict):
            return 400, "Invalid JSON payload received."
        if method == "POST" and not rest:
            test_id = query.get("testId", [""])[0]
            target = f"{collection}/{test_id}"
            if not test_id:
                return 400, "testId is required"
            if target in resources:
                return 409, f"Resource '{target}' already exists"
            resources[target] = {
                **sent,
                "name": target.removeprefix("v1/"),
                "createTime": _now(),
            }
        elif method == "POST" and rest.endswith(":rerun"):
            test_id = rest.removesuffix(":rerun")
            target = f"{collection}/{test_id}"
            if target not in resources:
                return 404, f"Resource '{target}' was not found"
        elif method == "PATCH" and rest and "/" not in rest:
            test_id, target = rest, f"{collection}/{rest}"
            if target not in resources:
                return 404, f"Resource '{target}' was not found"
            mask = query.get("updateMask", [""])[0].split(",")
            for field in filter(None, mask):
                if field in sent:
                    resources[target][field] = sent[field]
        else:
            return None
        test = resources[target]
        test["updateTime"] = _now()
        test["reachabilityDetails"] = {
            **copy.deepcopy(self.analyses.get(test_id, REACHABLE)),
            "verifyTime": _now(),
        }
        return 200, self._operation(resources, project, test)

    def _operation(
        self, resources: dict[str, dict[str, Any]], project: str, test: dict[str, Any]
    ) -> dict[str, Any]:
        name = f"projects/{project}/locations/global/operations/operation-{next(self._ids)}"
        done = self.pending_polls <= 0
        op: dict[str, Any] = {
            "name": name,
            "metadata": {"target": test["name"], "verb": "update", "createTime": _now()},
            "done": done,
        }
        if done:
            op["response"] = {"@type": _OP_TYPE, **copy.deepcopy(test)}
        else:
            self._pending[f"v1/{name}"] = self.pending_polls
        resources[f"v1/{name}"] = copy.deepcopy(op)
        return op
