"""Schema: search tables, read columns and keys, see relationships, preview rows."""

from olympus.ui import schema
from olympus.ui.widgets import ICONS, page_setup

page_setup("Schema", ICONS["schema"])
schema.render()
