#!/bin/sh
# The runner cargo uses for the ui/pass cases (tests/tests/ui.rs sets it): trybuild runs
# each case with nothing on standard input and wants exit 0, but a function binary with
# no event on standard input exits 1 by design. `--help` runs the generated `main` to its
# command line and exits 0 (its text is not kept).
exec "$1" --help >/dev/null
