# azd preprovision hook on Windows (azure.yaml); the work is in azd_hooks.py beside this file.
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..' '..')
$python = if (Test-Path '.venv/Scripts/python.exe') { '.venv/Scripts/python.exe' } else { 'python' }
& $python infra/hooks/azd_hooks.py preprovision
exit $LASTEXITCODE
