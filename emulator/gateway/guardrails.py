"""Guardrails: the hazard categories a gateway screens prompts and responses for, and what it
does with a text that falls in one.

Categories are Llama Guard 3's S1-S13 and Prompt Guard's P1 (prompt injection). The gateway's
`guardrails` setting (management API and config file, the shape of the cloudflare SDK's
`ai_gateway.create/update` params) gives each one FLAG or BLOCK, separately for prompts and
responses; a category it leaves out is ignored:

    {"prompt": {"S1": "BLOCK", "P1": "FLAG"}, "response": {"S10": "BLOCK"}}

Classification is deterministic, no model runs: a text falls in the categories that
classification rules give it (fixture files' `classifications`, runtime ones from the control
API or the pytest plugin, matched with the fixtures' text matchers) and that the gateway's own
`guardrail_patterns` (config file, `{category: [regex, ...]}`) find in it. A text nothing
classifies is safe. The scanner itself (Workers AI) can be scripted unavailable or out of
credits, for the tests of those answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from emulator.errors import GatewayError
from emulator.text_matcher import TextMatcher, text_matcher

CATEGORIES = (*(f"S{n}" for n in range(1, 14)), "P1")
PROMPT, RESPONSE = "prompt", "response"
FLAG, BLOCK = "FLAG", "BLOCK"

# The scanner's states, scripted by POST /__emulator__/guardrails or the config's `guardrails_scanner`.
AVAILABLE, UNAVAILABLE, CREDITS_EXHAUSTED = "available", "unavailable", "credits_exhausted"
SCANNER_STATES = (AVAILABLE, UNAVAILABLE, CREDITS_EXHAUSTED)


# --- the answers (documented codes; the scanner errors' messages are undocumented: emulator wording)
def prompt_blocked(run_api: bool) -> GatewayError:
    """424 / 2016 on provider endpoints; the `/run` API answers 422 / 2017 (as documented, for both)."""
    status, code = (422, 2017) if run_api else (424, 2016)
    return GatewayError(status, code, "Prompt blocked due to security configurations", ai_gateway_error=True)


def response_blocked(run_api: bool) -> GatewayError:
    return GatewayError(422 if run_api else 424, 2017, "Response blocked due to security configurations", ai_gateway_error=True)


def scanner_unavailable() -> GatewayError:
    return GatewayError(503, 7013, "Guardrails scanner unavailable", ai_gateway_error=True)


def scanner_needs_credits() -> GatewayError:
    return GatewayError(402, 2021, "Guardrails scanner needs more credits", ai_gateway_error=True)


@dataclass(frozen=True)
class GuardrailRules:
    """One gateway's guardrails: category -> FLAG | BLOCK, per phase, and its own patterns."""

    prompt: dict[str, str]
    response: dict[str, str]
    patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()

    @classmethod
    def of(cls, settings: dict[str, Any]) -> GuardrailRules | None:
        """None when the gateway screens nothing (no `guardrails`, or every category ignored)."""
        guardrails = settings.get("guardrails")
        if not guardrails:
            return None
        prompt, response = guardrails.get(PROMPT) or {}, guardrails.get(RESPONSE) or {}
        if not prompt and not response:
            return None
        patterns = tuple(
            (category, re.compile(regex))
            for category, regexes in (settings.get("guardrail_patterns") or {}).items()
            for regex in regexes
        )
        return cls(dict(prompt), dict(response), patterns)

    def actions(self, phase: str) -> dict[str, str]:
        return self.prompt if phase == PROMPT else self.response


@dataclass(frozen=True)
class Classification:
    """Content in `categories`: the text the matcher accepts, as a prompt, a response or both."""

    name: str
    source: str
    spec: dict[str, Any]
    content: TextMatcher
    categories: tuple[str, ...]
    applies_to: str  # prompt | response | both

    def classifies(self, phase: str, text: str) -> bool:
        return (self.applies_to == "both" or self.applies_to == phase) and self.content.matches(text)


def compile_classification(spec: dict[str, Any], source: str) -> Classification:
    return Classification(
        name=spec.get("name", source),
        source=source,
        spec=spec,
        content=text_matcher(spec["content"]),
        categories=tuple(spec["categories"]),
        applies_to=spec.get("applies_to", "both"),
    )


class Classifications:
    """Classification rules from fixture files (fixed at start) and the control API (reset)."""

    def __init__(self) -> None:
        self._files: list[Classification] = []
        self._runtime: list[Classification] = []
        self._counter = 0

    def add_file_rules(self, specs: Iterable[dict[str, Any]], source: str) -> None:
        self._files.extend(compile_classification(spec, f"{source}#classifications/{i}") for i, spec in enumerate(specs))

    def add_runtime(self, spec: dict[str, Any]) -> Classification:
        self._counter += 1
        rule = compile_classification(spec, f"classification#{self._counter}")
        self._runtime.append(rule)
        return rule

    def remove_runtime(self, rule_id: str) -> bool:
        before = len(self._runtime)
        self._runtime = [r for r in self._runtime if r.source != rule_id and r.name != rule_id]
        return len(self._runtime) != before

    def __iter__(self):
        return iter((*self._runtime, *self._files))

    def reset(self) -> None:
        self._runtime = []
        self._counter = 0

    def classify(self, phase: str, text: str, rules: GuardrailRules) -> dict[str, list[str]]:
        """The categories `text` falls in, each with the names of the rules that put it there."""
        found: dict[str, list[str]] = {}
        for rule in self:
            if rule.classifies(phase, text):
                for category in rule.categories:
                    found.setdefault(category, []).append(rule.name)
        for category, pattern in rules.patterns:
            if pattern.search(text):
                found.setdefault(category, []).append(f"guardrail_patterns.{category}")
        return found


class Scanner:
    """The guardrail scanner's scripted state; back to the configured one on reset."""

    def __init__(self, configured: str = AVAILABLE) -> None:
        self.configured = configured
        self.status = configured

    def reset(self) -> None:
        self.status = self.configured


@dataclass(frozen=True)
class Evaluation:
    """One phase's verdict. `action` BLOCK or FLAG when a category the phase acts on was found,
    None when the text passed (or the scanner was unavailable and every rule is FLAG).
    `enforced` False: the verdict was logged only (a streamed response on the REST host)."""

    phase: str
    categories: tuple[str, ...]  # found and acted on (FLAG or BLOCK); ignored ones are left out
    action: str | None
    scanner: str
    classified_by: tuple[str, ...] = ()
    enforced: bool = True

    def view(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "categories": list(self.categories),
            "action": self.action,
            "scanner": self.scanner,
            "enforced": self.enforced,
            "classified_by": list(self.classified_by),
        }


def evaluate(rules: GuardrailRules, phase: str, text: str, classifications: Classifications, scanner: Scanner, enforced: bool = True) -> Evaluation | None:
    """The phase's evaluation; None when the gateway screens nothing in this phase."""
    actions = rules.actions(phase)
    if not actions:
        return None
    if scanner.status != AVAILABLE:
        return Evaluation(phase, (), None, scanner.status, enforced=enforced)
    found = classifications.classify(phase, text, rules)
    acted = tuple(c for c in CATEGORIES if c in found and c in actions)
    action = BLOCK if any(actions[c] == BLOCK for c in acted) else FLAG if acted else None
    reasons = tuple(dict.fromkeys(name for c in acted for name in found[c]))
    return Evaluation(phase, acted, action, AVAILABLE, reasons, enforced)


def enforcement(evaluation: Evaluation, rules: GuardrailRules, run_api: bool) -> GatewayError | None:
    """The error the gateway answers with, if this evaluation stops the request."""
    if not evaluation.enforced:
        return None
    if evaluation.scanner == CREDITS_EXHAUSTED:
        return scanner_needs_credits()
    if evaluation.scanner == UNAVAILABLE:
        # Fail closed only when some rule of this phase blocks; all-FLAG continues (logged unavailable).
        return scanner_unavailable() if BLOCK in rules.actions(evaluation.phase).values() else None
    if evaluation.action == BLOCK:
        return prompt_blocked(run_api) if evaluation.phase == PROMPT else response_blocked(run_api)
    return None
