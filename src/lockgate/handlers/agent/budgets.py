"""Budget arithmetic, pure: may one more model request start, and how many output tokens may it produce?

A request is admitted only if the budget covers what was spent, what requests still in flight may yet
spend (their holds), and the worst case of this one: its input (estimated) plus its output cap. The cap is
the request's ``max_tokens`` lowered to what the budget affords, so an admitted request cannot overspend.
Without a ``max_tokens`` (node or model profile) a request is held at ``ASSUMED_OUTPUT`` tokens and sent
with a cap only once the budget affords less than that: set ``max_tokens`` to make the budget exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lockgate.errors import PermanentStepError

if TYPE_CHECKING:
    from lockgate.handlers.agent.services import ModelProfileData
    from lockgate.spec.agent import Budget

__all__ = ["ASSUMED_OUTPUT", "MIN_OUTPUT", "Admission", "Spend", "admit"]

ASSUMED_OUTPUT = 4096
MIN_OUTPUT = 16  # a request that may answer with fewer tokens than this is not worth sending


@dataclass(frozen=True, slots=True)
class Spend:
    tokens: int = 0
    cost: float = 0.0
    requests: int = 0

    def __add__(self, other: Spend) -> Spend:
        return Spend(self.tokens + other.tokens, self.cost + other.cost, self.requests + other.requests)


@dataclass(frozen=True, slots=True)
class Admission:
    max_output_tokens: int | None  # the cap to send (None: leave the request's own)
    hold: Spend  # what the request may spend at most, held until it is recorded


def _refuse(scope: str, what: str, limit: str, spent: str, held: str, needs: str) -> PermanentStepError:
    return PermanentStepError(
        "budget_exceeded",
        f"{scope} budget exceeded ({what} {limit}): spent {spent}, {held} held by requests in flight, the next "
        f"request needs up to {needs}; no further model requests are made",
    )


def _token_cap(budget: Budget, scope: str, used: Spend, spent: Spend, input_tokens: int) -> int | None:
    if budget.max_tokens is None:
        return None
    room = budget.max_tokens - used.tokens - input_tokens
    if room < MIN_OUTPUT:
        raise _refuse(scope, "max_tokens", f"{budget.max_tokens:,}", f"{spent.tokens:,} tokens",
                      f"{used.tokens - spent.tokens:,}", f"{input_tokens + MIN_OUTPUT:,} tokens")  # fmt: skip
    return room


def _cost_cap(budget: Budget, scope: str, used: Spend, spent: Spend, input_tokens: int,
              model: ModelProfileData) -> int | None:  # fmt: skip
    if budget.max_cost is None:
        return None
    room = budget.max_cost - used.cost - input_tokens * model.input_price / 1_000_000
    floor = MIN_OUTPUT * model.output_price / 1_000_000
    if room < floor or room < 0:
        needs = (input_tokens * model.input_price + MIN_OUTPUT * model.output_price) / 1_000_000
        raise _refuse(scope, "max_cost", f"${budget.max_cost:.4f}", f"${spent.cost:.4f}",
                      f"${used.cost - spent.cost:.4f}", f"${needs:.4f}")  # fmt: skip
    return int(room * 1_000_000 / model.output_price) if model.output_price > 0 else None


def admit(
    budgets: list[tuple[str, Budget, Spend, Spend]],
    model: ModelProfileData,
    input_tokens: int,
    max_output_tokens: int | None,
) -> Admission:
    """Admit one request under every budget ``(scope, budget, spent, held)``, or raise ``budget_exceeded``."""
    caps: list[int] = []
    for scope, budget, spent, held in budgets:
        used = spent + held
        if budget.max_requests is not None and used.requests + 1 > budget.max_requests:
            raise _refuse(scope, "max_requests", str(budget.max_requests), f"{spent.requests} requests",
                          str(held.requests), "1 request")  # fmt: skip
        caps += [c for c in (_token_cap(budget, scope, used, spent, input_tokens),
                             _cost_cap(budget, scope, used, spent, input_tokens, model)) if c is not None]  # fmt: skip
    cap = min(caps) if caps else None
    send = max_output_tokens
    if cap is not None and ((send is None and cap < ASSUMED_OUTPUT) or (send is not None and cap < send)):
        send = cap
    output = send if send is not None else (min(cap, ASSUMED_OUTPUT) if cap is not None else ASSUMED_OUTPUT)
    cost = (input_tokens * model.input_price + output * model.output_price) / 1_000_000
    return Admission(send, Spend(input_tokens + output, cost, 1))
