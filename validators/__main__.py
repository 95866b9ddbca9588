from podcap.command import run

run()
