"""The `honestmeter` console script (and `python -m honestmeter`): Flask's command group around `create_app`, with
`db` from Flask-Migrate and every command the app and its domains add (honestmeter.cli)."""

from flask.cli import FlaskGroup

from honestmeter.app import create_app

main = FlaskGroup(
    name="honestmeter",
    create_app=create_app,
    add_version_option=False,
    load_dotenv=False,
    help="诚信计量信用监管平台 honestmeter. Run `honestmeter COMMAND --help` for a command's options.",
)

if __name__ == "__main__":
    main()
