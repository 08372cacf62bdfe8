; Inno Setup 6 script for FairDesk: a per-user setup.exe (no administrator rights needed).
; Built by installer/windows/build.ps1, which passes the version and the folders:
;   ISCC.exe /DAppVersion=0.1.0 /DSourceDir=...\dist\fairdesk /DIconFile=...\fairdesk.ico
;            /DOutputDir=...\dist installer\windows\fairdesk.iss
; The program goes to %LOCALAPPDATA%\Programs\FairDesk; the user's cases stay in
; %APPDATA%\FairDesk\FairDesk (platformdirs), which neither an upgrade nor the uninstaller touches.

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=x.y.z (build.ps1 reads it from fairdesk.__version__)
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\fairdesk"
#endif
#ifndef IconFile
  #define IconFile "..\..\build\icons\fairdesk.ico"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif

[Setup]
; Never change AppId: Windows recognises upgrades and the uninstaller by it.
AppId={{6F1C2A4E-8B7D-4E59-9C3A-FA1D35C0D201}
AppName=FairDesk
AppVersion={#AppVersion}
AppVerName=FairDesk {#AppVersion}
AppPublisher=FairDesk
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\FairDesk
DefaultGroupName=FairDesk
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0.17763
OutputDir={#OutputDir}
OutputBaseFilename=FairDesk-{#AppVersion}-windows-x64-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\fairdesk.exe
UninstallDisplayName=FairDesk {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
; Inno Setup ships no official Simplified Chinese file; build.ps1 adds the community
; translation (ChineseSimplified.isl from jrsoftware/issrc "Unofficial") when it is present.
#if FileExists(CompilerPath + "Languages\ChineseSimplified.isl")
Name: "zh_CN"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder build; replaced as a whole on upgrade so no stale library survives.
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\FairDesk"; Filename: "{app}\fairdesk.exe"; WorkingDir: "{app}"
Name: "{group}\{cm:UninstallProgram,FairDesk}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\FairDesk"; Filename: "{app}\fairdesk.exe"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\fairdesk.exe"; Description: "{cm:LaunchProgram,FairDesk}"; Flags: nowait postinstall skipifsilent
