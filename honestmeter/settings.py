"""Typed settings: `settings().AUTHORITY_NAME`, not `current_app.config["AUTHORITY_NAME"]` with a default of its own.

Names, types and defaults are Config's (config.py), the one place they are declared. A Settings reads the app's
config mapping on every access instead of keeping a copy, so an override passed to create_app, or set on
`app.config` by a test, is what services see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from flask import Flask, current_app

from honestmeter.config import Config

EXTENSION_KEY = "honestmeter.settings"


class Settings(Config):
    """A Config whose fields are read from a Flask config mapping."""

    def __init__(self, config: Mapping[str, Any]) -> None:  # not the dataclass's: nothing is copied
        object.__setattr__(self, "_config", config)


def _reader(name: str) -> property:
    return property(lambda self: self._config[name])


for _field in fields(Config):
    setattr(Settings, _field.name, _reader(_field.name))


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = Settings(app.config)


def settings(app: Flask | None = None) -> Settings:
    """The settings of `app`, by default the current one (an app context is needed)."""
    found: Settings = (app or current_app).extensions[EXTENSION_KEY]
    return found
