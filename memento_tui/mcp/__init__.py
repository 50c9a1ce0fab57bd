"""``memento mcp``: the workspace's skills, sandbox and review queue for any agent that
speaks the Model Context Protocol over stdio.

A layer beside the app (``ui``): it uses services and domain, never the app. The tools'
work is plain Python in ``skill_tools``, ``command``, ``outcome`` and ``proposal`` (each
takes an ``McpSession`` and returns JSON-ready data or raises a MementoError); only
``server`` imports the MCP SDK, so the rest is tested without it.
"""
