"""What a built-in plan rule is: an id, its user-facing text, and the function checking a plan."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from infra_verify.iac.findings import PlanContext
from infra_verify.iac.plan import PlanResource
from infra_verify.model import Result, Status


@dataclass(frozen=True)
class Rule:
    """A built-in plan rule: a stable id, a title, why it exists, and the function checking it."""

    id: str
    title: str
    rationale: str
    run: Callable[[PlanContext], list[Result]]

    @classmethod
    def from_module(
        cls, module: str, doc: str | None, run: Callable[[PlanContext], list[Result]]
    ) -> Rule:
        """The rule a module defines: id from its name (``iv001_...`` -> ``IV001``), text from its
        docstring (first line the title, the rest the rationale)."""
        rule_id = module.rsplit(".", 1)[-1].split("_", 1)[0].upper()
        title, _, rest = inspect.cleandoc(doc or "").partition("\n")
        paragraphs = [" ".join(p.split()) for p in rest.strip().split("\n\n")]
        return cls(rule_id, title.strip(), "\n\n".join(p for p in paragraphs if p), run)

    @property
    def kind(self) -> str:
        """The result kind, e.g. ``plan.rule.IV001``."""
        return f"plan.rule.{self.id}"

    def result_id(self, res: PlanResource | None = None) -> str:
        """``rule:IV001:ADDRESS`` for a finding about one resource, else ``rule:IV001``."""
        return f"rule:{self.id}:{res.address}" if res is not None else f"rule:{self.id}"

    def nothing_to_check(self, summary: str) -> list[Result]:
        """The one PASS result of a rule that found nothing it applies to."""
        return [Result(self.result_id(), self.kind, Status.PASS, summary, attempts=1)]
