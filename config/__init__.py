"""WHAT to build: validated configuration for the AI platform.

``config.loader.load(stack, stack_config)`` returns a frozen ``PlatformSpec`` or raises
``ConfigError`` with one line that names the file, the field, the bad value and what is allowed.
The package itself exports only the error and the spec: the loader runs the checks, which use
``plan/``, and ``plan/`` reads the spec's schemas.
"""

from config.errors import ConfigError
from config.spec import PlatformSpec

__all__ = ["ConfigError", "PlatformSpec"]
