"""The Teams Outgoing Webhook: verified @mentions answered by commands, within Teams' 5 seconds.

Public surface: `command` (decorator that adds a command), `CommandContext` (what a command
receives), `CommandResult` (what it returns), and `config_problems()` (broken settings, for the
health route and `python -m shared check`). The endpoint itself is `handler.handle`, wired as
`POST /api/teams/outgoing` by `blueprint.bp`.
"""

from shared.settings import ConfigProblem
from shared.teams.outgoing.config import config_problems
from shared.teams.outgoing.registry import CommandContext, CommandResult, command

__all__ = ["CommandContext", "CommandResult", "ConfigProblem", "command", "config_problems"]
