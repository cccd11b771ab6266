"""Cloudflare's gateway policies API (beta), v4-enveloped, with its staging workflow:

    /client/v4/accounts/{account_id}/ai-gateway/gateways/{gateway_id}/policies      GET (?includeStaging=true), POST (?commit=true)
    .../policies/{policy_id}                                                        GET (?includeStaging=true), PUT (?commit=true), DELETE
    .../policies/commit                                                             POST: commit every draft
    .../policies/simulate                                                           POST {identity, model, provider, bucketUsage?}

Without `commit=true` a create or update is a draft, not enforced until committed; simulate
evaluates the live policies with the drafts over them, and spends only what `bucketUsage` says.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator.dialects import cloudflare_v4
from emulator.errors import GatewayError
from emulator.gateway.gateways import Gateway
from emulator.gateway.policies import Budget, PolicyInvalid, enforce, evaluate, make_policy
from emulator.gateways_api import GATEWAY_NOT_FOUND, error_response, invalid, management_body, managed_gateway
from emulator.json_codec import JSONResponse
from emulator.state import EmulatorState


def _committing(request: Request) -> bool:
    return request.query_params.get("commit", "").lower() == "true"


def _with_staging(request: Request) -> bool:
    return request.query_params.get("includeStaging", "").lower() == "true"


class PoliciesApi:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def routes(self, account: str) -> list[Route]:
        base = f"{account}/ai-gateway/gateways/{{gateway_id}}/policies"
        return [
            Route(base, self.collection, methods=["GET", "POST"]),
            Route(base + "/commit", self.commit, methods=["POST"]),
            Route(base + "/simulate", self.simulate, methods=["POST"]),
            Route(base + "/{policy_id}", self.item, methods=["GET", "PUT", "DELETE"]),
        ]

    def _gateway(self, request: Request) -> Gateway:
        return managed_gateway(self.state, request)

    async def _body(self, request: Request) -> dict[str, Any]:
        body = await management_body(self.state, request)
        if not isinstance(body, dict):
            raise invalid("Request body must be a JSON object")
        return body

    def _now(self) -> int:
        return int(self.state.clock.now())

    async def collection(self, request: Request) -> JSONResponse:
        try:
            gateway = self._gateway(request)
            policies = gateway.policies
            if request.method == "GET":
                views = [p.view() for p in policies.live.values()]
                if _with_staging(request):
                    views = [p.view() for p in policies.live.values() if p.id not in policies.drafts]
                    views += [{**p.view(), "staging": True} for p in policies.drafts.values()]
                return JSONResponse(cloudflare_v4.success(views))
            body = await self._body(request)
            try:
                policy = make_policy(self.state.ids.uuid(), body, self._now())
            except PolicyInvalid as err:
                raise invalid(str(err)) from None
            committed = _committing(request)
            (policies.live if committed else policies.drafts)[policy.id] = policy
            gateway.settings_changed()
            return JSONResponse({**cloudflare_v4.success(policy.view()), "committed": committed})
        except GatewayError as err:
            return error_response(err)

    async def item(self, request: Request) -> JSONResponse:
        try:
            gateway = self._gateway(request)
            changes = await self._body(request) if request.method == "PUT" else None  # a body over the limit: 413 before the lookup
            policies = gateway.policies
            policy_id = request.path_params["policy_id"]
            live = policies.live.get(policy_id)
            draft = policies.drafts.get(policy_id)
            if live is None and draft is None:
                raise GatewayError(404, GATEWAY_NOT_FOUND, "Policy not found")
            if request.method == "GET":
                if _with_staging(request) and draft is not None:
                    return JSONResponse({**cloudflare_v4.success(draft.view()), "uncommitted": True})
                if live is None:
                    raise GatewayError(404, GATEWAY_NOT_FOUND, "Policy not found")
                return JSONResponse(cloudflare_v4.success(live.view()))
            if request.method == "DELETE":
                policies.live.pop(policy_id, None)
                policies.drafts.pop(policy_id, None)
                gateway.settings_changed()
                return JSONResponse(cloudflare_v4.success({"id": policy_id}))
            if live is None:
                raise invalid("Only a committed policy can be updated: commit it first")
            base = draft or live
            fields = {**{k: getattr(base, k) for k in ("name", "actor", "resource", "condition", "action")}, **(changes or {})}
            try:
                updated = make_policy(policy_id, fields, self._now(), created_at=live.created_at)
            except PolicyInvalid as err:
                raise invalid(str(err)) from None
            committed = _committing(request)
            if committed:
                policies.live[policy_id] = updated
                policies.drafts.pop(policy_id, None)
            else:
                policies.drafts[policy_id] = updated
            gateway.settings_changed()
            return JSONResponse({"success": True, "errors": [], "messages": [], "committed": committed})
        except GatewayError as err:
            return error_response(err)

    async def commit(self, request: Request) -> JSONResponse:
        try:
            gateway = self._gateway(request)
            policies = gateway.policies
            count = len(policies.drafts)
            policies.live.update(policies.drafts)
            policies.drafts.clear()
            gateway.settings_changed()
            return JSONResponse(cloudflare_v4.success({"committed": count, "failed": 0, "policies": []}))
        except GatewayError as err:
            return error_response(err)

    async def simulate(self, request: Request) -> JSONResponse:
        try:
            gateway = self._gateway(request)
            body = await self._body(request)
            identity = body.get("identity") or {}
            model, provider = body.get("model"), body.get("provider")
            if not isinstance(identity, dict):
                raise invalid("identity: must be an object ({cf: {user, custom, country}, metadata})")
            if not isinstance(model, str) or not model:
                raise invalid("model: must be a model id, such as openai/gpt-5.5")
            if provider is None:
                provider = "workers-ai" if model.startswith("@cf/") else model.split("/", 1)[0]
            if not isinstance(provider, str):
                raise invalid("provider: must be a string")
            usage = body.get("bucketUsage") or {}
            if not isinstance(usage, dict):
                raise invalid("bucketUsage: must be an object keyed by policy name")
            policies = gateway.policies.with_drafts()
            verdict = evaluate(policies, identity, model, provider)

            def spent_of(budget: Budget) -> float:
                entry = usage.get(budget.policy_name)
                return float(entry.get("spent", 0)) if isinstance(entry, dict) else 0.0

            result = {
                "evaluation": {"decision": verdict.decision, "buckets": [
                    {"bucket": b.bucket, "period": b.period, "limit": b.limit, "policyName": b.policy_name} for b in verdict.budgets
                ]},
                "enforcement": enforce(verdict, spent_of),
                "policiesEvaluated": verdict.policies_evaluated,
            }
            return JSONResponse(cloudflare_v4.success(result))
        except GatewayError as err:
            return error_response(err)
