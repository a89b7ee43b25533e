"""Readiness, joins, skips, routing and maps: the order in which steps run."""

from __future__ import annotations

from tests.unit.engine.driver import Driver, edge, node, plan_of, statuses

from lockgate.engine import RunStatus, StepStatus


def test_linear_chain_runs_in_order_and_passes_outputs() -> None:
    plan = plan_of(
        [
            node("a", "transform", config={"value": 2}),
            node("b", inputs={"x": "{{ nodes.a.output * 10 }}"}),
            node("c", inputs={"y": "{{ nodes.b.output.x + 1 }}"}),
        ],
        [edge("a", "b"), edge("b", "c")],
    )
    driver = Driver.start(plan)
    assert driver.dispatched_steps() == ["a"]
    state = driver.run()
    assert driver.dispatched_steps() == ["a", "b", "c"]
    assert driver.dispatches("c")[0].inputs == {"y": 21}
    assert state.status is RunStatus.SUCCEEDED
    assert state.output == {"c": {"y": 21}}


def test_diamond_join_all_waits_for_both_branches() -> None:
    plan = plan_of(
        [node("a"), node("b"), node("c"), node("d")],
        [edge("a", "b"), edge("a", "c"), edge("b", "d"), edge("c", "d")],
    )
    driver = Driver.start(plan)
    driver.succeed("a")
    assert set(driver.inflight) == {"b", "c"}
    driver.succeed("b")
    assert "d" not in driver.inflight
    driver.succeed("c")
    assert list(driver.inflight) == ["d"]
    assert driver.run().status is RunStatus.SUCCEEDED


def test_join_any_fires_on_the_first_input_and_only_once() -> None:
    plan = plan_of(
        [node("a"), node("b"), node("c"), node("d", join="any")],
        [edge("a", "b"), edge("a", "c"), edge("b", "d"), edge("c", "d")],
    )
    driver = Driver.start(plan)
    driver.succeed("a")
    driver.succeed("c")
    assert "d" in driver.inflight
    driver.succeed("d")
    driver.succeed("b")
    assert driver.state.status is RunStatus.SUCCEEDED
    assert len(driver.dispatches("d")) == 1


def test_condition_skips_the_other_branch_subgraph_and_the_join_still_runs() -> None:
    plan = plan_of(
        [
            node(
                "route", "condition", config={"branches": [{"name": "yes", "when": "{{ input.go }}"}], "default": "no"}
            ),
            node("y1"),
            node("y2"),
            node("n1"),
            node("n2"),
            node("n3"),
            node("join"),
        ],
        [
            edge("route", "y1", branch="yes"),
            edge("y1", "y2"),
            edge("route", "n1", branch="no"),
            edge("n1", "n2"),
            edge("n2", "n3"),
            edge("y2", "join"),
            edge("n3", "join"),
        ],
    )
    state = Driver.start(plan, {"go": True}).run()
    assert state.status is RunStatus.SUCCEEDED
    assert statuses(state) == {
        "route": "succeeded",
        "y1": "succeeded",
        "y2": "succeeded",
        "n1": "skipped",
        "n2": "skipped",
        "n3": "skipped",
        "join": "succeeded",
    }


def test_a_node_whose_only_inputs_are_skipped_is_skipped_and_not_dispatched() -> None:
    plan = plan_of(
        [
            node("a", "condition", config={"branches": [{"name": "x", "when": False}], "default": "y"}),
            node("bx"),
            node("after"),
            node("by"),
        ],
        [edge("a", "bx", branch="x"), edge("bx", "after"), edge("a", "by", branch="y")],
    )
    driver = Driver.start(plan)
    state = driver.run()
    assert state.steps["after"].status is StepStatus.SKIPPED
    assert "after" not in driver.dispatched_steps()
    assert state.output == {"by": None}  # skipped sinks leave no output


def test_edge_when_reads_the_source_output() -> None:
    plan = plan_of(
        [node("a", "transform", config={"value": {"score": 7}}), node("high"), node("low")],
        [
            edge("a", "high", when="{{ nodes.a.output.score > 5 }}"),
            edge("a", "low", when="{{ nodes.a.output.score <= 5 }}"),
        ],
    )
    state = Driver.start(plan).run()
    assert statuses(state) == {"a": "succeeded", "high": "succeeded", "low": "skipped"}


def test_for_each_outputs_come_in_item_order_when_items_finish_out_of_order() -> None:
    plan = plan_of(
        [
            node("a", "transform", config={"value": ["x", "y", "z"]}),
            node("m", for_each="{{ nodes.a.output }}", inputs={"v": "{{ item }}-{{ item_index }}"}),
            node("after", inputs={"all": "{{ nodes.m.output }}"}),
        ],
        [edge("a", "m"), edge("m", "after")],
    )
    driver = Driver.start(plan)
    driver.succeed("a", ["x", "y", "z"])
    assert list(driver.inflight) == ["m[0]", "m[1]", "m[2]"]
    for index in (2, 0, 1):
        driver.succeed(f"m[{index}]", f"out{index}")
    assert driver.state.steps["m"].output == ["out0", "out1", "out2"]
    assert driver.inflight["after"].inputs == {"all": ["out0", "out1", "out2"]}


def test_for_each_never_has_more_than_max_parallel_items_in_flight() -> None:
    plan = plan_of(
        [
            node(
                "m",
                for_each="{{ [1, 2, 3, 4, 5] }}",
                inputs={"x": "{{ item }}"},
                max_parallel=2,
                retry={"max_attempts": 2, "jitter": 0},
            )
        ]
    )
    driver = Driver.start(plan)
    most = 0
    while driver.inflight or driver.timers:
        in_flight = [k for k, s in driver.state.steps.items() if s.item_index is not None and not s.terminal]
        most = max(most, len(in_flight))
        assert len(in_flight) <= 2
        if not driver.inflight:
            driver.fire_next_timer()
        elif (key := next(iter(driver.inflight))) == "m[1]" and driver.inflight[key].attempt == 1:
            driver.fail(key, retryable=True)  # a retrying item still holds its slot
        else:
            driver.succeed(key, driver.inflight[key].inputs["x"])
    assert most == 2
    assert driver.state.steps["m"].output == [1, 2, 3, 4, 5]


def test_for_each_over_an_empty_list_gives_an_empty_list_and_successors_run() -> None:
    plan = plan_of(
        [node("m", for_each="{{ [] }}"), node("after", inputs={"got": "{{ nodes.m.output }}"})], [edge("m", "after")]
    )
    driver = Driver.start(plan)
    assert list(driver.inflight) == ["after"]
    assert driver.inflight["after"].inputs == {"got": []}
    assert driver.run().status is RunStatus.SUCCEEDED


def test_for_each_over_a_non_list_fails_with_invalid_for_each() -> None:
    plan = plan_of([node("m", for_each="{{ input.n }}")])
    state = Driver.start(plan, {"n": 3}).state
    error = state.steps["m"].error
    assert error is not None and (error.kind, error.field) == ("invalid_for_each", "for_each")
    assert state.status is RunStatus.FAILED
