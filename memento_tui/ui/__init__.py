"""The Textual app. Everything here receives Services; nothing constructs clients."""
