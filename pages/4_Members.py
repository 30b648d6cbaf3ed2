"""Members: who is in this space with which role, and which connections each may use."""

from olympus.ui import identity, members
from olympus.ui.widgets import ICONS, page_setup

page_setup("Members", ICONS["members"])
identity.gate()  # signed-in users only; else the sign-in screen
members.render()
