"""The Azure Functions entry point: wiring only. All logic lives in the `shared` package.

Every cold start imports this file, so each blueprint module imports only azure.functions and
what declares its functions; handlers load on their first invocation (bench/coldstart.py).
"""

import azure.functions as func

from shared.triggers.connect import bp as connect
from shared.triggers.dead_letters import bp as dead_letters
from shared.triggers.housekeeping import bp as housekeeping
from shared.triggers.http_api import bp as api
from shared.triggers.outgoing_webhook import bp as outgoing_webhook
from shared.triggers.retry_queue import bp as retry_queue
from shared.triggers.timers import bp as schedules

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

for blueprint in (
    api,
    connect,
    outgoing_webhook,
    retry_queue,
    dead_letters,
    housekeeping,
    schedules,
):
    app.register_functions(blueprint)
