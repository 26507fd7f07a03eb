"""`python -m honestmeter` is the same as the `honestmeter` console script."""

from honestmeter.cli import main

main()
