"""``python -m madoguchi`` is the ``madoguchi`` command."""

from madoguchi.cli import main

main()
