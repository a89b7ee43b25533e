"""``AgentServices`` over the store, one per attempt: what an agent step asks of the platform.

Budgets are checked and held in one write transaction under the run's lock (``FOR UPDATE`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so two steps of a run — in this process or another — never
both take the last of a budget. A hold lives until its request is recorded; holds of attempts that are no
longer open (their process died) stop counting.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lockgate.errors import NotFoundError, PermanentStepError
from lockgate.handlers.agent.budgets import Spend, admit
from lockgate.handlers.agent.services import AgentProfileData, Reservation, TurnRecord, TurnRole
from lockgate.runtime.clock import Clock
from lockgate.runtime.live import LiveChannel, LiveDelta
from lockgate.runtime.models import model_credential, resolve_model
from lockgate.runtime.storage import Storage
from lockgate.security.credentials import CredentialCipher
from lockgate.settings import Settings
from lockgate.spec.agent import Budget, BuiltinTool
from lockgate.store import conversations as store
from lockgate.store import profiles as profile_store
from lockgate.store import rates as rate_store
from lockgate.store.credential_grants import UseRow, record_uses
from lockgate.store.runs import lock_run

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import timedelta

    from pydantic import JsonValue
    from pydantic_ai.models import Model
    from sqlalchemy import Connection

    from lockgate.engine.commands import DispatchStep
    from lockgate.handlers.agent.services import ExchangeRecord, ModelProfileData
    from lockgate.security.redaction import Redactor

__all__ = ["FLUSH_EVERY", "AgentPlatform", "StoreAgentServices"]

FLUSH_EVERY = 0.05  # seconds: tokens are sent in small batches, not one live event per token


def _spend(totals: store.Totals) -> Spend:
    return Spend(totals.tokens, totals.cost, totals.requests)


def _turn(row: Any) -> TurnRecord:
    return TurnRecord(member=row.member, role=TurnRole(row.role), position=row.position, round=row.round,
                      messages=row.messages, output=row.output, input_tokens=row.input_tokens,
                      output_tokens=row.output_tokens, requests=row.requests, tool_calls=row.tool_calls,
                      cost=row.cost, error=row.error, estimated=row.estimated)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AgentPlatform:
    """What agent steps use of this process: the store, the model settings and keys, the live token bus."""

    storage: Storage
    settings: Settings
    clock: Clock
    cipher: CredentialCipher
    live: LiveChannel

    def services(self, command: DispatchStep, redactor: Redactor) -> StoreAgentServices:
        """One attempt's services (the executor asks for them when an agent step runs)."""
        return StoreAgentServices(self, command, redactor)


def _limits(limits: tuple[int | None, int | None]) -> str:
    requests, tokens = limits
    given = [f"requests_per_minute {requests}" if requests else "", f"tokens_per_minute {tokens}" if tokens else ""]
    return ", ".join(g for g in given if g)


class StoreAgentServices:
    def __init__(self, platform: AgentPlatform, command: DispatchStep, redactor: Redactor) -> None:
        self._platform = platform
        self._command = command
        self._redactor = redactor  # the attempt's: records and live tokens never carry a value it knows
        self._options: store.RunOptions | None = None
        self._seq = 0
        self._pending: dict[str, list[str]] = {}
        self._flush: asyncio.TimerHandle | None = None

    async def _read(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self._platform.storage.read(fn, *args)

    async def _write(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self._platform.storage.write(fn, *args)

    async def model(self, name: str | None) -> ModelProfileData:
        platform, command = self._platform, self._command

        def resolve(conn: Connection) -> tuple[ModelProfileData, str | None]:
            profile = resolve_model(conn, platform.cipher, platform.settings, name)
            credential = model_credential(conn, profile.name)
            if credential is not None:  # the admin's profile is the grant; the use is recorded all the same
                record_uses(conn, [UseRow(credential, "model", command.pipeline, command.run_id, command.step,
                                          command.node_id, command.attempt)], platform.clock.now())  # fmt: skip
            return profile, credential

        resolved: tuple[ModelProfileData, str | None] = await self._write(resolve)
        profile, credential = resolved
        self._redactor.add(credential or f"model-key:{profile.name}", profile.api_key)
        return profile

    async def agent_profile(self, name: str) -> AgentProfileData:
        try:
            record = await self._read(profile_store.get_agent_profile, name)
        except NotFoundError:
            raise PermanentStepError("agent_profile_not_found", f"no agent profile named {name!r}") from None
        tools = tuple(BuiltinTool(t) for t in record.tools) if record.tools is not None else None
        return AgentProfileData(name=record.name, model=record.model, instructions=record.instructions,
                                temperature=record.temperature, tools=tools)  # fmt: skip

    async def _run_options(self) -> store.RunOptions:
        if self._options is None:
            self._options = await self._read(store.run_options_of, self._command.run_id)
        return self._options

    async def reserve(  # budgets are per run and per node: the member does not matter here
        self,
        member: str,  # noqa: ARG002
        model: ModelProfileData,
        input_tokens: int,
        max_output_tokens: int | None,
        node_budget: Budget | None,
    ) -> Reservation:
        options = await self._run_options()
        run_budget = Budget.model_validate(options.budget) if options.budget else None
        if run_budget is None and node_budget is None:
            return Reservation(None, max_output_tokens)
        command, now = self._command, self._platform.clock.now()

        def hold(conn: Connection) -> Reservation:
            lock_run(conn, command.run_id)
            scopes = []
            if run_budget is not None:
                run_id = command.run_id
                scopes.append(("run", run_budget, _spend(store.spent(conn, run_id)), _spend(store.held(conn, run_id))))
            if node_budget is not None:
                run_id, node_id = command.run_id, command.node_id
                spent, held = store.spent(conn, run_id, node_id), store.held(conn, run_id, node_id)
                scopes.append((f"node {node_id!r}", node_budget, _spend(spent), _spend(held)))
            admission = admit(scopes, model, input_tokens, max_output_tokens)
            values = {
                "run_id": command.run_id,
                "step_key": command.step,
                "node_id": command.node_id,
                "attempt": command.attempt,
                "tokens": admission.hold.tokens,
                "cost": admission.hold.cost,
            }
            hold_id = store.add_hold(conn, values, now)
            return Reservation(hold_id, admission.max_output_tokens)

        reservation: Reservation = await self._write(hold)
        return reservation

    async def pace(self, model: ModelProfileData, tokens: int) -> None:
        limits = (model.requests_per_minute, model.tokens_per_minute)
        if limits == (None, None):
            return
        platform, command = self._platform, self._command
        where = (command.run_id, command.step, command.attempt)
        waited = False
        try:
            while True:
                window = platform.settings.model_rate_window
                wait: timedelta | None = await self._write(rate_store.admit, model.name, limits, tokens,
                                                           platform.clock.now(), window)  # fmt: skip
                if wait is None:
                    return
                if not waited:
                    waited = True
                    reason = f"waiting: model profile {model.name} is at its rate limit ({_limits(limits)})"
                    await self._write(rate_store.record_wait, *where, reason)
                await asyncio.sleep(min(wait.total_seconds(), 5.0))  # again: others may have taken the room first
        finally:
            if waited:  # sent, failed or cancelled: it waits no more
                await asyncio.shield(self._write(rate_store.clear_wait, *where))

    async def settle(self, reservation: Reservation, record: ExchangeRecord) -> None:
        command, now = self._command, self._platform.clock.now()
        values = {"run_id": command.run_id, "step_key": command.step, "node_id": command.node_id,
                  "attempt": command.attempt, "member": record.member, "number": record.index, "model": record.model,
                  "response": self._redactor.json(record.response), "input_tokens": record.input_tokens,
                  "output_tokens": record.output_tokens, "cost": record.cost, "replayed": record.replayed,
                  "estimated": record.estimated}  # fmt: skip

        def write(conn: Connection) -> None:
            if reservation.id is not None:
                store.release_hold(conn, reservation.id)
            store.add_exchange(conn, values, now)

        await self._write(write)

    async def release(self, reservation: Reservation) -> None:
        if reservation.id is not None:
            await self._write(store.release_hold, reservation.id)

    async def recording(self, member: str) -> list[JsonValue] | None:
        options = await self._run_options()
        steps = options.replay_steps
        if options.replay_from is None or (steps is not None and self._command.node_id not in steps):
            return None
        found: list[JsonValue] = await self._read(store.recorded_responses, options.replay_from, self._command.step,
                                                  member)  # fmt: skip
        return found

    async def recorded_turns(self, member: str) -> list[JsonValue]:
        options = await self._run_options()
        if options.replay_from is None:
            return []
        found: list[JsonValue] = await self._read(store.recorded_histories, options.replay_from, self._command.step,
                                                  member)  # fmt: skip
        return found

    async def previous_turns(self) -> list[TurnRecord]:
        command = self._command
        rows = await self._read(store.latest_turns_before, command.run_id, command.step, command.attempt)
        return [_turn(r) for r in rows]

    async def save_turn(self, turn: TurnRecord) -> None:
        self._send()
        command = self._command
        values = {"run_id": command.run_id, "step_key": command.step, "attempt": command.attempt,
                  "position": turn.position, "member": turn.member, "role": turn.role.value, "round": turn.round,
                  "messages": self._redactor.json(turn.messages), "output": self._redactor.json(turn.output),
                  "input_tokens": turn.input_tokens, "output_tokens": turn.output_tokens, "requests": turn.requests,
                  "tool_calls": turn.tool_calls, "cost": turn.cost,
                  "error": self._redactor.text(turn.error) if turn.error is not None else None,
                  "estimated": turn.estimated}  # fmt: skip
        await self._write(store.add_turn, values, self._platform.clock.now())

    def custom_model(self, profile: ModelProfileData) -> Model | None:  # noqa: ARG002 - the provider's model, always
        return None

    def publish(self, member: str, text: str) -> None:
        if not text:
            return
        self._pending.setdefault(member, []).append(text)
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(FLUSH_EVERY, self._send)

    def _send(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        pending, self._pending = self._pending, {}
        command, now = self._command, self._platform.clock.now()
        for member, pieces in pending.items():
            self._seq += 1
            text = self._redactor.text("".join(pieces))
            self._platform.live.publish(LiveDelta(command.run_id, command.step, command.attempt, member, self._seq,
                                                 text, now))  # fmt: skip
