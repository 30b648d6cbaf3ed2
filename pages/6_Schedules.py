"""Schedules: saved queries and notebooks on a timing, with alerts and recent runs."""

from olympus.ui import identity, schedules
from olympus.ui.widgets import ICONS, page_setup

page_setup("Schedules", ICONS["schedules"])
identity.gate()  # signed-in users only; else the sign-in screen
schedules.render()
