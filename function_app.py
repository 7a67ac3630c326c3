"""The Azure Functions entry point: wiring only. All logic lives in the `shared` package.

Every cold start imports this file, so each blueprint module imports only azure.functions and
what declares its functions; handlers load on their first invocation (bench/coldstart.py).
"""

import azure.functions as func

from shared.api.blueprint import bp as api
from shared.retry_queue import bp as retry_queue
from shared.schedules.blueprint import bp as schedules
from shared.teams.outgoing.blueprint import bp as outgoing_webhook

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

for blueprint in (api, outgoing_webhook, retry_queue, schedules):
    app.register_functions(blueprint)
