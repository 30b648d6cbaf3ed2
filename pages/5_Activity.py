"""Activity: the space's audit trail (admins only), with filters and a CSV export."""

from olympus.ui import activity, identity
from olympus.ui.widgets import ICONS, page_setup

page_setup("Activity", ICONS["history"])
identity.gate()  # signed-in users only; else the sign-in screen
activity.render()
