"""Schema: search tables, read columns and keys, see relationships, preview rows."""

from olympus.ui import identity, schema
from olympus.ui.widgets import ICONS, page_setup

page_setup("Schema", ICONS["schema"])
identity.gate()  # signed-in users only; else the sign-in screen
schema.render()
