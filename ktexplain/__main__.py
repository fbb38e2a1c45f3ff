from ktexplain.cli import main

raise SystemExit(main())
