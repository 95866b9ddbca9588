from podcap.cli import entry

entry()
