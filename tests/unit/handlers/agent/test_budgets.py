"""Budget arithmetic: an admitted request can never take the spend past a budget, whatever is in flight."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lockgate.errors import PermanentStepError
from lockgate.handlers.agent.budgets import MIN_OUTPUT, Spend, admit
from lockgate.handlers.agent.services import ModelProfileData, Provider
from lockgate.spec.agent import Budget

MODEL = ModelProfileData(
    name="m", provider=Provider.OPENAI_COMPATIBLE, model_id="m", input_price=3.0, output_price=15.0
)


@given(
    limit=st.integers(min_value=1, max_value=100_000),
    spent=st.integers(min_value=0, max_value=100_000),
    held=st.integers(min_value=0, max_value=100_000),
    input_tokens=st.integers(min_value=1, max_value=50_000),
    wanted=st.one_of(st.none(), st.integers(min_value=1, max_value=10_000)),
)
def test_a_token_budget_is_never_exceeded_by_what_is_admitted(
    limit: int, spent: int, held: int, input_tokens: int, wanted: int | None
) -> None:
    budget = Budget(max_tokens=limit)
    try:
        admission = admit([("run", budget, Spend(spent), Spend(held))], MODEL, input_tokens, wanted)
    except PermanentStepError as exc:
        assert exc.kind == "budget_exceeded" and not exc.retryable
        assert spent + held + input_tokens + MIN_OUTPUT > limit
        return
    assert admission.max_output_tokens is not None or wanted is None
    cap = (
        admission.max_output_tokens if admission.max_output_tokens is not None else admission.hold.tokens - input_tokens
    )
    assert spent + held + input_tokens + cap <= limit
    assert wanted is None or admission.max_output_tokens is None or admission.max_output_tokens <= wanted


@given(
    limit=st.floats(min_value=0.0001, max_value=10), spent=st.floats(min_value=0, max_value=10),
    input_tokens=st.integers(min_value=1, max_value=100_000), wanted=st.integers(min_value=MIN_OUTPUT, max_value=8000),
)  # fmt: skip
def test_a_cost_budget_admits_only_what_it_can_pay_for(limit: float, spent: float, input_tokens: int,
                                                       wanted: int) -> None:  # fmt: skip
    try:
        admission = admit(
            [("node 'a'", Budget(max_cost=limit), Spend(cost=spent), Spend())], MODEL, input_tokens, wanted
        )
    except PermanentStepError:
        return
    assert admission.max_output_tokens is not None
    worst = (input_tokens * MODEL.input_price + admission.max_output_tokens * MODEL.output_price) / 1e6
    assert spent + worst <= limit + 1e-9


def test_requests_are_counted_with_those_in_flight_and_the_error_says_so() -> None:
    budget = Budget(max_requests=3)
    admit([("run", budget, Spend(requests=1), Spend(requests=1))], MODEL, 10, None)
    with pytest.raises(PermanentStepError) as caught:
        admit([("run", budget, Spend(requests=2), Spend(requests=1))], MODEL, 10, None)
    assert caught.value.detail == (
        "run budget exceeded (max_requests 3): spent 2 requests, 1 held by requests in flight, "
        "the next request needs up to 1 request; no further model requests are made"
    )
