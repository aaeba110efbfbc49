from evalkit.run.cli import main

raise SystemExit(main())
