from __future__ import annotations

from memento_tui.cli.main import main

raise SystemExit(main())
