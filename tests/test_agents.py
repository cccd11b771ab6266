"""Agent frameworks run to their final answer against fixtures written with the conversation
matchers: the OpenAI Agents SDK (Responses API) and a LangGraph ReAct agent over langchain-openai
(Chat Completions), plain and streamed. The tool runs exactly once; the answer is the script's.
Tracing is off in both: nothing leaves the machine."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest

# Off before the SDKs are imported: no trace exporter, no LangSmith client.
os.environ["OPENAI_AGENTS_DISABLE_TRACING"] = "1"
os.environ["LANGSMITH_TRACING"] = "false"
os.environ["LANGCHAIN_TRACING_V2"] = "false"

agents = pytest.importorskip("agents")
langchain_openai = pytest.importorskip("langchain_openai")
prebuilt = pytest.importorskip("langgraph.prebuilt")

import openai  # noqa: E402

QUESTION = "What is the weather in Paris?"
ANSWER = "It is 18 C and sunny in Paris."

AGENT_FIXTURES = {"fixtures": [
    {"name": "agent-calls-the-tool", "match": {"content": QUESTION, "turn": 0, "tools": ["get_weather"]},
     "respond": {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}},
    {"name": "agent-answers", "match": {"content": QUESTION, "last_role": "tool", "tool_result": {"tool": "get_weather", "content": {"contains": "18"}}},
     "respond": {"text": ANSWER}},
]}


@pytest.fixture
def scripted(emulator, http, add_fixture):
    """The agent's two steps as fixtures, and the tool's calls as the test sees them."""
    add_fixture(AGENT_FIXTURES)
    calls: list[str] = []

    def get_weather(city: str) -> str:
        """The weather of a city."""
        calls.append(city)
        return "18 C, sunny"

    return get_weather, calls


def answered_by(emulator) -> list[str]:
    return [entry["fixture"] for entry in httpx.get(emulator.base_url + "/__emulator__/journal").json()["entries"]]


@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "streamed"])
def test_openai_agents_sdk_agent_calls_its_tool_once_and_answers(emulator, scripted, streamed):
    get_weather, calls = scripted
    client = openai.AsyncOpenAI(base_url=emulator.openai_base_url, api_key=emulator.api_token, max_retries=0)
    agent = agents.Agent(
        name="weather", instructions="Answer with the weather.", tools=[agents.function_tool(get_weather)],
        model=agents.OpenAIResponsesModel(model="openai/gpt-4.1", openai_client=client),
    )
    config = agents.RunConfig(tracing_disabled=True)

    async def run() -> str:
        if not streamed:
            return (await agents.Runner.run(agent, QUESTION, run_config=config)).final_output
        result = agents.Runner.run_streamed(agent, QUESTION, run_config=config)
        deltas = [event.data.delta async for event in result.stream_events()
                  if event.type == "raw_response_event" and event.data.type == "response.output_text.delta"]
        assert "".join(deltas) == ANSWER
        return result.final_output

    assert asyncio.run(run()) == ANSWER
    assert calls == ["Paris"]
    assert answered_by(emulator) == ["agent-calls-the-tool", "agent-answers"]


# langgraph 1.x points to langchain.agents.create_agent, from the `langchain` package; the
# prebuilt agent is what langgraph itself ships.
@pytest.mark.filterwarnings("ignore:create_react_agent has been moved")
@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "streamed"])
def test_langgraph_react_agent_calls_its_tool_once_and_answers(emulator, scripted, streamed):
    get_weather, calls = scripted
    model = langchain_openai.ChatOpenAI(model="openai/gpt-4.1", base_url=emulator.openai_base_url, api_key=emulator.api_token,
                                        max_retries=0, streaming=streamed)
    graph = prebuilt.create_react_agent(model, [get_weather], prompt="Answer with the weather.")
    question = {"messages": [{"role": "user", "content": QUESTION}]}
    if streamed:
        pieces = [chunk.content for chunk, meta in graph.stream(question, stream_mode="messages")
                  if meta.get("langgraph_node") == "agent" and isinstance(chunk.content, str)]
        assert "".join(pieces) == ANSWER
    else:
        state = graph.invoke(question)
        assert state["messages"][-1].content == ANSWER
    assert calls == ["Paris"]
    assert answered_by(emulator) == ["agent-calls-the-tool", "agent-answers"]
