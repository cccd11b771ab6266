"""ai/run (envelope) and ai/run/{model} (legacy path), with httpx and the cloudflare SDK."""

from __future__ import annotations

import base64

import pytest

from tests.checks import assert_gateway_headers, assert_no_gateway_headers

LLAMA = "@cf/meta/llama-3.1-8b-instruct"
GATEWAY = {"cf-aig-gateway-id": "default"}


def assert_envelope(response) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["errors"] == [] and body["messages"] == []
    return body["result"]


# --- the envelope -------------------------------------------------------------------------
def test_envelope_runs_a_workers_ai_model_through_the_gateway(http):
    response = http.post("/ai/run", json={"model": LLAMA, "input": {"prompt": "hi"}}, headers=GATEWAY)
    result = assert_envelope(response)
    assert isinstance(result["response"], str) and result["response"]
    assert result["usage"]["total_tokens"] == result["usage"]["prompt_tokens"] + result["usage"]["completion_tokens"]
    assert_gateway_headers(response.headers)


def test_envelope_runs_a_third_party_model_in_its_own_wire_format(http):
    openai_result = assert_envelope(http.post("/ai/run", json={"model": "openai/gpt-4.1", "input": {"messages": [{"role": "user", "content": "hi"}]}}))
    assert openai_result["object"] == "chat.completion"
    anthropic_input = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 20}
    anthropic_result = assert_envelope(http.post("/ai/run", json={"model": "anthropic/claude-haiku-4.5", "input": anthropic_input}))
    assert anthropic_result["type"] == "message"


def test_envelope_third_party_input_error_is_7003_user_input_error(http):
    response = http.post("/ai/run", json={"model": "anthropic/claude-haiku-4.5", "input": {"messages": [{"role": "user", "content": "hi"}]}})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == 7003
    assert error["message"].startswith("Model execution failed (User Input Error):") and "max_tokens" in error["message"]


def test_envelope_webhook_url_without_background_is_refused(http):
    body = {"model": LLAMA, "input": {"prompt": "hi"}, "options": {"webhookUrl": "https://example.com/hook"}}
    response = http.post("/ai/run", json=body, headers=GATEWAY)
    assert response.status_code == 400
    assert "webhookUrl" in response.json()["errors"][0]["message"]


# --- the legacy path ----------------------------------------------------------------------
@pytest.mark.parametrize("path", [LLAMA, LLAMA.replace("/", "%2F")])
def test_legacy_path_runs_as_plain_workers_ai_with_raw_or_encoded_slashes(http, path):
    response = http.post(f"/ai/run/{path}", json={"messages": [{"role": "user", "content": "hi"}]})
    result = assert_envelope(response)
    assert result["response"]
    assert_no_gateway_headers(response.headers)


def test_legacy_path_with_a_gateway_header_goes_through_the_gateway(http):
    response = http.post(f"/ai/run/{LLAMA}", json={"prompt": "hi"}, headers=GATEWAY)
    assert_envelope(response)
    assert_gateway_headers(response.headers)


def test_legacy_path_refuses_third_party_models(http):
    response = http.post("/ai/run/openai/gpt-4.1", json={"prompt": "hi"})
    assert response.status_code == 400
    assert response.json()["errors"][0] == {"code": 7000, "message": "No route for that URI"}


def test_whisper_takes_raw_audio_bytes_or_json(http):
    raw = http.post("/ai/run/@cf/openai/whisper", content=b"RIFF....WAVEfmt ", headers={"content-type": "application/octet-stream"})
    assert isinstance(assert_envelope(raw)["text"], str)
    as_json = http.post("/ai/run/@cf/openai/whisper", json={"audio": [82, 73, 70, 70]})
    result = assert_envelope(as_json)
    assert result["word_count"] == len(result["words"])
    assert result["vtt"].startswith("WEBVTT")


def test_whisper_with_an_empty_body_is_3003(http):
    response = http.post("/ai/run/@cf/openai/whisper", content=b"", headers={"content-type": "application/octet-stream"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == 3003


def test_binary_models_answer_with_raw_png_and_mpeg(http):
    image = http.post("/ai/run/@cf/stabilityai/stable-diffusion-xl-base-1.0", json={"prompt": "a cat"})
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    audio = http.post("/ai/run/@cf/deepgram/aura-1", json={"text": "hello"})
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/mpeg"
    assert audio.content[:2] == b"\xff\xfb"


# --- the cloudflare SDK ---------------------------------------------------------------------
def test_cloudflare_sdk_text_generation(cloudflare_client, emulator):
    result = cloudflare_client.ai.run(LLAMA, account_id=emulator.account_id, messages=[{"role": "user", "content": "hi"}])
    assert isinstance(result["response"], str)
    assert result["usage"]["prompt_tokens"] > 0


@pytest.mark.parametrize(
    "model,dimensions,pooling",
    [("@cf/baai/bge-small-en-v1.5", 384, "mean"), ("@cf/baai/bge-base-en-v1.5", 768, "mean"), ("@cf/baai/bge-m3", 1024, "cls")],
)
def test_cloudflare_sdk_embeddings_have_each_models_dimensions(cloudflare_client, emulator, model, dimensions, pooling):
    result = cloudflare_client.ai.run(model, account_id=emulator.account_id, text=["one", "two", "three"])
    assert result["shape"] == [3, dimensions]
    assert len(result["data"]) == 3 and all(len(vector) == dimensions for vector in result["data"])
    assert result["pooling"] == pooling
    for vector in result["data"]:  # unit vectors (cosine similarity works), distinct per text
        assert abs(sum(x * x for x in vector) - 1) < 1e-3 and len(set(vector)) > dimensions // 4
    assert len({tuple(vector) for vector in result["data"]}) == 3


def test_cloudflare_sdk_json_image_and_audio(cloudflare_client, emulator):
    image = cloudflare_client.ai.run("@cf/black-forest-labs/flux-1-schnell", account_id=emulator.account_id, prompt="a cat")
    assert base64.b64decode(image["image"]).startswith(b"\x89PNG")
    speech = cloudflare_client.ai.run("@cf/myshell-ai/melotts", account_id=emulator.account_id, prompt="hello")
    assert base64.b64decode(speech["audio"])[:2] == b"\xff\xfb"


def test_cloudflare_sdk_binary_output_through_raw_response(cloudflare_client, emulator):
    raw = cloudflare_client.ai.with_raw_response.run("@cf/stabilityai/stable-diffusion-xl-base-1.0", account_id=emulator.account_id, prompt="a cat")
    assert raw.headers["content-type"] == "image/png"
    assert raw.http_response.content.startswith(b"\x89PNG")


def test_cloudflare_sdk_speech_recognition(cloudflare_client, emulator):
    whisper = cloudflare_client.ai.run("@cf/openai/whisper", account_id=emulator.account_id, audio=[1, 2, 3])
    assert whisper["text"]
    turbo = cloudflare_client.ai.run("@cf/openai/whisper-large-v3-turbo", account_id=emulator.account_id, audio="UklGRg==")
    assert turbo["transcription_info"]["language"] == "en"
    assert turbo["segments"][0]["text"] == turbo["text"]


def test_cloudflare_sdk_other_tasks(cloudflare_client, emulator):
    account = emulator.account_id
    labels = cloudflare_client.ai.run("@cf/huggingface/distilbert-sst-2-int8", account_id=account, text="great")
    assert sorted(label.label for label in labels) == ["NEGATIVE", "POSITIVE"]
    assert abs(sum(label.score for label in labels) - 1) < 1e-3
    assert cloudflare_client.ai.run("@cf/meta/m2m100-1.2b", account_id=account, text="hello", target_lang="fr")["translated_text"]
    assert cloudflare_client.ai.run("@cf/facebook/bart-large-cnn", account_id=account, input_text="a long text")["summary"]
    assert cloudflare_client.ai.run("@cf/llava-hf/llava-1.5-7b-hf", account_id=account, image=[1, 2], prompt="what")["description"]
    boxes = cloudflare_client.ai.run("@cf/facebook/detr-resnet-50", account_id=account, image=[1, 2, 3])
    assert boxes and all(box.box.xmax > box.box.xmin and 0 <= box.score <= 1 for box in boxes)
    classes = cloudflare_client.ai.run("@cf/microsoft/resnet-50", account_id=account, image=[1, 2, 3])
    assert classes and all(c.label for c in classes)


def test_cloudflare_sdk_bad_input_is_bad_request_5006(cloudflare_client, emulator):
    import cloudflare

    with pytest.raises(cloudflare.BadRequestError) as caught:
        cloudflare_client.ai.run("@cf/black-forest-labs/flux-1-schnell", account_id=emulator.account_id, prompt="cat", width=512)
    error = caught.value.body["errors"][0]
    assert error["code"] == 5006
    assert error["message"].startswith("AiError: Bad input:") and "/width" in error["message"]


def test_prompt_and_messages_together_use_the_form_that_is_valid(http, add_fixture):
    # The input schema is oneOf(prompt form, messages form): with both keys it passes only when
    # exactly one form is valid, and that one is what the model reads.
    add_fixture({"match": {"content": "the prompt form"}, "respond": {"text": "read the prompt"}})
    add_fixture({"match": {"content": "the messages form"}, "respond": {"text": "read the messages"}})
    url = f"/ai/run/{LLAMA}"
    by_prompt = http.post(url, json={"prompt": "the prompt form", "messages": [None, "not a message"]})
    assert assert_envelope(by_prompt)["response"] == "read the prompt"
    by_messages = http.post(url, json={"prompt": "", "messages": [{"role": "user", "content": "the messages form"}]})
    assert assert_envelope(by_messages)["response"] == "read the messages"


def test_a_tool_whose_name_is_not_a_string_is_5006_naming_it(http):
    response = http.post(f"/ai/run/{LLAMA}", json={"prompt": "x", "tools": [{"name": 5, "description": "d", "parameters": {}}]})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == 5006 and "/tools/0/name" in error["message"]


def test_cloudflare_sdk_model_search_and_schema(cloudflare_client, emulator):
    models = cloudflare_client.ai.models.list(account_id=emulator.account_id, task="Text Embeddings")
    names = [m["name"] for m in models.result]
    assert "@cf/baai/bge-m3" in names
    assert all(m["task"]["name"] == "Text Embeddings" for m in models.result)
    schema = cloudflare_client.ai.models.schema.get(account_id=emulator.account_id, model=LLAMA)
    assert schema.input is not None and schema.output is not None


def test_cloudflare_sdk_lists_tasks_and_authors_from_the_catalog(cloudflare_client, emulator):
    tasks = list(cloudflare_client.ai.tasks.list(account_id=emulator.account_id))
    assert {"Text Generation", "Text Embeddings", "Automatic Speech Recognition"} <= {t["name"] for t in tasks}
    models = cloudflare_client.ai.models.list(account_id=emulator.account_id, task="Text Generation").result
    generation = next(t for t in tasks if t["name"] == "Text Generation")
    assert generation == models[0]["task"]  # the same task object the model search shows
    authors = list(cloudflare_client.ai.authors.list(account_id=emulator.account_id))
    assert {"meta", "baai", "openai"} <= {a["name"] for a in authors} and len({a["name"] for a in authors}) == len(authors)


# --- a provider that rejects the credentials (changelog 2026-10-06: ai/run only) --------------
def test_a_provider_rejecting_the_credentials_is_401_2009_with_stored_keys_and_503_with_cloudflares(http, emulator):
    rejected = {"status": 401, "body": {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}}
    http.post(emulator.base_url + "/__emulator__/fixtures", json={"match": {"content": "bad key"}, "respond": {"error": rejected}}).raise_for_status()
    ask = {"model": "openai/gpt-4.1", "input": {"messages": [{"role": "user", "content": "bad key"}]}}
    gateway = {"id": "byok", "byok_only": True, "cache_invalidate_on_update": False, "cache_ttl": 0, "collect_logs": True,
               "rate_limiting_interval": 0, "rate_limiting_limit": 0}
    http.post("/ai-gateway/gateways", json=gateway).raise_for_status()
    http.post("/ai-gateway/gateways", json={**gateway, "id": "keyless", "byok_only": False}).raise_for_status()
    stored = {"alias": "default", "provider_slug": "openai", "default_config": True, "secret": "sk-stored-0123456789abcdef"}
    http.post("/ai-gateway/gateways/default/provider_configs", json=stored).raise_for_status()
    byok = http.post("/ai/run", json=ask, headers={"cf-aig-max-attempts": "3"})  # the stored key is rejected
    assert byok.status_code == 401, byok.text
    assert byok.json() == {"result": None, "success": False, "errors": [{"code": 2009, "message": "Unauthorized"}], "messages": []}
    assert_gateway_headers(byok.headers)
    # Provider credentials required and none stored: the documented 400, before the provider is asked.
    for headers in ({"cf-aig-no-wholesale": "true", "cf-aig-gateway-id": "keyless"}, {"cf-aig-gateway-id": "byok"}):
        refused = http.post("/ai/run", json=ask, headers=headers)
        assert (refused.status_code, refused.json()["errors"][0]["code"]) == (400, 2040), refused.text
    unified = http.post("/ai/run", json=ask, headers={"cf-aig-gateway-id": "keyless"})  # no stored key: Cloudflare's own (Unified Billing)
    assert unified.status_code == 503 and unified.json()["errors"][0]["code"] == 2005, unified.text
    journal = http.get(emulator.base_url + "/__emulator__/journal").json()["entries"]
    assert [(e["status"], [a["status"] for a in e["attempts"]]) for e in journal] == [(401, [401]), (400, []), (400, []), (503, [401])]  # never retried


def test_other_routes_pass_the_providers_own_credentials_error_through(http, emulator):
    import httpx

    body = {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}
    http.post(emulator.base_url + "/__emulator__/fixtures", json={"match": {"content": "bad key"}, "respond": {"error": {"status": 401, "body": body}}}).raise_for_status()
    chat = {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "bad key"}]}
    rest = http.post("/ai/v1/chat/completions", json=chat, headers={"cf-aig-byok-alias": "prod"})
    assert (rest.status_code, rest.json()) == (401, body)
    gateway = httpx.post(f"{emulator.base_url}/v1/{emulator.account_id}/default/openai/chat/completions", json={**chat, "model": "gpt-4.1"},
                         headers={"cf-aig-authorization": f"Bearer {emulator.api_token}", "authorization": "Bearer sk-wrong"})
    assert (gateway.status_code, gateway.json()) == (401, body)
    workers = http.post(emulator.base_url + "/__emulator__/fixtures", json={"match": {"model": LLAMA}, "respond": {"error": {"status": 401, "message": "no"}}})
    workers.raise_for_status()
    assert http.post("/ai/run", json={"model": LLAMA, "input": {"prompt": "hi"}}, headers=GATEWAY).json()["errors"][0]["code"] == 5000
