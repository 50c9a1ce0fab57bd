"""Learning from failure: Reflect → Write → Replay."""
