"""Performance: the space's query latency, errors, cache hits and users (admins only)."""

from olympus.ui import identity, performance
from olympus.ui.widgets import ICONS, page_setup

page_setup("Performance", ICONS["performance"])
identity.gate()  # signed-in users only; else the sign-in screen
performance.render()
