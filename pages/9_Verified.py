"""Verified queries: the review list (stale ones with the reason; admins approve or delete)."""

from olympus.ui import identity, verified
from olympus.ui.widgets import ICONS, page_setup

page_setup("Verified queries", ICONS["verified"])
identity.gate()  # signed-in users only; else the sign-in screen
verified.render()
