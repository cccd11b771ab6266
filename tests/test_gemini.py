"""Google AI Studio's native API on the gateway host (`google-ai-studio/{v1,v1beta}/models/...`),
through the official `google-genai` SDK pointed at the gateway URL, and Gemini input on ai/run."""

from __future__ import annotations

import re

import httpx
import pytest
from google import genai
from google.genai import errors, types

from tests.gateway_helpers import add_fixture, reset

GATEWAY_AUTH = {"cf-aig-authorization": "Bearer emulator-token"}


def gemini_url(emulator) -> str:
    return f"{emulator.base_url}/v1/{emulator.account_id}/default/google-ai-studio"


_clients: list[genai.Client] = []


def client(emulator, api_version: str | None = None) -> genai.Client:
    """A client pointed at the gateway URL, as Cloudflare's docs set `http_options`. Kept for the
    module: a genai.Client closes its connections when it is garbage-collected."""
    options = types.HttpOptions(base_url=gemini_url(emulator), headers=GATEWAY_AUTH, api_version=api_version)
    _clients.append(genai.Client(api_key="google-key", http_options=options))
    return _clients[-1]


def post(emulator, path: str, body, **params) -> httpx.Response:
    headers = {**GATEWAY_AUTH, "x-goog-api-key": "google-key"}
    return httpx.post(f"{gemini_url(emulator)}/{path}", json=body, headers=headers, params=params)


def test_sdk_generate_content_answers_with_text_and_usage(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"model": "google/gemini-2.5-flash", "content": "What is Cloudflare?"}, "respond": {"text": "A connectivity cloud."}})
    answer = client(emulator).models.generate_content(model="gemini-2.5-flash", contents="What is Cloudflare?")
    assert answer.text == "A connectivity cloud."
    assert answer.candidates[0].finish_reason == types.FinishReason.STOP
    assert answer.model_version == "gemini-2.5-flash"
    usage = answer.usage_metadata
    assert usage.prompt_token_count > 0 and usage.candidates_token_count > 0
    assert usage.total_token_count == usage.prompt_token_count + usage.candidates_token_count
    entry = httpx.get(emulator.base_url + "/__emulator__/journal").json()["entries"][-1]
    assert re.search(r"/google-ai-studio/v1(beta)?/models/gemini-2\.5-flash:generateContent$", entry["path"])
    assert entry["headers"]["x-goog-api-key"] == "****-key"  # google-key, masked as the journal masks every credential
    assert entry["model"] == "google/gemini-2.5-flash" and entry["gateway"] == "default"


def test_sdk_stream_on_v1beta_concatenates_to_the_whole_answer(emulator):
    reset(emulator)
    whole = client(emulator, "v1beta").models.generate_content(model="gemini-2.5-pro", contents="Tell me about caches")
    reset(emulator)
    chunks = list(client(emulator, "v1beta").models.generate_content_stream(model="gemini-2.5-pro", contents="Tell me about caches"))
    assert len(chunks) > 1
    assert "".join(c.text for c in chunks) == whole.text
    assert [c.candidates[0].finish_reason for c in chunks][-1] == types.FinishReason.STOP
    assert all(c.candidates[0].finish_reason is None for c in chunks[:-1])
    assert chunks[-1].usage_metadata.total_token_count == whole.usage_metadata.total_token_count
    entry = httpx.get(emulator.base_url + "/__emulator__/journal").json()["entries"][-1]
    assert entry["path"].endswith("/v1beta/models/gemini-2.5-pro:streamGenerateContent")


def test_stream_without_alt_sse_is_one_json_array(emulator):
    reset(emulator)
    response = post(emulator, "v1beta/models/gemini-2.5-flash:streamGenerateContent", {"contents": [{"parts": [{"text": "hi"}]}]})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, list) and body[-1]["candidates"][0]["finishReason"] == "STOP"


def test_sdk_forced_function_call_matches_its_declaration(emulator):
    reset(emulator)
    declaration = types.FunctionDeclaration(
        name="get_weather", description="Weather in a city",
        parameters=types.Schema(type="OBJECT", properties={"city": types.Schema(type="STRING")}, required=["city"]),
    )
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[declaration])],
        tool_config=types.ToolConfig(function_calling_config=types.FunctionCallingConfig(mode="ANY")),
    )
    answer = client(emulator).models.generate_content(model="gemini-2.5-flash", contents="Weather in Lisbon?", config=config)
    (call,) = answer.function_calls
    assert call.name == "get_weather" and isinstance(call.args["city"], str)


def test_sdk_response_schema_answer_parses_against_it(emulator):
    reset(emulator)
    schema = {"type": "OBJECT", "properties": {"name": {"type": "STRING"}, "servings": {"type": "INTEGER"}}, "required": ["name", "servings"]}
    config = types.GenerateContentConfig(response_mime_type="application/json", response_schema=schema)
    answer = client(emulator).models.generate_content(model="gemini-2.5-flash", contents="A recipe", config=config)
    assert isinstance(answer.parsed["name"], str) and isinstance(answer.parsed["servings"], int)
    json_schema = {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}, "minItems": 2}}, "required": ["tags"]}
    config = types.GenerateContentConfig(response_mime_type="application/json", response_json_schema=json_schema)
    answer = client(emulator).models.generate_content(model="gemini-2.5-flash", contents="Tags", config=config)
    assert len(answer.parsed["tags"]) >= 2


@pytest.mark.parametrize(("body", "message", "field"), [
    ({}, "* GenerateContentRequest.contents: contents is not specified", None),
    ({"contents": [{"parts": []}]}, "* GenerateContentRequest.contents[0].parts: contents.parts must not be empty", None),
    ({"contents": [{"parts": [{"text": "x"}]}], "temprature": 1}, 'Invalid JSON payload received. Unknown name "temprature": Cannot find field.', "temprature"),
    ({"contents": [{"parts": [{"text": 5}]}]}, "Invalid value at 'contents[0].parts[0].text' (TYPE_STRING), 5", "contents[0].parts[0].text"),
    ({"contents": [{"role": "bot", "parts": [{"text": "x"}]}]}, "Please use a valid role: user, model.", None),
])
def test_bad_bodies_get_googles_error_naming_the_field(emulator, body, message, field):
    response = post(emulator, "v1beta/models/gemini-2.5-flash:generateContent", body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 400 and error["status"] == "INVALID_ARGUMENT" and error["message"] == message
    if field is not None:
        assert error["details"][0]["fieldViolations"][0]["field"] == field


def test_sdk_sees_a_bad_request_as_a_client_error(emulator):
    with pytest.raises(errors.ClientError) as caught:
        client(emulator).models.generate_content(model="gemini-2.5-flash", contents=[{"role": "bot", "parts": [{"text": "x"}]}])
    assert caught.value.code == 400 and caught.value.status == "INVALID_ARGUMENT"


def test_fixture_error_is_a_google_error_and_unknown_method_a_gateway_404(emulator):
    reset(emulator)
    add_fixture(emulator, {"match": {"model": "google/gemini-2.5-flash", "content": "overload"}, "respond": {"error": {"status": 503, "message": "The model is overloaded."}}})
    with pytest.raises(errors.ServerError) as caught:
        client(emulator).models.generate_content(model="gemini-2.5-flash", contents="overload")
    assert caught.value.code == 503 and caught.value.status == "UNAVAILABLE"
    response = post(emulator, "v1beta/models/gemini-2.5-flash:countTokens", {"contents": []})
    assert response.status_code == 404 and response.json()["internalCode"] == 7000


def test_ai_run_takes_gemini_contents_for_google_models(http):
    body = {"model": "google/gemini-2.5-flash", "input": {"contents": [{"role": "user", "parts": [{"text": "What are the laws of thermodynamics?"}]}]}}
    response = http.post("/ai/run", json=body)
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["candidates"][0]["content"]["role"] == "model"
    assert result["modelVersion"] == "gemini-2.5-flash" and result["usageMetadata"]["totalTokenCount"] > 0
    bad = http.post("/ai/run", json={"model": "google/gemini-2.5-flash", "input": {"messages": [{"role": "user", "content": "x"}]}})
    assert bad.status_code == 400 and "messages" in bad.text


def test_gateway_log_names_the_provider_google_ai_studio(emulator):
    reset(emulator)
    client(emulator).models.generate_content(model="gemini-2.5-flash", contents="log me")
    listing = httpx.get(f"{emulator.account_url}/ai-gateway/gateways/default/logs", headers=emulator.auth()).json()["result"]
    assert listing[0]["provider"] == "google-ai-studio" and listing[0]["model"] == "google/gemini-2.5-flash"


def test_a_model_google_does_not_have_is_googles_own_404(emulator):
    response = post(emulator, "v1beta/models/gemini-0.1-nonexistent:generateContent", {"contents": [{"parts": [{"text": "hi"}]}]})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["status"] == "NOT_FOUND" and error["message"].startswith("models/gemini-0.1-nonexistent is not found for API version v1beta")
