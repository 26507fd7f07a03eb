"""Alembic environment: runs inside the Flask app (`honestmeter db upgrade`)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

import honestmeter.models  # noqa: F401 — every table must be in the metadata for autogenerate
from honestmeter.merchants.search import include_name

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging_config"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db


def _skip_empty_autogenerate(context, revision, directives):
    """Never write an empty revision file when the models did not change."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_online():
    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", _skip_empty_autogenerate)
    conf_args.setdefault("include_name", include_name)  # search indexes the ORM cannot describe
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # A migration waiting on a lock held by live traffic must give up rather than stall the site.
            connection.exec_driver_sql("SET lock_timeout = '4s'")
            connection.exec_driver_sql("SET statement_timeout = '300s'")
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            compare_server_default=True,
            # SQLite is made transactional in honestmeter.db, so a failed migration leaves nothing half-done.
            transactional_ddl=True,
            **conf_args,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `honestmeter db upgrade`")
run_migrations_online()
