"""Android entry point (buildozer/python-for-android look for ``main.py``).

On a desktop run ``python -m mobile`` or ``make app`` instead.
"""

from mobile.app import main

if __name__ == "__main__":
    main()
