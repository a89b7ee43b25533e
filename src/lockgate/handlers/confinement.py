"""How script steps are confined and bounded on this machine, decided once from probes and the settings.

A script step runs only when it is both confined (bubblewrap) and bounded in processes (a pids cgroup, or
RLIMIT_NPROC under an unprivileged uid), unless the administrator allows unconfined scripts. The same
decision feeds each attempt, the server's start log and ``/ready``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lockgate.handlers.cgroups import CgroupSupport, Controller, cgroup_support
from lockgate.handlers.context import SandboxMode
from lockgate.handlers.sandbox import NOBODY, bwrap_problem, nobody_problem

if TYPE_CHECKING:
    from lockgate.handlers.context import ScriptPolicy

__all__ = ["ALLOW_SETTING", "Confinement", "confinement"]

ALLOW_SETTING = "LOCKGATE_ALLOW_UNCONFINED_SCRIPTS"


@dataclass(frozen=True, slots=True)
class Confinement:
    """The decision for script steps here: how they run, or why they are refused."""

    bwrap: bool  # under bubblewrap
    drop_to_nobody: bool  # setuid 65534 before exec: RLIMIT_NPROC binds only a non-root uid
    cgroups: CgroupSupport
    refusal: str | None  # why a step may not run (the error of every script step), None: it may
    warning: str | None  # said in each attempt's log: why it runs without a sandbox
    sandbox: str  # for /ready: "bubblewrap", "unconfined (allowed by …)", "unavailable: …"
    processes: str  # for /ready: what bounds the process count of an attempt's tree
    memory: str  # for /ready: what bounds its memory


async def confinement(mode: SandboxMode, policy: ScriptPolicy) -> Confinement:
    """The decision for this process (the probes behind it run once per process)."""
    cgroups = cgroup_support()
    root = os.geteuid() == 0
    processes, drop, pids_problem = await _process_bound(cgroups, root, policy.max_processes)
    why_unconfined = await _why_unconfined(mode, drop)
    refusal = _refusal(mode, policy, why_unconfined, pids_problem)
    if refusal is not None:
        sandbox = f"unavailable: {refusal}"
    elif why_unconfined is not None:
        sandbox = f"unconfined (allowed by {ALLOW_SETTING}): {why_unconfined}"
    else:
        sandbox = "bubblewrap"
    if pids_problem is not None:
        allowed = f" (allowed by {ALLOW_SETTING})" if policy.allow_unconfined else ""
        processes = f"none{allowed}: {pids_problem}"
    lacking = [f"without a sandbox: {why_unconfined}"] if why_unconfined is not None else []
    lacking += [f"without a process bound: {pids_problem}"] if pids_problem is not None else []
    memory = cgroups.describe(Controller.MEMORY)
    return Confinement(
        bwrap=why_unconfined is None,
        drop_to_nobody=drop,
        cgroups=cgroups,
        refusal=refusal,
        warning=f"running {'; '.join(lacking)}" if lacking else None,
        sandbox=sandbox,
        processes=processes,
        memory=f"{memory} memory limit = the node's memory_mb, whole tree" if memory
        else f"RLIMIT_AS = the node's memory_mb, per process ({cgroups.why.get(Controller.MEMORY, '')})",
    )  # fmt: skip


def _refusal(
    mode: SandboxMode, policy: ScriptPolicy, why_unconfined: str | None, pids_problem: str | None
) -> str | None:
    if mode is SandboxMode.BWRAP and why_unconfined is not None:  # required: no setting runs scripts without it
        return f"bubblewrap is required (LOCKGATE_SANDBOX=bwrap) but cannot run: {why_unconfined}"
    lacking = [f"without a sandbox ({why_unconfined})"] if why_unconfined is not None else []
    if pids_problem is not None:
        lacking.append(f"without a bound on their processes ({pids_problem})")
    if not lacking or policy.allow_unconfined:
        return None
    return f"scripts would run {' and '.join(lacking)}; set {ALLOW_SETTING}=true to allow that"


async def _process_bound(cgroups: CgroupSupport, root: bool, limit: int) -> tuple[str, bool, str | None]:
    """What bounds an attempt's process count, whether that needs the drop to uid 65534, and why none does."""
    pids = cgroups.describe(Controller.PIDS)
    if pids is not None:
        return f"{pids} pids.max = {limit} per attempt, whole tree", False, None
    no_cgroup = cgroups.why.get(Controller.PIDS, "")
    if not root:
        return f"RLIMIT_NPROC = {limit} for the server's uid {os.geteuid()} (no pids cgroup: {no_cgroup})", False, None
    problem = await nobody_problem()
    if problem is None:
        text = f"RLIMIT_NPROC = {limit} as uid {NOBODY}, shared by all attempts (no pids cgroup: {no_cgroup})"
        return text, True, None
    why = f"no pids cgroup ({no_cgroup}), and uid {NOBODY} cannot run scripts ({problem})"
    return "none", False, why


async def _why_unconfined(mode: SandboxMode, drop: bool) -> str | None:
    if mode is SandboxMode.NONE:
        return "LOCKGATE_SANDBOX=none"
    return await bwrap_problem(drop_to_nobody=drop)
