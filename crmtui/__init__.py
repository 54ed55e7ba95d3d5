"""crmtui: a local-first sales force automation tool for the terminal.

This module only carries the version: importing it must stay instant.
"""

__version__ = "0.1.0"
