from podcap.cli import main

raise SystemExit(main())
