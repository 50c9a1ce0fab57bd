"""The agent: Read → Execute → Judge, with every decision appended to a trace."""
