"""Azure OpenAI on the gateway host (`azure-openai/{resource}/{deployment}/chat/completions`),
with the openai SDK's AzureOpenAI client, and the management API's `url/{provider}`."""

from __future__ import annotations

import cloudflare
import httpx
import openai
import pytest

from tests.gateway_helpers import reset

GATEWAY_AUTH = {"cf-aig-authorization": "Bearer emulator-token"}


def gateway_url(emulator) -> str:
    return f"{emulator.base_url}/v1/{emulator.account_id}/default"


def test_openai_client_as_cloudflare_documents_it(emulator):
    reset(emulator)
    client = openai.OpenAI(
        base_url=f"{gateway_url(emulator)}/azure-openai/my-resource/gpt-4o", api_key="azure-key",
        default_query={"api-version": "2024-10-21"}, default_headers={"api-key": "azure-key", **GATEWAY_AUTH},
    )
    reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hello!"}])
    assert reply.choices[0].message.content.startswith("Hello! I am the AI Gateway emulator")
    assert reply.model_extra["prompt_filter_results"][0]["content_filter_results"]["hate"] == {"filtered": False, "severity": "safe"}
    entry = httpx.get(emulator.base_url + "/__emulator__/journal").json()["entries"][-1]
    assert entry["headers"]["api-key"] == "****-key" and entry["path"].endswith("/azure-openai/my-resource/gpt-4o/chat/completions")


def test_azure_openai_client_with_azure_endpoint_under_the_gateway(emulator):
    reset(emulator)
    azure = openai.AzureOpenAI(
        azure_endpoint=f"{gateway_url(emulator)}/azure-openai/my-resource", api_key="azure-key",
        api_version="2024-10-21", default_headers=GATEWAY_AUTH,
    )
    reply = azure.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hello!"}])
    assert reply.choices[0].message.content.startswith("Hello! I am the AI Gateway emulator")
    entry = httpx.get(emulator.base_url + "/__emulator__/journal").json()["entries"][-1]
    assert entry["path"].endswith("/azure-openai/my-resource/openai/deployments/gpt-4o/chat/completions")
    assert entry["headers"]["api-key"] == "****-key"  # azure-key, masked as the journal masks every credential


def test_azure_endpoint_layout_streams(emulator):
    reset(emulator)
    azure = openai.AzureOpenAI(
        azure_endpoint=f"{gateway_url(emulator)}/azure-openai/my-resource", azure_deployment="my-deployment",
        api_key="azure-key", api_version="2024-10-21", default_headers=GATEWAY_AUTH,
    )
    stream = azure.chat.completions.create(model="ignored", messages=[{"role": "user", "content": "Tell me more"}], stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text
    logs = httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs", headers=emulator.auth()).json()["result"]
    assert logs[0]["provider"] == "azure-openai" and logs[0]["model"] == "azure-openai/my-deployment"


def test_documented_curl_body_without_model_and_missing_api_version(emulator):
    reset(emulator)
    url = f"{gateway_url(emulator)}/azure-openai/my-resource/gpt-4o/chat/completions"
    body = {"messages": [{"role": "user", "content": "What is Cloudflare?"}]}
    headers = {**GATEWAY_AUTH, "api-key": "azure-key"}
    answered = httpx.post(url, params={"api-version": "2023-05-15"}, json=body, headers=headers)
    assert answered.status_code == 200 and answered.json()["object"] == "chat.completion"
    missing = httpx.post(url, json=body, headers=headers)
    assert missing.status_code == 404 and missing.json() == {"error": {"code": "404", "message": "Resource not found"}}
    bad = httpx.post(url, params={"api-version": "2023-05-15"}, json={"messages": "x"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "messages"


def test_management_api_gives_the_gateway_url_of_a_provider(emulator):
    reset(emulator)
    httpx.post(f"{gateway_url(emulator)}/compat/chat/completions", json={"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "hi"}]}, headers=GATEWAY_AUTH)
    cf = cloudflare.Cloudflare(base_url=emulator.cloudflare_base_url, api_token=emulator.api_token)
    url = cf.ai_gateway.urls.get("google-ai-studio", account_id=emulator.account_id, gateway_id="default")
    assert url == f"{gateway_url(emulator)}/google-ai-studio"
    with pytest.raises(cloudflare.NotFoundError):
        cf.ai_gateway.urls.get("openai", account_id=emulator.account_id, gateway_id="no-such-gateway")
