"""Figure builders and table formatters for the analysis pages.

Each function takes frames and values and returns a ``go.Figure`` or a ``DataFrame``; none reads
session state or renders, so pages stay thin (read state, call kamcore, draw) and the builders can
be unit-tested directly. Text from a user's file goes through ``charts.safe`` here.
"""
