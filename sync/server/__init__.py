"""fairdesk-hq: the HQ sync server (FastAPI). Devices never import this package."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fairdesk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
