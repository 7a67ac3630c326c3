"""The Teams Outgoing Webhook: verified @mentions answered by commands, within Teams' 5 seconds.

- `registry`: `command` (the decorator that adds a command), `CommandContext`, `CommandResult`;
  your own commands go in `commands_custom.py`.
- `config`: the settings (`TEAMS_OUTGOING_*`) and `config_problems()` for the health route and
  `python -m shared check`.
- `handler`: `handle(request)`, the endpoint; `blueprint.bp` wires it as `POST /api/teams/outgoing`.

Nothing is imported here: the function app imports `blueprint` at cold start, and everything
else loads with the first Outgoing Webhook request.
"""
