"""The Azure Functions entry point: wiring only. All logic lives in the `shared` package."""

import azure.functions as func

app = func.FunctionApp()
