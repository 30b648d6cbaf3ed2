"""Notebooks: cells that chain, parameters, versions, history, permalinks and a present view."""

from olympus.ui import identity, notebook_page
from olympus.ui.widgets import ICONS, page_setup

page_setup("Notebooks", ICONS["notebooks"])
identity.gate()  # signed-in users only; else the sign-in screen
notebook_page.render()
