# Builds the Windows installer: dist\FairDesk-<version>-windows-x64-setup.exe
# Run from any folder in PowerShell 5.1+ on Windows 10/11 x64:
#   powershell -ExecutionPolicy Bypass -File installer\windows\build.ps1
# Needs: Python 3.11 x64 (python.org), Inno Setup 6.3+ (ISCC.exe), Git checkout of FairDesk.
# Creates .venv-win in the repository, installs FairDesk with the installer extra, runs
# PyInstaller (dist\fairdesk\fairdesk.exe + fairdesk-cli.exe), then Inno Setup.
$ErrorActionPreference = "Stop"
$Root = Resolve-Path (Join-Path $PSScriptRoot "..\..")
Set-Location $Root

$Python = if ($env:PYTHON) { $env:PYTHON } else { "py" }
$PyArgs = if ($Python -eq "py") { @("-3.11") } else { @() }
$Venv = Join-Path $Root ".venv-win"
if (-not (Test-Path "$Venv\Scripts\python.exe")) {
    & $Python @PyArgs -m venv $Venv
    if ($LASTEXITCODE -ne 0) { throw "Could not create $Venv (is Python 3.11 x64 installed?)" }
}
$Py = "$Venv\Scripts\python.exe"
& $Py -m pip install --quiet --upgrade pip
& $Py -m pip install --quiet -e ".[installer]"
if ($LASTEXITCODE -ne 0) { throw "pip install failed" }

# The one place the version lives: fairdesk/__init__.py
$Version = (& $Py -c "import fairdesk; print(fairdesk.__version__)").Trim()
Write-Host "Building FairDesk $Version"

& $Py installer\make_icons.py build\icons
if ($LASTEXITCODE -ne 0) { throw "icon generation failed" }
$env:FAIRDESK_ICON_DIR = Join-Path $Root "build\icons"
if (Test-Path dist\fairdesk) { Remove-Item -Recurse -Force dist\fairdesk }
& $Py -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build\pyinstaller installer\fairdesk.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

# Quick check of the frozen console twin before packaging.
$Check = Join-Path $env:TEMP "fairdesk-build-check"
if (Test-Path $Check) { Remove-Item -Recurse -Force $Check }
& dist\fairdesk\fairdesk-cli.exe --data-dir $Check demo
if ($LASTEXITCODE -ne 0) { throw "the frozen app failed to create demo data" }
& dist\fairdesk\fairdesk-cli.exe --data-dir $Check case list --json | Out-Null
if ($LASTEXITCODE -ne 0) { throw "the frozen app failed to list cases" }
Remove-Item -Recurse -Force $Check

$Iscc = if ($env:ISCC) { $env:ISCC } else {
    @("${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe", "$env:ProgramFiles\Inno Setup 6\ISCC.exe",
      "$env:LOCALAPPDATA\Programs\Inno Setup 6\ISCC.exe") | Where-Object { Test-Path $_ } | Select-Object -First 1
}
if (-not $Iscc) { throw "ISCC.exe not found: install Inno Setup 6 or set `$env:ISCC" }
& $Iscc "/DAppVersion=$Version" "/DSourceDir=$Root\dist\fairdesk" "/DIconFile=$Root\build\icons\fairdesk.ico" "/DOutputDir=$Root\dist" installer\windows\fairdesk.iss
if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }

$Setup = "dist\FairDesk-$Version-windows-x64-setup.exe"
Write-Host "Done: $Setup ($([math]::Round((Get-Item $Setup).Length / 1MB)) MB)"
Write-Host "Sign it before handing it out (see installer\README.md, 'Signing')."
