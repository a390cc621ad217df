"""WHAT to build: validated configuration for the AI platform.

``load(stack, stack_config)`` returns a frozen ``PlatformSpec`` or raises ``ConfigError``
with one line that names the file, the field, the bad value and what is allowed.
"""

from config.errors import ConfigError
from config.loader import load, load_from_pulumi, secret_values_from_pulumi, stack_config_from_file
from config.spec import PlatformSpec

__all__ = ["ConfigError", "PlatformSpec", "load", "load_from_pulumi", "secret_values_from_pulumi", "stack_config_from_file"]
