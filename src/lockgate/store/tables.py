"""The schema: SQLAlchemy Core tables. Events are the truth; steps, attempts and runs are projections."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "UTCDateTime",
    "agent_exchanges",
    "agent_profiles",
    "agent_turns",
    "artifact_moves",
    "artifacts",
    "attempts",
    "events",
    "human_interactions",
    "human_task_assignees",
    "human_tasks",
    "idempotency",
    "metadata",
    "model_profiles",
    "pipeline_drafts",
    "pipeline_versions",
    "pipelines",
    "rollbacks",
    "runs",
    "schedule_firings",
    "schedules",
    "steps",
    "timers",
    "workers",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every dialect (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:  # noqa: ARG002
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _ts(name: str, *, nullable: bool = True, index: bool = False) -> Column[datetime]:
    return Column(name, UTCDateTime(), nullable=nullable, index=index)


pipelines = Table(
    "pipelines",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(63), nullable=False, unique=True),
    Column("description", Text),
    Column("latest_version", Integer, nullable=False, default=0),
    Column("next_run_number", Integer, nullable=False, default=1),
    Column("latest_run", Integer),  # the run number runs/latest points at
    Column("template", Boolean, nullable=False, default=False, server_default=false()),  # offered by New pipeline
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    _ts("archived_at"),
)

pipeline_versions = Table(
    "pipeline_versions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("pipeline_id", String(32), ForeignKey("pipelines.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("definition", JSON, nullable=False),
    # A draft version is the editor's draft as a draft run ran it: numbered apart, never listed as vN.
    Column("draft", Boolean, nullable=False, default=False, server_default=false()),
    Column("author", String(200)),  # who published it (the API key's user)
    Column("message", Text),  # what the author said of the change
    _ts("created_at", nullable=False),
    UniqueConstraint("pipeline_id", "draft", "number", name="uq_pipeline_versions_number"),
    UniqueConstraint("pipeline_id", "draft", "hash", name="uq_pipeline_versions_hash"),
)
# The editor's working copy of a pipeline: saved with its problems, and the sample outputs pinned to its nodes.
pipeline_drafts = Table(
    "pipeline_drafts",
    metadata,
    Column("name", String(63), primary_key=True),  # a draft may exist before its pipeline does
    Column("definition", JSON, nullable=False),  # as the editor sent it: not necessarily a valid pipeline
    Column("pins", JSON, nullable=False),  # node id -> the output a draft run uses instead of running it
    Column("author", String(200)),
    _ts("updated_at", nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("pipeline_id", String(32), ForeignKey("pipelines.id"), nullable=False),
    Column("version_id", String(32), ForeignKey("pipeline_versions.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("input", JSON, nullable=False),
    Column("output", JSON),
    Column("error", JSON),
    Column("last_seq", Integer, nullable=False, default=0),
    Column("extends_run_id", String(32), ForeignKey("runs.id")),  # the run this one extends
    Column("start_at", String(63)),  # the node it starts at; the steps before it are reused
    Column("concurrency_key", String(200)),  # the rendered key of its pipeline's concurrency (flow control)
    Column("wait_reason", Text),  # why a queued run waits
    Column("draft", Boolean, nullable=False, default=False, server_default=false()),  # run from the editor's draft
    _ts("created_at", nullable=False),
    _ts("started_at"),
    _ts("finished_at"),
    _ts("updated_at", nullable=False),
    UniqueConstraint("pipeline_id", "number", name="uq_runs_number"),
    Index("ix_runs_status", "status"),
    Index("ix_runs_pipeline_created", "pipeline_id", "created_at"),
    Index("ix_runs_created", "created_at", "id"),  # GET /runs: newest first, keyset pages
    Index("ix_runs_status_created", "status", "created_at", "id"),
    Index("ix_runs_concurrency", "pipeline_id", "concurrency_key", "status"),  # open runs per key
)

_FAILED = text("status = 'failed'")

steps = Table(
    "steps",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("node_id", String(63), nullable=False),
    Column("item_index", Integer),
    Column("status", String(16), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("output", JSON),
    Column("error", JSON),
    Column("branches", JSON),
    Column("next", JSON),  # the successors the result chose (dynamic routing); null: every successor
    _ts("queued_at"),
    _ts("started_at"),
    _ts("finished_at"),
    # Run lists say "succeeded, 2 steps failed": a partial index holds only failed steps, so counting a run's
    # reads those alone (not its 10,000 fan-out steps) and other steps' writes never touch it. Migration 0014
    # makes it partial on PostgreSQL too; `postgresql_where` here would import that dialect into every SQLite
    # server (a dialect keyword loads its dialect to check it), and these tables are never made by create_all.
    Index("ix_steps_failed", "run_id", sqlite_where=_FAILED),
)

attempts = Table(
    "attempts",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id"), primary_key=True),
    Column("step_key", String(200), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("worker", String(32), index=True),
    Column("idempotency_key", String(500)),
    Column("error", JSON),
    Column("log_path", Text),
    Column("output", JSON),  # kept per attempt: a revised step's earlier outputs stay readable
    Column("feedback", Text),  # the revision request the attempt answered
    Column("code_hash", String(64)),  # the user code the attempt ran (task nodes)
    Column("archived", Boolean, nullable=False, default=False, server_default=false()),  # by a rollback
    _ts("queued_at", nullable=False),
    _ts("started_at"),
    _ts("finished_at"),
    # A distributed executor's claim (store/leases.py): bumped by each claim; results carry it back.
    Column("fence", Integer, nullable=False, default=0, server_default="0"),
    _ts("lease_until"),  # the claiming worker renews it; past it, recovery calls the attempt lost
    Index("ix_attempts_open", "status", "worker"),
)

events = Table(
    "events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(40), nullable=False),
    Column("data", JSON, nullable=False),
    _ts("at", nullable=False),
    UniqueConstraint("run_id", "seq", name="uq_events_run_seq"),
)

artifacts = Table(
    "artifacts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=False, index=True),
    Column("step_key", String(200), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("media_type", String(200), nullable=False),
    Column("archived", Boolean, nullable=False, default=False),
    Column("reused_from", String(32)),  # the artifact of the extended run this one reuses
    _ts("created_at", nullable=False),
)

timers = Table(
    "timers",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id"), primary_key=True),
    Column("step_key", String(200), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("purpose", String(16), primary_key=True),
    _ts("fire_at", nullable=False, index=True),
)

workers = Table(
    "workers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    _ts("started_at", nullable=False),
    _ts("heartbeat_at", nullable=False),
    _ts("stopped_at"),
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("key", String(500), primary_key=True),
    Column("output", JSON),
    Column("run_id", String(32), nullable=False),
    Column("step_key", String(200), nullable=False),
    _ts("created_at", nullable=False),
)

# ---- the server (issue 3): people, keys, secrets, triggers ------------------------------------------

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    _ts("created_at", nullable=False),
    _ts("disabled_at"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    _ts("created_at", nullable=False),
    _ts("expires_at"),
    _ts("revoked_at"),
    _ts("last_used_at"),
)

credentials = Table(
    "credentials",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("description", Text),
    Column("ciphertext", Text, nullable=False),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("pipeline_id", String(32), ForeignKey("pipelines.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("secret_ciphertext", Text),  # HMAC secret, encrypted like credentials
    Column("enabled", Boolean, nullable=False, default=True),
    _ts("created_at", nullable=False),
)

schedules = Table(
    "schedules",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("pipeline_id", String(32), ForeignKey("pipelines.id"), nullable=False, index=True),
    Column("cron", String(100), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("input", JSON, nullable=False),
    Column("missed", String(16), nullable=False),  # skip | catch_up
    Column("enabled", Boolean, nullable=False, default=True),
    _ts("last_fire_at"),
    _ts("created_at", nullable=False),
)

schedule_firings = Table(
    "schedule_firings",
    metadata,
    Column("schedule_id", String(32), ForeignKey("schedules.id"), primary_key=True),
    Column("fire_at", UTCDateTime(), primary_key=True),  # the unique (schedule, fire time): one run per firing
    Column("run_id", String(32)),
    _ts("created_at", nullable=False),
)

# ---- people (issue 4): human tasks, their answers, rollbacks ------------------------------------------

human_tasks = Table(
    "human_tasks",
    metadata,
    Column("id", String(32), primary_key=True),  # derived by the engine from run, step and task number
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=False),
    Column("step_key", String(200), nullable=False),
    Column("node_id", String(63), nullable=False),
    Column("item_index", Integer),
    Column("attempt", Integer, nullable=False),
    Column("number", Integer, nullable=False),
    Column("purpose", String(20), nullable=False),
    Column("status", String(20), nullable=False),  # open, or how it closed
    Column("title", Text, nullable=False),
    Column("instructions", Text),
    Column("context", JSON, nullable=False),
    Column("form", JSON),
    Column("prefill", JSON),
    Column("revision_feedback", Text),
    Column("actions", JSON, nullable=False),
    Column("revisions", Integer, nullable=False),
    Column("max_revisions", Integer, nullable=False),
    Column("assignees", JSON, nullable=False),
    _ts("created_at", nullable=False),
    _ts("deadline_at"),
    _ts("closed_at"),
    Column("closed_by", String(200)),
    Column("answer", JSON),
    Column("comment", Text),
    Index("ix_human_tasks_status_created", "status", "created_at", "id"),
    Index("ix_human_tasks_run_step", "run_id", "step_key"),
)

# Who may answer a task, one row per principal: ``*`` (any operator), ``user:<name>`` or ``role:<role>``.
human_task_assignees = Table(
    "human_task_assignees",
    metadata,
    Column("task_id", String(32), ForeignKey("human_tasks.id"), primary_key=True),
    Column("principal", String(210), primary_key=True),
    Index("ix_human_task_assignees_principal", "principal", "task_id"),
)

human_interactions = Table(
    "human_interactions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("task_id", String(32), ForeignKey("human_tasks.id"), nullable=False, index=True),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=False),
    Column("step_key", String(200), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("action", String(20), nullable=False),
    Column("by", String(200)),
    Column("values", JSON),
    Column("feedback", Text),
    _ts("at", nullable=False),
    Index("ix_human_interactions_run", "run_id", "at"),
)

rollbacks = Table(
    "rollbacks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),  # run (to a node) or latest (across runs)
    Column("pipeline_id", String(32), ForeignKey("pipelines.id"), nullable=False),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=False),
    Column("node_id", String(63)),
    Column("by", String(200)),
    Column("reason", Text),
    Column("folder", Text),  # relative to the pipeline's folder
    Column("steps", JSON, nullable=False),  # what was reset, with its outputs
    Column("artifacts", JSON, nullable=False),  # what was moved: id, from, to
    Column("cancelled", JSON, nullable=False),
    Column("previous_latest", Integer),
    _ts("at", nullable=False),
    Index("ix_rollbacks_pipeline_at", "pipeline_id", "at"),
    Index("ix_rollbacks_run", "run_id", "at"),
)

# Folders to move after a commit (revisions, rollbacks): recovery redoes those a crash left undone.
artifact_moves = Table(
    "artifact_moves",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pipeline", String(63), nullable=False),
    Column("source", Text, nullable=False),  # relative to the pipeline's folder
    Column("target", Text, nullable=False),
    Column("done", Boolean, nullable=False, default=False, server_default=false()),
    _ts("created_at", nullable=False),
    Index("ix_artifact_moves_done", "done"),
)

# ---- agents (issue 5): model and agent profiles, conversations, spend, budgets, replay ---------------

model_profiles = Table(
    "model_profiles",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("provider", String(32), nullable=False),  # openai | anthropic | openai_compatible
    Column("model_id", String(200), nullable=False),
    Column("base_url", Text),
    Column("credential", String(100)),  # the name of the credential holding the API key
    Column("temperature", Float),
    Column("max_tokens", Integer),
    Column("input_price", Float, nullable=False),  # US dollars per million tokens
    Column("output_price", Float, nullable=False),
    Column("description", Text),
    # what the server does (probed by `lockgate models test`, or set by hand); null: not known
    Column("stream_usage", Boolean),  # reports usage in streams
    Column("cap_field", String(32)),  # the output-cap field it honours: max_completion_tokens | max_tokens | none
    Column("output_mode", String(16)),  # structured output that works: tool | native | prompted
    Column("max_concurrency", Integer),  # requests it serves at once; more wait in a queue
    Column("requests_per_minute", Integer),  # rate limits (flow control): requests beyond wait
    Column("tokens_per_minute", Integer),
    Column("context_window", Integer),  # tokens, prompt and answer together
    Column("probe", JSON),  # the last probe's findings, as reported
    _ts("probed_at"),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
)

agent_profiles = Table(
    "agent_profiles",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("description", Text),
    Column("model", String(100)),  # a model profile's name; null: the node's model
    Column("instructions", Text),
    Column("temperature", Float),
    Column("tools", JSON),  # built-in tool names; null: the node's tools
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
)

agent_turns = Table(
    "agent_turns",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=False),
    Column("step_key", String(200), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("member", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("round", Integer, nullable=False),
    Column("messages", JSON, nullable=False),
    Column("output", JSON),
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("requests", Integer, nullable=False),
    Column("tool_calls", Integer, nullable=False),
    Column("cost", Float, nullable=False),
    Column("error", Text),
    Column("estimated", Boolean, nullable=False, default=False, server_default=false()),  # some usage estimated
    _ts("created_at", nullable=False),
    Index("ix_agent_turns_step", "run_id", "step_key", "attempt"),
)

agent_exchanges = Table(
    "agent_exchanges",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("run_id", String(32), ForeignKey("runs.id"), nullable=False),
    Column("step_key", String(200), nullable=False),
    Column("node_id", String(63), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("member", String(100), nullable=False),
    Column("number", Integer, nullable=False),  # the member's n-th request in the attempt, from 0
    Column("model", String(100), nullable=False),
    Column("response", JSON, nullable=False),
    Column("input_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("cost", Float, nullable=False),
    Column("replayed", Boolean, nullable=False),
    Column("estimated", Boolean, nullable=False, default=False, server_default=false()),  # usage not reported
    _ts("created_at", nullable=False),
    Index("ix_agent_exchanges_step", "run_id", "step_key", "attempt", "member", "number"),
    Index("ix_agent_exchanges_node", "run_id", "node_id"),
)
