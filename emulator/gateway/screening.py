"""What a gateway's content checks (guardrails, DLP) are set to for one request, and what they
found: read by the pipeline as it screens the prompt and the answer, then by the log entry, the
journal and the `cf-aig-dlp` header. A gateway with neither configured makes none."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.gateway import dlp
from emulator.gateway.dlp import Finding, Policy, policies_of
from emulator.gateway.guardrails import Evaluation, GuardrailRules


@dataclass(slots=True)
class Screening:
    guardrails: GuardrailRules | None
    policies: tuple[Policy, ...]
    evaluations: list[Evaluation] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @classmethod
    def of(cls, settings: dict[str, Any]) -> Screening | None:
        guardrails = GuardrailRules.of(settings)
        policies = policies_of(settings)
        if guardrails is None and not policies:
            return None
        return cls(guardrails, policies)

    def dlp_header(self) -> tuple[bytes, bytes] | None:
        if not self.findings:
            return None
        return dlp.HEADER, dlp.header_value(self.findings).encode("latin-1")

    def view(self) -> dict[str, Any]:
        """The log entry's and the journal's fields: `guardrails` (each phase's evaluation) and,
        when DLP found something, the `dlp_*` fields."""
        fields: dict[str, Any] = {}
        if self.guardrails is not None:
            fields["guardrails"] = [e.view() for e in self.evaluations]
        if self.findings:
            fields.update(dlp.log_fields(self.findings))
        return fields
