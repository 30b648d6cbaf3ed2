"""Connections: add (tested first), edit, re-test and remove databases."""

from olympus.ui import connections, identity
from olympus.ui.widgets import ICONS, page_setup

page_setup("Connections", ICONS["connections"])
identity.gate()  # signed-in users only; else the sign-in screen
connections.render()
