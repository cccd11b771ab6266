def test_chat_completion_answers_from_fixture_through_openai_sdk(emulator):
    import openai

    client = openai.OpenAI(base_url=emulator.openai_base_url, api_key=emulator.api_token)
    answer = client.chat.completions.create(
        model="openai/gpt-4.1", messages=[{"role": "user", "content": "What is the capital of France?"}]
    )
    assert answer.choices[0].message.content == "The capital of France is Paris."
    assert answer.usage.total_tokens == 14


def test_runtime_fixture_answers_then_reset_forgets_it(emulator):
    import httpx

    added = httpx.post(
        emulator.base_url + "/__emulator__/fixtures",
        json={"match": {"content": "ping"}, "respond": {"text": "pong"}},
    )
    assert added.status_code == 201
    body = {"model": "openai/gpt-4.1", "messages": [{"role": "user", "content": "ping"}]}
    url = emulator.openai_base_url + "/chat/completions"
    assert httpx.post(url, json=body, headers=emulator.auth()).json()["choices"][0]["message"]["content"] == "pong"
    assert httpx.post(emulator.base_url + "/__emulator__/reset").status_code == 200
    assert httpx.post(url, json=body, headers=emulator.auth()).json()["choices"][0]["message"]["content"] != "pong"
