#!/bin/sh
# azd postprovision hook (azure.yaml); the work is in azd_hooks.py beside this file, which says what it does.
set -eu
cd "$(dirname "$0")/../.."
if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
exec "$PYTHON" infra/hooks/azd_hooks.py postprovision
