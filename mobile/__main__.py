"""``python -m mobile``: the Skolehylde app."""

from mobile.app import main

main()
