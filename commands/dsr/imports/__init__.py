"""`teamaround register import`: a register's history brought in from a file.

``read`` turns a CSV (dated events, or the one-row-per-person sheet) into
:class:`events.Event` lines; ``events`` holds the table of event kinds and the
replay that applies them in date order through the register's rules
(``commands.dsr.rules``), building exactly the history rows the `/dsr`
commands write; ``service`` loads what the register already holds, runs the
replay and writes the result, all or nothing.
"""
