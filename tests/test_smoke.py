def test_chat_completion_answers_from_fixture_through_openai_sdk(emulator):
    import openai

    client = openai.OpenAI(base_url=emulator.openai_base_url, api_key=emulator.api_token)
    answer = client.chat.completions.create(
        model="openai/gpt-4.1", messages=[{"role": "user", "content": "What is the capital of France?"}]
    )
    assert answer.choices[0].message.content == "The capital of France is Paris."
    assert answer.usage.total_tokens == 14
