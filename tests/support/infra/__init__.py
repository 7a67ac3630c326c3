"""Support for the infrastructure tests (tests/infra/): reading the Bicep, checkov, and the
settings cross-check. Kept apart from the app's code: nothing here ships to Azure."""
