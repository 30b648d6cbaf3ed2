"""Connections: add (tested first), edit, re-test and remove databases."""

from olympus.ui import connections
from olympus.ui.widgets import ICONS, page_setup

page_setup("Connections", ICONS["connections"])
connections.render()
